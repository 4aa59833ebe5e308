import { FsFold, evolveFs, initialFsState, Edit } from "@strata/fs";
import { writeHistory } from "../dist/workloads.js";
const engine = writeHistory(20000);
const events = engine.log.read();
let s = initialFsState(); for (const e of events.slice(0, 5)) s = evolveFs(s, e);
const tail = events.slice(5);
const seen = new Set(); const first = [], over = [];
for (const e of tail) { (seen.has(e.data.path) ? over : first).push(e); seen.add(e.data.path); }
const min = (name, f, n = 15) => { let best = Infinity; for (let i=0;i<n;i++) { const t0 = performance.now(); f(); best = Math.min(best, performance.now()-t0); } console.log(name, (best * 1000 / over.length).toFixed(3), "us/over-event"); };
min("fold first+over", () => { const f = new FsFold(s); for (const e of first) f.add(e); for (const e of over) f.add(e); f.result(); });
min("fold first only", () => { const f = new FsFold(s); for (const e of first) f.add(e); f.result(); });
const m = new Map(); for (const e of first) m.set(e.data.path, { inode: { digest: "", size: 0, mode: 0, uid: 0, gid: 0, mtime: 0, nlink: 1 }, dirty: false });
min("map get over", () => { let n = 0; for (const e of over) if (m.get(e.data.path)) n++; });
min("map get+write over", () => { for (const e of over) { const k = m.get(e.data.path); const d = e.data; k.inode = { digest: d.digest, size: d.size, mode: d.mode, uid: d.uid, gid: d.gid, mtime: d.mtime ?? e.recordedAt, nlink: k.inode.nlink }; } });
const { OpenContainer } = await import("../../fs/dist/OpenContainer.js");
const rec = s.containers.get(events[10].streamId);
min("open.write first+over", () => { const e = new Edit(); const o = new OpenContainer(rec); for (const x of first) o.write(x, e); for (const x of over) o.write(x, e); o.settle(e); e.close(); });
min("open.write first", () => { const e = new Edit(); const o = new OpenContainer(rec); for (const x of first) o.write(x, e); o.settle(e); e.close(); });
