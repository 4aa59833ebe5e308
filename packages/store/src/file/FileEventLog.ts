/**
 * The file backend, the embedded default: append-only segment files in one directory.
 *
 * Layout: `<dir>/LOCK` (the writer's pid) and `<dir>/segments/<first seq, 16 digits>.seg`, each a
 * sequence of batches, one per `append`, each a header (count, length, CRC-32) and its records (see
 * recordCodec.ts: length, CRC-32, JSON payload chained by sha256). A segment is closed when it passes
 * `segmentBytes`; the next one starts with the next seq.
 *
 * Durability: appends are queued and written in groups (group commit): one write and one fsync per
 * group, every byte count checked, and no append is acknowledged before the fsync that covers it. A
 * write that fails (no space, an I/O error) is cut back and its appends fail with a `StorageError`; if
 * the sync itself failed, or the cut did, the log refuses further appends (`LogFailedError`) until it is
 * opened again. On open, every batch and record is checked (see scanSegment.ts). A batch not all on disk
 * at the end of the last segment is a torn tail from a crash: it was never acknowledged, so it is cut off
 * whole and reported (`openReport.truncated`). Damage anywhere else is a `CorruptLogError` naming the
 * file, offset and seq; nothing is truncated or skipped (`repairFileLog` is the explicit way to cut).
 */
import { closeSync, fsyncSync, ftruncateSync, openSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { join } from "node:path";
import {
  type AppendResult,
  type EventHandler,
  type EventLog,
  type ExpectedVersion,
  matchesExpectedVersion,
  type NewStoredEvent,
  type StoredEvent,
  type Subscription,
  validateBatch,
} from "../EventLog.js";
import {
  ExpectedVersionConflictError,
  LogClosedError,
  LogFailedError,
  StorageError,
  StoreError,
} from "../errors.js";
import { Notifier, subscribeByReading } from "../Notifier.js";
import { acquireLock } from "./lock.js";
import { RecordIndex } from "./RecordIndex.js";
import { BATCH_HEADER_BYTES, encodeBatchHeader, encodeRecord } from "./recordCodec.js";
import { scanLog } from "./scanLog.js";
import {
  ensureDirectory,
  io,
  ioAsync,
  listSegments,
  type SegmentFile,
  segmentName,
  syncDirectory,
} from "./segmentFiles.js";

export interface FileEventLogOptions {
  /** Size after which a segment is closed and a new one started (default 64 MiB). */
  readonly segmentBytes?: number;
}

/** Cuts `path` to `size` bytes and syncs it. */
function cutFile(path: string, size: number): void {
  io("cut the torn tail of", path, () => {
    const fd = openSync(path, "r+");
    try {
      ftruncateSync(fd, size);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}

/** `buffers` without their first `n` bytes. */
function dropBytes(buffers: readonly Buffer[], n: number): Buffer[] {
  let skip = n;
  let i = 0;
  while (i < buffers.length && skip >= (buffers[i] as Buffer).length) {
    skip -= (buffers[i] as Buffer).length;
    i += 1;
  }
  const rest = buffers.slice(i);
  if (skip > 0 && rest.length > 0) rest[0] = (rest[0] as Buffer).subarray(skip);
  return rest;
}

/** What opening found. */
export interface OpenReport {
  readonly events: number;
  readonly segments: number;
  /** A torn tail (a batch not all on disk, left by a crash) that was cut off, if any. */
  readonly truncated: { readonly file: string; readonly offset: number; readonly bytes: number } | null;
  /** sha256 of the last record's payload: the head of the hash chain. */
  readonly headHash: string;
}

interface Pending {
  readonly events: readonly NewStoredEvent[];
  readonly expected: Readonly<Record<string, ExpectedVersion>>;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}

export class FileEventLog implements EventLog {
  readonly dir: string;
  readonly openReport: OpenReport;
  readonly #segmentBytes: number;
  readonly #segmentDir: string;
  readonly #segments: SegmentFile[];
  readonly #index = new RecordIndex();
  readonly #notifier = new Notifier();
  readonly #release: () => void;
  #head: string;
  #writer: FileHandle | null = null;
  #queue: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #closed = false;
  /** Set when a failed write or sync leaves the disk in a state the log cannot vouch for. */
  #failed: unknown = null;

  private constructor(dir: string, options: FileEventLogOptions, release: () => void) {
    this.dir = dir;
    this.#segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.#release = release;
    this.#segmentDir = join(dir, "segments");
    ensureDirectory(this.#segmentDir, true);
    this.#segments = listSegments(this.#segmentDir);
    const scan = scanLog(this.#segments, {}, (segment, r) => this.#index.add({ segment, ...r }));
    let truncated: OpenReport["truncated"] = null;
    if (scan.tail) {
      const segment = this.#segments[scan.tail.segment] as SegmentFile;
      cutFile(segment.path, scan.tail.offset);
      truncated = { file: segment.path, offset: scan.tail.offset, bytes: scan.tail.bytes };
      segment.size = scan.tail.offset;
    }
    this.#head = scan.headHash;
    this.openReport = {
      events: this.#index.count,
      segments: this.#segments.length,
      truncated,
      headHash: scan.headHash,
    };
  }

  /**
   * Opens (creating if needed) the log in `dir`, takes its lock, checks every record and cuts a torn
   * tail. Throws `LogLockedError` if another live process holds the log, `CorruptLogError` on damage,
   * `StorageError` when the operating system refuses (not a directory, read-only, no permission, no space).
   */
  static async open(dir: string, options: FileEventLogOptions = {}): Promise<FileEventLog> {
    ensureDirectory(dir, true);
    const release = acquireLock(join(dir, "LOCK"));
    try {
      return new FileEventLog(dir, options, release);
    } catch (e) {
      release();
      throw e;
    }
  }

  #check(): void {
    if (this.#closed) throw new LogClosedError();
  }

  async lastSeq(): Promise<number> {
    this.#check();
    return this.#index.count;
  }

  append(
    events: readonly NewStoredEvent[],
    expected: Readonly<Record<string, ExpectedVersion>> = {},
  ): Promise<AppendResult> {
    try {
      this.#check();
      if (this.#failed) throw new LogFailedError(this.#failed);
    } catch (e) {
      return Promise.reject(e);
    }
    const invalid = validateBatch(events);
    if (invalid) return Promise.reject(invalid);
    return new Promise((resolve, reject) => {
      this.#queue.push({ events, expected, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#flush();
    });
  }

  /** Writes queued batches in groups: one write and one fsync per group. */
  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue;
        this.#queue = [];
        if (this.#failed) {
          for (const p of group) p.reject(new LogFailedError(this.#failed));
          continue;
        }
        await this.#writeGroup(group);
      }
    } finally {
      this.#flushing = null;
    }
  }

  async #writeGroup(group: readonly Pending[]): Promise<void> {
    const versions = new Map<string, number>();
    const version = (s: string) => versions.get(s) ?? this.#index.version(s);
    let seq = this.#index.count;
    let head = this.#head;
    const accepted: {
      pending: Pending;
      records: { event: StoredEvent; bytes: Buffer }[];
      result: AppendResult;
    }[] = [];
    for (const pending of group) {
      const conflict = Object.entries(pending.expected).find(
        ([s, want]) => !matchesExpectedVersion(want, version(s)),
      );
      if (conflict) {
        pending.reject(
          new ExpectedVersionConflictError(conflict[0], String(conflict[1]), version(conflict[0])),
        );
        continue;
      }
      if (pending.events.length === 0) {
        accepted.push({
          pending,
          records: [],
          result: { firstSeq: seq + 1, lastSeq: seq, streamVersions: {} },
        });
        continue;
      }
      const firstSeq = seq + 1;
      const streamVersions: Record<string, number> = {};
      const records = pending.events.map((e) => {
        seq += 1;
        const event: StoredEvent = {
          streamId: e.streamId,
          type: e.type,
          schemaVersion: e.schemaVersion,
          recordedAt: e.recordedAt,
          data: e.data,
          seq,
        };
        const { bytes, hash } = encodeRecord(event, head, e);
        head = hash;
        versions.set(e.streamId, version(e.streamId) + 1);
        streamVersions[e.streamId] = version(e.streamId);
        return { event, bytes };
      });
      accepted.push({ pending, records, result: { firstSeq, lastSeq: seq, streamVersions } });
    }
    // One batch per append: its header, then its records.
    const buffers: Buffer[] = [];
    for (const a of accepted) {
      if (a.records.length === 0) continue;
      const bytes = a.records.map((r) => r.bytes);
      buffers.push(encodeBatchHeader(bytes), ...bytes);
    }
    if (buffers.length === 0) {
      for (const a of accepted) a.pending.resolve(a.result);
      return;
    }
    try {
      const total = buffers.reduce((n, b) => n + b.length, 0);
      const firstSeq = this.#index.count + 1;
      const writer = await this.#writerFor(total, firstSeq);
      const segmentIndex = this.#segments.length - 1;
      const segment = this.#segments[segmentIndex] as SegmentFile;
      const start = segment.size;
      await this.#write(writer, segment.path, buffers, start);
      let offset = start;
      for (const a of accepted) {
        if (a.records.length === 0) continue;
        offset += BATCH_HEADER_BYTES;
        for (const r of a.records) {
          this.#index.add({
            segment: segmentIndex,
            offset,
            length: r.bytes.length,
            streamId: r.event.streamId,
          });
          offset += r.bytes.length;
        }
      }
      segment.size = offset;
      this.#head = head;
    } catch (e) {
      for (const a of accepted) a.pending.reject(e);
      return;
    }
    for (const a of accepted) a.pending.resolve(a.result);
    this.#notifier.notify();
  }

  /**
   * Writes `buffers` at `start` of the segment and syncs them, checking every byte count. A failure cuts
   * the file back to `start`; if the sync failed, or the cut did, the log stops taking appends.
   */
  async #write(writer: FileHandle, path: string, buffers: Buffer[], start: number): Promise<void> {
    let position = start;
    try {
      let rest = buffers;
      while (rest.length > 0) {
        const { bytesWritten } = await writer.writev(rest, position);
        if (bytesWritten <= 0) throw new StorageError("append to", path, "EIO", "the write made no progress");
        position += bytesWritten;
        rest = dropBytes(rest, bytesWritten);
      }
    } catch (e) {
      const error = StorageError.from(e, "append to", path);
      await this.#cutBack(writer, path, start, error);
      throw error;
    }
    try {
      await writer.datasync();
    } catch (e) {
      // After a failed fsync the kernel may have dropped the dirty pages: what is on disk is unknown.
      const error = StorageError.from(e, "sync", path);
      await this.#cutBack(writer, path, start, error);
      this.#failed ??= error;
      throw error;
    }
  }

  /** Cuts a failed write back off the segment; if that fails too, the log stops taking appends. */
  async #cutBack(writer: FileHandle, path: string, start: number, cause: unknown): Promise<void> {
    try {
      await writer.truncate(start);
      await writer.datasync();
    } catch {
      this.#failed ??= cause instanceof StoreError ? cause : StorageError.from(cause, "append to", path);
    }
  }

  /** The handle of the segment to write `bytes` starting with `firstSeq` into, starting a new one when full. */
  async #writerFor(bytes: number, firstSeq: number): Promise<FileHandle> {
    const current = this.#segments[this.#segments.length - 1];
    const full = current !== undefined && current.size > 0 && current.size + bytes > this.#segmentBytes;
    if (current && !full) {
      this.#writer ??= await ioAsync("open", current.path, () => open(current.path, "r+"));
      return this.#writer;
    }
    await this.#writer?.close();
    this.#writer = null;
    const path = join(this.#segmentDir, segmentName(firstSeq));
    const handle = await ioAsync("create", path, () => open(path, "wx+"));
    this.#segments.push({ firstSeq, path, size: 0 });
    this.#writer = handle;
    syncDirectory(this.#segmentDir);
    return handle;
  }

  async read(fromSeq = 1, limit = Number.POSITIVE_INFINITY): Promise<StoredEvent[]> {
    this.#check();
    return this.#index.read(this.#segments, fromSeq, limit);
  }

  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    this.#check();
    return this.#index.readStream(this.#segments, streamId, fromVersion);
  }

  async streamVersion(streamId: string): Promise<number> {
    this.#check();
    return this.#index.version(streamId);
  }

  subscribe(fromSeq: number, handler: EventHandler): Subscription {
    this.#check();
    return subscribeByReading((from, limit) => this.read(from, limit), this.#notifier, fromSeq, handler);
  }

  /**
   * Re-reads the whole log from disk (up to what was acknowledged) and checks every batch and record,
   * parsing each; returns the head hash. Writes nothing.
   */
  async verify(): Promise<{ events: number; headHash: string }> {
    this.#check();
    const scan = scanLog(this.#segments, { full: true, upToSize: true });
    return { events: scan.events, headHash: scan.headHash };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#flushing) await this.#flushing;
    this.#closed = true;
    await this.#writer?.close();
    this.#writer = null;
    this.#notifier.notify();
    this.#release();
  }
}
