import { FsFold, evolveFs, initialFsState } from "@strata/fs";
import { writeHistory } from "../dist/workloads.js";
const engine = writeHistory(20000);
const events = engine.log.read();
let s = initialFsState(); for (const e of events.slice(0, 5)) s = evolveFs(s, e);
const seen = new Set(); const first = [];
for (const e of events.slice(5)) { if (!seen.has(e.data.path)) first.push(e); seen.add(e.data.path); }
const t0 = performance.now();
for (let i = 0; i < 200; i++) { const f = new FsFold(s); for (const e of first) f.add(e); f.result(); }
console.log("first write", ((performance.now() - t0) * 1000 / 200 / first.length).toFixed(2), "us");
