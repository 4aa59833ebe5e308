/**
 * Measure 7: committing a container with 10 changed files on a 100,000-file image, against the same on
 * a 1,000-file image. A commit reads only the read-write layer, so the image's size should not matter:
 * named by its content as the durable engine names it (oci's `imageNamer`: the new layer's tar is
 * written and hashed, the DiffIDs below come from the image's kept config), nothing below is hashed.
 */
import type { FsEngine } from "@strata/fs";
import { imageNamer } from "@strata/oci";
import { type Measure, sized } from "./Measure.js";
import { median } from "./timing.js";
import { imageEngine } from "./workloads.js";

/** Median time of `n` commits of containers with 10 changes each. */
function commits(engine: FsEngine, tag: string, n: number): number {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${tag}${i}`;
    engine.execute({ type: "container.create", image: "scale:1", name });
    for (let j = 0; j < 10; j++)
      engine.execute({ type: "fs.writeFile", container: name, path: `/d0/f${j}`, content: `${i}-${j}` });
    const start = performance.now();
    const r = engine.execute({ type: "container.commit", container: name, tag: `${tag}:${i}` });
    times.push(performance.now() - start);
    if (!r.ok) throw r.error;
  }
  return median(times);
}

export const commitSize: Measure = {
  id: "7",
  measure: "commit of 10 changes on a 100,000-file image",
  baseline: "the same on a 1,000-file image",
  target: { op: "<=", value: 2 },
  async run(o) {
    const n = sized(o, 100, 3);
    const big = imageEngine(sized(o, 100_000, 1_000), 100, { namer: imageNamer });
    const small = imageEngine(1_000, 10, { namer: imageNamer });
    commits(big, "warm", sized(o, 10, 1));
    commits(small, "warm", sized(o, 10, 1));
    const tBig = commits(big, "big", n);
    const tSmall = commits(small, "small", n);
    return {
      ratio: tBig / tSmall,
      detail: `${tBig.toFixed(2)} ms vs ${tSmall.toFixed(2)} ms per commit (median of ${n})`,
    };
  },
};
