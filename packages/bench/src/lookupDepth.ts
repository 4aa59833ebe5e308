/**
 * Measure 3: a union lookup (`stat`) in an image of 100,000 files spread over 100 layers, against the
 * same lookups when the same files are in one layer. Images are flattened once when created, so depth
 * should cost almost nothing.
 */
import { type Measure, sized } from "./Measure.js";
import { seededRandom } from "./seededRandom.js";
import { alternate } from "./timing.js";
import { filePath, imageEngine } from "./workloads.js";

export const lookupDepth: Measure = {
  id: "3",
  measure: "union lookup at 100 layers",
  baseline: "the same lookup at 1 layer",
  target: { op: "<=", value: 1.5 },
  async run(o) {
    const files = sized(o, 100_000, 1_000);
    const deep = imageEngine(files, 100).view("scale:1");
    const flat = imageEngine(files, 1).view("scale:1");
    const random = seededRandom(3);
    const paths = Array.from({ length: sized(o, 50_000, 500) }, () => filePath(random.int(files)));
    const statAll = (view: typeof deep) => () => {
      for (const p of paths) view.stat(p);
    };
    const t = await alternate(statAll(deep), statAll(flat), sized(o, 7, 1));
    return {
      ratio: t.ours / t.baseline,
      detail: `${((t.ours / paths.length) * 1e3).toFixed(2)} µs vs ${((t.baseline / paths.length) * 1e3).toFixed(2)} µs per stat`,
    };
  },
};
