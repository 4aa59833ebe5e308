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

/**
 * The log on disk is damaged (not a torn tail): names the file, the byte offset and the seq of the
 * damaged record, and `batchOffset`, where the batch holding it starts (where a repair cuts).
 */
export class CorruptLogError extends StoreError {
  readonly file: string;
  readonly offset: number;
  readonly seq: number | null;
  readonly batchOffset: number;
  constructor(file: string, offset: number, seq: number | null, problem: string, batchOffset = offset) {
    super("CorruptLog", `${file} at byte ${offset}${seq === null ? "" : ` (seq ${seq})`}: ${problem}`);
    this.file = file;
    this.offset = offset;
    this.seq = seq;
    this.batchOffset = batchOffset;
  }
}

/**
 * Another live process holds the log's lock (a process that ended, a zombie, or an unrelated process
 * that got the same pid is recognised as stale and never blocks). Names the holder and how to recover.
 */
export class LogLockedError extends StoreError {
  readonly lockFile: string;
  readonly holderPid: number | null;
  constructor(lockFile: string, holderPid: number | null, holderCommand: string | null = null) {
    const who =
      holderPid === null
        ? "another process"
        : `process ${holderPid}${holderCommand ? ` (${holderCommand.length > 80 ? `${holderCommand.slice(0, 77)}...` : holderCommand})` : ""}`;
    super(
      "LogLocked",
      `the log is locked by ${who}, which is still running (${lockFile}). Wait for it to finish or stop it${holderPid === null ? "" : ` (check with: ps -p ${holderPid} -o pid,stat,args)`}; if it is not a strata process writing this log, remove ${lockFile}`,
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

/** An event given to append (or the append's options, index -1) is not well formed. */
export class InvalidEventError extends StoreError {
  constructor(index: number, problem: string) {
    super(
      "InvalidEvent",
      index < 0 ? `the append's options: ${problem}` : `event ${index} of the batch: ${problem}`,
    );
  }
}

/**
 * An append's condition did not hold: an event stored after the position the caller's decision read at
 * has one of the keys it read. Nothing was appended; catch up and decide again.
 */
export class AppendConditionError extends StoreError {
  readonly after: number;
  /** The first event that broke the condition, and the key it has. */
  readonly seq: number;
  readonly key: string;
  constructor(after: number, seq: number, key: string) {
    super(
      "AppendCondition",
      `the log moved: event ${seq}, stored after position ${after}, has key ${key}, which the decision read; nothing was appended`,
    );
    this.after = after;
    this.seq = seq;
    this.key = key;
  }
}

/** An event is larger than every backend can store as one record; nothing was appended. */
export class EventTooLargeError extends StoreError {
  readonly index: number;
  readonly bytes: number;
  readonly limit: number;
  constructor(index: number, bytes: number, limit: number) {
    super(
      "EventTooLarge",
      `event ${index} of the batch is ${bytes} bytes encoded, over the limit of ${limit} bytes (64 MiB) for one event; nothing was appended`,
    );
    this.index = index;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/**
 * The operating system refused a file operation of the log or its blobs: no space, a read-only file
 * system, no permission, a path of the wrong kind. Names the operation, the path and the errno in words.
 */
export class StorageError extends StoreError {
  readonly op: string;
  readonly path: string;
  readonly errno: string;
  constructor(op: string, path: string, errno: string, detail?: string) {
    super("Storage", `cannot ${op} ${path}: ${detail ?? errnoWords(errno)} (${errno})`);
    this.op = op;
    this.path = path;
    this.errno = errno;
  }

  /** The error `e` (from node:fs) as a StorageError naming `op` and `path`; other errors as they are. */
  static from(e: unknown, op: string, path: string): unknown {
    if (e instanceof StoreError) return e;
    const code = (e as NodeJS.ErrnoException | null)?.code;
    if (typeof code !== "string" || !/^E[A-Z0-9]+$/.test(code)) return e;
    const error = new StorageError(op, (e as NodeJS.ErrnoException).path ?? path, code);
    error.cause = e;
    return error;
  }
}

const ERRNO_WORDS: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is exhausted",
  EROFS: "the file system is read-only",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  EISDIR: "it is a directory",
  EEXIST: "it already exists",
  EIO: "an input/output error (the disk or its driver failed)",
  EMFILE: "too many open files in this process",
  ENFILE: "too many open files in the system",
  ENAMETOOLONG: "the path is too long",
  ELOOP: "too many levels of symbolic links",
  EFBIG: "the file would be larger than allowed (RLIMIT_FSIZE or the file system's limit)",
  EBUSY: "the device or resource is busy",
  ETXTBSY: "the file is busy",
};

/** An errno code in words, for messages. */
export function errnoWords(code: string): string {
  return ERRNO_WORDS[code] ?? "the operating system refused it";
}

/**
 * An earlier write or sync of the log failed in a way that leaves what is on disk unknown (the sync
 * failed, or cutting a failed write back failed too). The log refuses further appends; close it and
 * open it again, which checks what is on disk.
 */
export class LogFailedError extends StoreError {
  constructor(cause: unknown) {
    super(
      "LogFailed",
      `an earlier write to the log failed and the log cannot tell what reached the disk (${(cause as Error)?.message ?? String(cause)}); close the log and open it again, which checks every record`,
    );
    this.cause = cause;
  }
}

/** There is no log where one was expected (a read-only open never creates one). */
export class LogNotFoundError extends StoreError {
  readonly path: string;
  constructor(path: string, detail = "there is no event log there") {
    super("LogNotFound", `${path}: ${detail}`);
    this.path = path;
  }
}
