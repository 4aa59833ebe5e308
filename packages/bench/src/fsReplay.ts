/**
 * Measure 1: folding filesystem events in memory (the core state and the fs projection, as
 * `replayProjected` does when an engine opens a log) against a plain mutable Map applying the same
 * writes.
 */
import { replayProjected } from "@strata/core";
import { fsProjection } from "@strata/fs";
import { type Measure, sized } from "./Measure.js";
import { alternate, fmtRate } from "./timing.js";
import { writeHistory } from "./workloads.js";

export const fsReplay: Measure = {
  id: "1",
  measure: "in-memory replay of filesystem events",
  baseline: "a plain mutable Map applying the same writes",
  target: { op: ">=", value: 0.25 },
  async run(o) {
    const engine = writeHistory(sized(o, 20_000, 200));
    const events = engine.log.read();
    const writes = events.filter((e) => e.type === "fs.fileWritten");
    const projection = fsProjection({ blobs: engine.blobs });
    let sink: unknown;
    const t = await alternate(
      () => {
        sink = replayProjected(projection, events);
      },
      () => {
        const files = new Map<string, unknown>();
        for (const e of writes) {
          const d = e.data as { path: string; digest: string; size: number; mode: number };
          files.set(d.path, { digest: d.digest, size: d.size, mode: d.mode });
        }
        sink = files;
      },
      // 31 rounds, not 5: the Map takes 5 to 40 ms on these cores, too short for 5 rounds to give a
      // steady median (the ratio moved between 0.15 and 0.31 from one run to the next).
      sized(o, 31, 1),
    );
    void sink;
    // Rates over the same writes: ratio = our rate / the Map's rate = the Map's time / ours.
    return {
      ratio: t.baseline / t.ours,
      detail: `${fmtRate(writes.length, t.ours, "writes")} vs ${fmtRate(writes.length, t.baseline, "writes")} (${events.length} events, ${writes.length} writes)`,
    };
  },
};
