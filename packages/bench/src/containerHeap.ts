/**
 * Measure 6: the heap of 1,000 containers, each with 10 file writes, on a 100,000-file image, against
 * the image alone. Containers share the image's trees; each holds only what it changed (and its events).
 */
import type { Measure } from "./Measure.js";
import { sized } from "./Measure.js";
import { fmtMB, heapUsed } from "./timing.js";
import { imageEngine } from "./workloads.js";

export const containerHeap: Measure = {
  id: "6",
  measure: "heap for 1,000 containers, 10 writes each, on a 100,000-file image",
  baseline: "the image alone",
  target: { op: "<=", value: 1.3 },
  async run(o) {
    const containers = sized(o, 1_000, 10);
    const before = heapUsed();
    const files = sized(o, 100_000, 1_000);
    const dirs = files / 1_000;
    const e = imageEngine(files, 100);
    const imageAlone = heapUsed() - before;
    for (let c = 0; c < containers; c++) {
      const r = e.execute({ type: "container.create", image: "scale:1", name: `c${c}` });
      if (!r.ok) throw r.error;
      for (let i = 0; i < 10; i++) {
        const w = e.execute({
          type: "fs.writeFile",
          container: `c${c}`,
          path: `/d${(c + i) % dirs}/f${((c + i) % dirs) * 1000 + i}`,
          content: `c${c}-${i}`,
        });
        if (!w.ok) throw w.error;
      }
    }
    const withContainers = heapUsed() - before;
    // Keep the engine reachable until after the last measurement (or the collector may take it early).
    if (Object.keys(e.state.containers).length !== containers) throw new Error("containers missing");
    return {
      ratio: withContainers / imageAlone,
      detail: `${fmtMB(withContainers)} vs ${fmtMB(imageAlone)} (both include the event log)`,
    };
  },
};
