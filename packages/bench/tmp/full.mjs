import { replayProjected } from "@strata/core";
import { fsProjection, MemoryBlobStore } from "@strata/fs";
import { writeHistory } from "../dist/workloads.js";
const engine = writeHistory(20000);
const events = engine.log.read();
const p = fsProjection({ blobs: engine.blobs });
for (let i = 0; i < 80; i++) replayProjected(p, events);
