/**
 * @strata/engine: one durable engine over any event log — memory, a directory, PostgreSQL — that
 * applications embed, that several processes and hosts share without writing a contradiction, with
 * real-time timers, file contents that travel with the log, and snapshots.
 */
export type { DurableEngineOptions, ExecuteResult } from "./DurableEngine.js";
export { DurableEngine } from "./DurableEngine.js";
export { EngineMoment } from "./EngineMoment.js";
export type { EngineSnapshotJson } from "./engineSnapshot.js";
export {
  decodeEngineSnapshot,
  ENGINE_SNAPSHOT_KIND,
  encodeEngineSnapshot,
  eventFingerprint,
} from "./engineSnapshot.js";
export type { EngineStorage, OpenEngineOptions } from "./openEngine.js";
export { isPostgresUrl, openEngine, openStorage } from "./openEngine.js";
export { ReplicatedBlobStore } from "./ReplicatedBlobStore.js";
