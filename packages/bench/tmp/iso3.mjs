import { FsFold, evolveFs, initialFsState } from "@strata/fs";
import { writeHistory } from "../dist/workloads.js";
const engine = writeHistory(20000);
const events = engine.log.read();
let s = initialFsState(); for (const e of events.slice(0, 5)) s = evolveFs(s, e);
const tail = events.slice(5);
const seen = new Set(); const first = [], over = [];
for (const e of tail) { (seen.has(e.data.path) ? over : first).push(e); seen.add(e.data.path); }
const f = new FsFold(s); for (const x of first) f.add(x);
const mode = process.env.MODE ?? "fold";
const m = new Map(); for (const e of first) m.set(e.data.path, { inode: { digest: "", size: 0, mode: 0, uid: 0, gid: 0, mtime: 0, nlink: 1 } });
const t0 = performance.now();
for (let i = 0; i < Number(process.env.N ?? 40); i++) {
  if (mode === "fold") for (const x of over) f.add(x);
  else for (const e of over) { const k = m.get(e.data.path); const d = e.data; const n = k.inode; n.digest = d.digest; n.size = d.size; n.mode = d.mode; n.uid = d.uid; n.gid = d.gid; }
}
console.log(mode, ((performance.now() - t0) * 1000 / 40 / over.length).toFixed(3), "us");
