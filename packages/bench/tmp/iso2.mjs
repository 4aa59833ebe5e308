import { evolveFs, initialFsState, Edit } from "@strata/fs";
import { writeHistory } from "../dist/workloads.js";
const { OpenContainer } = await import("../../fs/dist/OpenContainer.js");
const engine = writeHistory(20000);
const events = engine.log.read();
let s = initialFsState(); for (const e of events.slice(0, 5)) s = evolveFs(s, e);
const tail = events.slice(5);
const seen = new Set(); const first = [], over = [];
for (const e of tail) { (seen.has(e.data.path) ? over : first).push(e); seen.add(e.data.path); }
const rec = s.containers.get(events[10].streamId);
const e = new Edit(); const o = new OpenContainer(rec); for (const x of first) o.write(x, e);
const t0 = performance.now();
for (let i = 0; i < 40; i++) for (const x of over) o.write(x, e);
console.log("over", ((performance.now() - t0) * 1000 / 40 / over.length).toFixed(3), "us");
