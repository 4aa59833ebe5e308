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
export type { PostgresEventLogOptions } from "./postgres/PostgresEventLog.js";
export { PostgresEventLog, StoreUnavailableError } from "./postgres/PostgresEventLog.js";
export type { LoadedSnapshot, Snapshot } from "./snapshots.js";
export { SNAPSHOT_FORMAT, SNAPSHOT_VERSION, SnapshotStore } from "./snapshots.js";
export type { Upcaster } from "./upcasting.js";
export { UpcastError, upcastEvent, withUpcasting } from "./upcasting.js";
