import { writeHistory } from "../dist/workloads.js";
const engine = writeHistory(20000);
const events = engine.log.read();
const writes = events.filter((e) => e.type === "fs.fileWritten");
const cpu = (name, f, n = 30) => { f(); let best = Infinity; for (let i = 0; i < n; i++) { const c0 = process.cpuUsage(); f(); const c = process.cpuUsage(c0); best = Math.min(best, c.user + c.system); } console.log(name, (best / 1000).toFixed(2), "ms cpu (min)"); };
const m = new Map(); for (const e of writes) m.set(e.data.path, { n: 0, pad: [1,2,3] });
function work(x) { let s = 0; for (let k = 0; k < 60; k++) s = (s * 31 + k) | 0; x.n += s & 1; }
cpu("get+work", () => { for (const e of writes) work(m.get(e.data.path)); });
let sink;
cpu("get+work prefetch", () => { for (let i = 0; i < writes.length; i++) { const nx = writes[i + 2]; if (nx !== undefined) sink = nx.data.path.length; work(m.get(writes[i].data.path)); } });
cpu("baseline", () => { const files = new Map(); for (const e of writes) { const d = e.data; files.set(d.path, { digest: d.digest, size: d.size, mode: d.mode }); } });
