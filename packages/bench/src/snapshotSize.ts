/**
 * Measure 5: taking a time-travel point of a container (a write, after which the whole state is kept
 * as it was, so any later view can go back to it) when the container shows 100,000 entries, against the
 * same with 1,000. Persistent trees share everything unchanged, so the size should barely matter.
 */
import type { FsEngine } from "@strata/fs";
import { type Measure, sized } from "./Measure.js";
import { alternate } from "./timing.js";
import { imageEngine } from "./workloads.js";

function snapshots(engine: FsEngine, name: string, n: number): () => void {
  const created = engine.execute({ type: "container.create", image: "scale:1", name });
  if (!created.ok) throw created.error;
  const kept: unknown[] = [];
  let i = 0;
  return () => {
    for (let k = 0; k < n; k++, i++) {
      const w = engine.execute({
        type: "fs.writeFile",
        container: name,
        path: `/d0/f${i % 1000}`,
        content: `v${i}`,
      });
      if (!w.ok) throw w.error;
      kept.push(engine.projected); // the time-travel point: the state right after this event
    }
  };
}

export const snapshotSize: Measure = {
  id: "5",
  measure: "time-travel point (write + kept state) of a container with 100,000 entries",
  baseline: "the same with 1,000 entries",
  target: { op: "<=", value: 2 },
  async run(o) {
    const n = sized(o, 500, 10);
    const t = await alternate(
      snapshots(imageEngine(sized(o, 100_000, 1_000), 100), "big", n),
      snapshots(imageEngine(1_000, 10), "small", n),
      sized(o, 5, 1),
    );
    return {
      ratio: t.ours / t.baseline,
      detail: `${((t.ours / n) * 1e3).toFixed(1)} µs vs ${((t.baseline / n) * 1e3).toFixed(1)} µs per point`,
    };
  },
};
