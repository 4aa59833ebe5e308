/**
 * Measure 4: union lookups at 20 layers against memfs volumes (one per layer) joined by unionfs, the
 * usual in-memory union in Node. The same 20,000 files, the same paths looked up.
 */
import { Volume } from "memfs";
import { Union } from "unionfs";
import { type Measure, sized } from "./Measure.js";
import { seededRandom } from "./seededRandom.js";
import { alternate } from "./timing.js";
import { filePath, imageEngine } from "./workloads.js";

const LAYERS = 20;

export const memfsUnion: Measure = {
  id: "4",
  measure: "union lookup at 20 layers",
  baseline: "memfs + unionfs over the same 20 layers",
  target: { op: ">=", value: 10 },
  async run(o) {
    const FILES = sized(o, 20_000, 200);
    const view = imageEngine(FILES, LAYERS).view("scale:1");
    const union = new Union();
    const perLayer = FILES / LAYERS;
    for (let l = 0; l < LAYERS; l++) {
      const files: Record<string, string> = {};
      for (let i = l * perLayer; i < (l + 1) * perLayer; i++) files[filePath(i)] = "x";
      union.use(Volume.fromJSON(files) as unknown as Parameters<typeof union.use>[0]);
    }
    const random = seededRandom(4);
    const paths = Array.from({ length: sized(o, 20_000, 200) }, () => filePath(random.int(FILES)));
    // Same answers first: every path is a 1-byte file in both.
    for (const p of paths.slice(0, 100)) {
      if (view.stat(p).size !== 1 || union.statSync(p).size !== 1) throw new Error(`${p} differs`);
    }
    const t = await alternate(
      () => {
        for (const p of paths) view.stat(p);
      },
      () => {
        for (const p of paths) union.statSync(p);
      },
      sized(o, 5, 1),
    );
    return {
      ratio: t.baseline / t.ours,
      detail: `${((t.ours / paths.length) * 1e3).toFixed(2)} µs vs ${((t.baseline / paths.length) * 1e3).toFixed(2)} µs per stat`,
    };
  },
};
