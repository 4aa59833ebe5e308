/**
 * @strata/store: the event log that outlives the process. One contract (`EventLog`), backends in
 * memory and on file, and the conformance suite every backend runs (`@strata/store/testsuite`).
 */

export type {
  AppendCondition,
  AppendOptions,
  AppendResult,
  EventHandler,
  EventLog,
  ExpectedVersion,
  NewStoredEvent,
  StoredEvent,
  Subscription,
} from "./EventLog.js";
export { keysOf, MAX_EVENT_BYTES, MAX_NAME_BYTES, MAX_TAGS, matchesExpectedVersion } from "./EventLog.js";
export {
  AppendConditionError,
  CorruptLogError,
  EventTooLargeError,
  ExpectedVersionConflictError,
  errnoWords,
  InvalidEventError,
  LogClosedError,
  LogFailedError,
  LogLockedError,
  LogNotFoundError,
  StorageError,
  StoreError,
} from "./errors.js";
export type { FileEventLogOptions, OpenReport, TornTail } from "./file/FileEventLog.js";
export { FileEventLog } from "./file/FileEventLog.js";
export type { FileEventLogReaderOptions } from "./file/FileEventLogReader.js";
export { FileEventLogReader } from "./file/FileEventLogReader.js";
export type { RepairReport } from "./file/repairFileLog.js";
export { repairFileLog } from "./file/repairFileLog.js";
export { MemoryEventLog } from "./MemoryEventLog.js";
export { PostgresBlobStore } from "./postgres/PostgresBlobStore.js";
export type { PostgresEventLogOptions } from "./postgres/PostgresEventLog.js";
export { PostgresEventLog } from "./postgres/PostgresEventLog.js";
export { PostgresSnapshotStore } from "./postgres/PostgresSnapshotStore.js";
export { StoreUnavailableError } from "./postgres/postgresFailure.js";
export type { RemoteBlobStore } from "./RemoteBlobStore.js";
export type { LoadedSnapshot, Snapshot, SnapshotStorage } from "./snapshots.js";
export {
  decodeSnapshot,
  encodeSnapshot,
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSION,
  SNAPSHOTS_KEPT,
  SnapshotStore,
} from "./snapshots.js";
export type { Upcaster } from "./upcasting.js";
export { UpcastError, upcastEvent, withUpcasting } from "./upcasting.js";
