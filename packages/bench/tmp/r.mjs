import { replayProjected, replay } from "@strata/core";
import { fsProjection, MemoryBlobStore, FsFold, evolveFs, initialFsState, layerTree, flatten } from "@strata/fs";
import { writeHistory } from "../dist/workloads.js";
const engine = writeHistory(20000);
const events = engine.log.read();
const writes = events.filter((e) => e.type === "fs.fileWritten");
const p = fsProjection({ blobs: engine.blobs });
const ours = () => replayProjected(p, events);
const base = () => { const files = new Map(); for (const e of writes) { const d = e.data; files.set(d.path, { digest: d.digest, size: d.size, mode: d.mode }); } return files; };
const R = Number(process.env.R ?? 15);
const a = [], b = [];
ours(); base();
for (let i = 0; i < R; i++) { let t = performance.now(); ours(); a.push(performance.now() - t); t = performance.now(); base(); b.push(performance.now() - t); }
const med = (x) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
console.log(`ours med ${med(a).toFixed(1)} min ${Math.min(...a).toFixed(1)} | map med ${med(b).toFixed(2)} min ${Math.min(...b).toFixed(2)} | ratio med ${(med(b)/med(a)).toFixed(3)} min/min ${(Math.min(...b)/Math.min(...a)).toFixed(3)}`);
if (process.env.PARTS) {
  const m = (f) => { let best = Infinity; for (let i = 0; i < R; i++) { const t = performance.now(); f(); best = Math.min(best, performance.now() - t); } return best.toFixed(2); };
  const head = events.slice(0, 5); let s = initialFsState(); for (const e of head) s = evolveFs(s, e); const tail = events.slice(5);
  console.log("layerTree", m(() => layerTree(events[0].data.layerId, events[0].data.entries)), "flatten", m(() => flatten([s.layers.get(events[0].data.layerId)])), "core", m(() => replay(events)), "fs tail", m(() => { const f = new FsFold(s); for (const e of tail) f.add(e); f.result(); }));
}
