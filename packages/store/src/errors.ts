/**
 * Typed errors of the store. Each names what was wrong and where (a stream and its versions, a segment
 * file and offset, a seq).
 */

/** Base class of every store error; `code` is stable. */
export class StoreError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An append's expected stream version did not match; nothing was appended. */
export class ExpectedVersionConflictError extends StoreError {
  readonly streamId: string;
  readonly expected: string;
  readonly actual: number;
  constructor(streamId: string, expected: string, actual: number) {
    super(
      "ExpectedVersionConflict",
      `stream ${streamId}: expected version ${expected}, but the stream is at version ${actual}`,
    );
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The log on disk is damaged in the middle (not a torn tail): names the file, the byte offset and the seq. */
export class CorruptLogError extends StoreError {
  readonly file: string;
  readonly offset: number;
  readonly seq: number | null;
  constructor(file: string, offset: number, seq: number | null, problem: string) {
    super("CorruptLog", `${file} at byte ${offset}${seq === null ? "" : ` (seq ${seq})`}: ${problem}`);
    this.file = file;
    this.offset = offset;
    this.seq = seq;
  }
}

/** Another process holds the log's lock. */
export class LogLockedError extends StoreError {
  readonly lockFile: string;
  readonly holderPid: number | null;
  constructor(lockFile: string, holderPid: number | null) {
    super(
      "LogLocked",
      `the log is locked by ${holderPid === null ? "another process" : `process ${holderPid}`} (${lockFile})`,
    );
    this.lockFile = lockFile;
    this.holderPid = holderPid;
  }
}

/** The log was closed. */
export class LogClosedError extends StoreError {
  constructor() {
    super("LogClosed", "the event log is closed");
  }
}

/** An event given to append is not well formed. */
export class InvalidEventError extends StoreError {
  constructor(index: number, problem: string) {
    super("InvalidEvent", `event ${index} of the batch: ${problem}`);
  }
}
