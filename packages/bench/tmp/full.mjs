import { replayProjected } from "@strata/core";
import { fsProjection } from "@strata/fs";
import { writeHistory } from "../dist/workloads.js";
const engine = writeHistory(20000);
const events = engine.log.read();
const writes = events.filter((e) => e.type === "fs.fileWritten");
const p = fsProjection({ blobs: engine.blobs });
const N = Number(process.env.N ?? 80);
globalThis.gc?.();
function oursLoop() { for (let i = 0; i < N; i++) replayProjected(p, events); }
function baseLoop() { for (let i = 0; i < N; i++) { const files = new Map(); for (const e of writes) { const d = e.data; files.set(d.path, { digest: d.digest, size: d.size, mode: d.mode }); } } }
oursLoop(); baseLoop();
