import { replayProjected } from "@strata/core";
import { fsProjection } from "@strata/fs";
import { writeHistory } from "../dist/workloads.js";
const engine = writeHistory(20000);
const events = engine.log.read();
const writes = events.filter((e) => e.type === "fs.fileWritten");
const p = fsProjection({ blobs: engine.blobs });
globalThis.gc?.();
console.log("---- ours x5");
for (let i = 0; i < 5; i++) replayProjected(p, events);
console.log("---- map x5");
for (let i = 0; i < 5; i++) { const files = new Map(); for (const e of writes) { const d = e.data; files.set(d.path, { digest: d.digest, size: d.size, mode: d.mode }); } }
console.log("---- end");
