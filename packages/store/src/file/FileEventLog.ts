/**
 * The file backend, the embedded default: append-only segment files in one directory, which several
 * processes on one machine may read and write.
 *
 * Layout: `<dir>/LOCK` (held by a writer while it writes) and `<dir>/segments/<first seq, 16 digits>.seg`,
 * each a sequence of batches, one per `append`: a header (count, length, CRC-32) and its records (see
 * recordCodec.ts: length, CRC-32, JSON payload chained by sha256). A segment is closed when it passes
 * `segmentBytes`; the next one starts with the next seq.
 *
 * **Writers take turns.** Appends are queued and written in groups (group commit). For each group a
 * writer takes `LOCK` (waiting while another live process holds it, up to `lockWaitMs`), reads what
 * other processes appended since it last looked, checks every append's expected versions and condition
 * against that, writes the group with one write — every byte count checked — and one fsync, and
 * releases the lock. No append is acknowledged before the fsync that covers it. A write that fails (no
 * space, an I/O error) is cut back and its appends fail with a `StorageError`; if the sync itself failed,
 * or the cut did, this handle refuses further appends (`LogFailedError`) until the log is opened again.
 *
 * **Reading** checks every batch and record (see scanSegment.ts) after the verified-prefix mark a writer
 * left (see verifiedMark.ts; everything without one), and a record only the mark vouches for when it is
 * read (see RecordIndex.ts); it sees other processes' appends at the
 * next `refresh()` (reads and `lastSeq` refresh first; subscriptions watch the directory). A batch not
 * all on disk at the end of the last segment is a write in progress, or a torn tail a crashed writer
 * left: never handed out; the next writer, holding the lock, cuts it whole (`openReport.truncated` when
 * opening found one). Damage anywhere else is a `CorruptLogError` naming the file, offset and seq;
 * nothing is truncated or skipped (`repairFileLog` is the explicit way to cut). A handle opened
 * `readOnly` never writes a byte and never creates anything.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  statSync,
  watch,
} from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import {
  type AppendOptions,
  type AppendResult,
  type EventHandler,
  type EventLog,
  firstBreak,
  matchesExpectedVersion,
  type NewStoredEvent,
  type StoredEvent,
  type Subscription,
  validateBatch,
  validateOptions,
} from "../EventLog.js";
import {
  CorruptLogError,
  ExpectedVersionConflictError,
  LogClosedError,
  LogFailedError,
  StorageError,
  StoreError,
} from "../errors.js";
import { Notifier, subscribeByReading } from "../Notifier.js";
import { acquireLock, tryLock } from "./lock.js";
import { RecordIndex, RecordMismatchError, segmentOf } from "./RecordIndex.js";
import { BATCH_HEADER_BYTES, encodeBatchHeader, encodeRecord, GENESIS_HASH } from "./recordCodec.js";
import { scanLog } from "./scanLog.js";
import { scanSegment } from "./scanSegment.js";
import {
  ensureDirectory,
  io,
  ioAsync,
  listSegments,
  type SegmentFile,
  segmentName,
  syncDirectory,
} from "./segmentFiles.js";
import { compareWithMark, dropMark, loadMark, writeMark } from "./verifiedMark.js";

export interface FileEventLogOptions {
  /** Size after which a segment is closed and a new one started (default 64 MiB). */
  readonly segmentBytes?: number;
  /** Open only to read: no appends; nothing is created, cut or written. */
  readonly readOnly?: boolean;
  /** How long an append waits while another process holds the lock (default 30 s). */
  readonly lockWaitMs?: number;
  /** How often a subscription looks for other processes' appends when no change was noticed (default 100 ms). */
  readonly pollMs?: number;
  /**
   * A writer writes a verified-prefix mark (see verifiedMark.ts) when it opens and when it closes, and
   * while it runs after every `markEvery` events it appends (default 1,000). 0: it never writes one.
   */
  readonly markEvery?: number;
}

/** A torn batch at the end of a log: the file, where it starts and how many bytes it has. */
export interface TornTail {
  readonly file: string;
  readonly offset: number;
  readonly bytes: number;
}

/** What opening found. */
export interface OpenReport {
  readonly events: number;
  readonly segments: number;
  /** A torn tail (a batch not all on disk, left by a crashed writer) that was cut off, if any. */
  readonly truncated: TornTail | null;
  /** sha256 of the last record's payload: the head of the hash chain. */
  readonly headHash: string;
  /**
   * The verified-prefix mark opening started from: the records up to `seq` (in `file` up to byte
   * `offset`) were checked by the writer that wrote it and not again; null if every record was checked.
   */
  readonly mark: { readonly seq: number; readonly file: string; readonly offset: number } | null;
  /** A mark that was found but not trusted, and why (every record was then checked); null if none. */
  readonly markIgnored: string | null;
}

/** What `verify()` found. */
export interface VerifyReport {
  readonly events: number;
  readonly headHash: string;
  /** A torn batch at the end (a crash, or a write in progress); null if none. */
  readonly tail: TornTail | null;
  /**
   * The verified-prefix mark: the seq it covers (it agrees with every record checked; `indexProblem` if
   * its INDEX fails its CRC, which costs reads time, not correctness), or why opening would ignore it;
   * null if there is none.
   */
  readonly mark:
    | { readonly seq: number; readonly indexProblem?: string }
    | { readonly ignored: string }
    | null;
}

interface Pending {
  readonly events: readonly NewStoredEvent[];
  readonly options: AppendOptions;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}

export class FileEventLog implements EventLog {
  readonly dir: string;
  readonly readOnly: boolean;
  readonly #segmentBytes: number;
  readonly #lockWaitMs: number;
  readonly #pollMs: number;
  readonly #markEvery: number;
  readonly #segmentDir: string;
  readonly #lockPath: string;
  /** The segments seen so far; each one's `size` is how far it has been checked. */
  readonly #segments: SegmentFile[] = [];
  #index = new RecordIndex();
  readonly #notifier = new Notifier();
  /** The mark on disk as this handle knows it (its seq and INDEX CRC), and whether it must be replaced. */
  #marked = { seq: 0, crc: 0 };
  #markStale = false;
  #head = GENESIS_HASH;
  #framed = false;
  /** A tail seen at the end of the last segment (a write in progress, or a crash's leftover). */
  #tail: TornTail | null = null;
  #report: OpenReport;
  #writer: { path: string; handle: FileHandle } | null = null;
  #queue: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #closed = false;
  /** Damage found while reading the log: reported by every later look (the index stops before it). */
  #damage: CorruptLogError | null = null;
  /** Set when a failed write or sync leaves the disk in a state this handle cannot vouch for. */
  #failed: unknown = null;
  #stopWatching: (() => void) | null = null;
  /** This handle is writing a group: its bytes are on disk before they are indexed, so do not scan. */
  #writing = false;

  private constructor(dir: string, options: FileEventLogOptions) {
    this.dir = dir;
    this.readOnly = options.readOnly === true;
    this.#segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.#lockWaitMs = options.lockWaitMs ?? 30_000;
    this.#pollMs = options.pollMs ?? 100;
    this.#markEvery = options.markEvery ?? 1_000;
    this.#segmentDir = join(dir, "segments");
    this.#lockPath = join(dir, "LOCK");
    this.#report = {
      events: 0,
      segments: 0,
      truncated: null,
      headHash: GENESIS_HASH,
      mark: null,
      markIgnored: null,
    };
  }

  /**
   * Opens (a writer creates it if needed) the log in `dir` and checks every record after its
   * verified-prefix mark (every record, without one; see verifiedMark.ts). A writer takes the lock once
   * (so a log it cannot write is refused now), cuts a torn tail a crashed writer left (reported in
   * `openReport.truncated`) and marks what it checked, unless another writer is at work. Throws
   * `CorruptLogError` on damage, `LogNotFoundError` for a missing log opened read-only, `StorageError`
   * when the operating system refuses (not a directory, read-only, no permission, no space).
   */
  static async open(dir: string, options: FileEventLogOptions = {}): Promise<FileEventLog> {
    const log = new FileEventLog(dir, options);
    ensureDirectory(dir, !log.readOnly);
    if (!log.readOnly) ensureDirectory(log.#segmentDir, true);
    const mark = log.#startFromMark();
    let truncated: TornTail | null = null;
    try {
      log.refresh();
      if (!log.readOnly) {
        // Take the lock once now, so that a log this process cannot write (read-only, no permission, no
        // space, a LOCK that is not a file) is refused when it is opened, not at the first append; and
        // cut a torn tail while holding it. A live writer holding it is fine: it is writing.
        const attempt = tryLock(log.#lockPath);
        if (attempt.taken) {
          try {
            truncated = log.#refreshLocked();
            log.#markPrefix();
          } finally {
            attempt.release();
          }
        }
      }
    } catch (e) {
      log.#index.close();
      throw e;
    }
    log.#report = {
      events: log.#index.count,
      segments: log.#segments.length,
      truncated,
      headHash: log.#head,
      mark: "ignored" in mark ? null : mark,
      markIgnored: "ignored" in mark ? mark.ignored : null,
    };
    return log;
  }

  /**
   * Starts from the verified-prefix mark if one holds for the log on disk: its segments as checked, its
   * index, the chain's head there. Returns where it starts, or why it does not (`ignored: null`: no mark).
   */
  #startFromMark(): { seq: number; file: string; offset: number } | { ignored: string | null } {
    if (!existsSync(this.#segmentDir)) return { ignored: null };
    const listed = listSegments(this.#segmentDir);
    const loaded = loadMark(this.dir, listed);
    if (loaded === null) return { ignored: null };
    if ("ignored" in loaded) {
      this.#markStale = true;
      return loaded;
    }
    const { mark, index } = loaded;
    for (const [i, m] of mark.segments.entries()) {
      const path = (listed[i] as SegmentFile).path;
      this.#segments.push({ firstSeq: m.firstSeq, path, size: m.bytes });
    }
    this.#index = RecordIndex.restore(index, mark.streams, mark.tags);
    this.#head = mark.head;
    this.#framed = mark.framed;
    this.#marked = { seq: mark.seq, crc: mark.indexCrc };
    const last = this.#segments.at(-1) as SegmentFile;
    return { seq: mark.seq, file: last.path, offset: last.size };
  }

  /** What opening found. */
  get openReport(): OpenReport {
    return this.#report;
  }

  /** The sha256 head of the hash chain as far as this handle has read. */
  get headHash(): string {
    return this.#head;
  }

  #check(): void {
    if (this.#closed) throw new LogClosedError();
  }

  /**
   * Reads and checks what was appended (by any process) since the last look; returns the number of new
   * events. Throws `CorruptLogError` on damage that is not a write in progress.
   */
  refresh(): number {
    this.#check();
    if (this.#writing) return 0; // the write indexes its own records and notifies
    if (this.#damage) throw this.#damage;
    if (!this.#mayHaveGrown()) return 0;
    try {
      return this.#look();
    } catch (e) {
      // Damage stays found: this handle reports it again rather than look past it (reopen after a repair).
      if (e instanceof CorruptLogError) this.#damage = e;
      throw e;
    }
  }

  #look(): number {
    const before = this.#index.count;
    const files = existsSync(this.#segmentDir) ? listSegments(this.#segmentDir) : [];
    if (files.length < this.#segments.length) {
      const gone = this.#segments[files.length] as SegmentFile;
      throw new CorruptLogError(gone.path, 0, gone.firstSeq, "segment removed while the log was in use");
    }
    for (const file of files.slice(this.#segments.length))
      this.#segments.push({ firstSeq: file.firstSeq, path: file.path, size: 0 });
    this.#tail = null;
    // Go on in the segment checked last, where checking stopped, then through any newer ones.
    let index = Math.max(0, this.#lastChecked());
    while (index < this.#segments.length) {
      const segment = this.#segments[index] as SegmentFile;
      const base = segment.size;
      const buf = readFrom(segment.path, base);
      if (buf === null) {
        throw new CorruptLogError(
          segment.path,
          base,
          this.#index.count + 1,
          "the segment became shorter than what was already read",
        );
      }
      const last = index === this.#segments.length - 1;
      const end = scanSegment(
        buf,
        {
          path: segment.path,
          firstSeq: segment.firstSeq,
          base,
          seq: this.#index.count + 1,
          prev: this.#head,
          framed: this.#framed,
          last,
        },
        (r) => this.#index.add(r.offset, r.length, r.streamId, r.hash, r.tags),
      );
      this.#head = end.prev;
      this.#framed = end.framed;
      segment.size = end.offset;
      if (end.tail)
        this.#tail = { file: segment.path, offset: end.offset, bytes: base + buf.length - end.offset };
      if (end.tail || last) break;
      index += 1;
    }
    const added = this.#index.count - before;
    if (added > 0) this.#notifier.notify();
    return added;
  }

  /**
   * Whether anything may have been appended since the last look, in two stats instead of a listing of
   * the segments: the last segment is no longer the size checked, or the segment that would follow it
   * exists. A torn tail or a segment not yet read always means another look.
   */
  #mayHaveGrown(): boolean {
    const last = this.#segments.at(-1);
    if (!last || last.size === 0 || this.#tail) return true;
    const now = io("look at", last.path, () => statSync(last.path, { throwIfNoEntry: false }));
    if (now?.size !== last.size) return true;
    const next = join(this.#segmentDir, segmentName(this.#index.count + 1));
    return io("look at", next, () => existsSync(next));
  }

  /** The index of the segment checking stopped in: the last one that has bytes checked, or -1. */
  #lastChecked(): number {
    for (let i = this.#segments.length - 1; i >= 0; i--)
      if ((this.#segments[i] as SegmentFile).size > 0) return i;
    return -1;
  }

  /** Refreshes while holding the lock: a tail now is a crashed writer's leftover, cut whole. */
  #refreshLocked(): TornTail | null {
    this.refresh();
    const tail = this.#tail;
    if (!tail) return null;
    cutFile(tail.file, tail.offset);
    this.#tail = null;
    return tail;
  }

  async lastSeq(): Promise<number> {
    this.refresh();
    return this.#index.count;
  }

  append(events: readonly NewStoredEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    try {
      this.#check();
      if (this.readOnly) throw new StoreError("ReadOnly", `${this.dir}: this log was opened read-only`);
      if (this.#failed) throw new LogFailedError(this.#failed);
    } catch (e) {
      return Promise.reject(e);
    }
    const invalid = validateBatch(events) ?? validateOptions(options);
    if (invalid) return Promise.reject(invalid);
    return new Promise((resolve, reject) => {
      this.#queue.push({ events, options, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#flush();
    });
  }

  /** Writes queued batches in groups: one lock, one write and one fsync per group. */
  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue;
        this.#queue = [];
        if (this.#failed) {
          for (const p of group) p.reject(new LogFailedError(this.#failed));
          continue;
        }
        let release: () => void;
        try {
          release = await acquireLock(this.#lockPath, this.#lockWaitMs);
        } catch (e) {
          for (const p of group) p.reject(e);
          continue;
        }
        try {
          this.#refreshLocked();
          this.#writing = true;
          await this.#writeGroup(group);
          this.#writing = false;
          if (this.#index.count - this.#marked.seq >= this.#markEvery) this.#markPrefix();
        } catch (e) {
          for (const p of group) p.reject(e);
        } finally {
          this.#writing = false;
          release();
        }
      }
    } finally {
      this.#flushing = null;
    }
  }

  /** Writes a group while holding the lock, the log refreshed: checks, encodes, writes, syncs, settles. */
  async #writeGroup(group: readonly Pending[]): Promise<void> {
    const versions = new Map<string, number>();
    const version = (s: string) => versions.get(s) ?? this.#index.version(s);
    const lastOf = new Map<string, number>();
    let seq = this.#index.count;
    let head = this.#head;
    const accepted: {
      pending: Pending;
      records: { event: StoredEvent; bytes: Buffer; hash: string }[];
      result: AppendResult;
    }[] = [];
    for (const pending of group) {
      // Earlier appends of the same group count: they are before this one in the log.
      const broken = firstBreak(pending.options.condition, (k) => lastOf.get(k) ?? this.#index.lastSeqOf(k));
      if (broken) {
        pending.reject(broken);
        continue;
      }
      const conflict = Object.entries(pending.options.expected ?? {}).find(
        ([s, want]) => !matchesExpectedVersion(want, version(s)),
      );
      if (conflict) {
        pending.reject(
          new ExpectedVersionConflictError(conflict[0], String(conflict[1]), version(conflict[0])),
        );
        continue;
      }
      const firstSeq = seq + 1;
      const streamVersions: Record<string, number> = {};
      const records = pending.events.map((e) => {
        seq += 1;
        const event: StoredEvent = {
          streamId: e.streamId,
          ...(e.tags && e.tags.length > 0 ? { tags: [...e.tags] } : {}),
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
        lastOf.set(e.streamId, seq);
        for (const t of e.tags ?? []) lastOf.set(t, seq);
        return { event, bytes, hash };
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
    if (buffers.length > 0) {
      const total = buffers.reduce((n, b) => n + b.length, 0);
      const segmentIndex = await this.#segmentFor(total, this.#index.count + 1);
      const segment = this.#segments[segmentIndex] as SegmentFile;
      const handle = await this.#handleFor(segment.path);
      const start = segment.size;
      try {
        await this.#write(handle, segment.path, buffers, start);
      } catch (e) {
        for (const a of accepted) a.pending.reject(e);
        return;
      }
      let offset = start;
      for (const a of accepted) {
        if (a.records.length === 0) continue;
        offset += BATCH_HEADER_BYTES;
        for (const r of a.records) {
          this.#index.add(offset, r.bytes.length, r.event.streamId, r.hash, r.event.tags ?? null);
          offset += r.bytes.length;
        }
      }
      segment.size = offset;
      this.#head = head;
      this.#framed = true;
    }
    for (const a of accepted) a.pending.resolve(a.result);
    if (buffers.length > 0) this.#notifier.notify();
  }

  /**
   * Writes `buffers` at `start` of the segment and syncs them, checking every byte count. A failure cuts
   * the file back to `start`; if the sync failed, or the cut did, this handle stops taking appends.
   */
  async #write(handle: FileHandle, path: string, buffers: Buffer[], start: number): Promise<void> {
    let position = start;
    try {
      let rest = buffers;
      while (rest.length > 0) {
        const { bytesWritten } = await handle.writev(rest, position);
        if (bytesWritten <= 0) throw new StorageError("append to", path, "EIO", "the write made no progress");
        position += bytesWritten;
        rest = dropBytes(rest, bytesWritten);
      }
    } catch (e) {
      const error = StorageError.from(e, "append to", path);
      await this.#cutBack(handle, path, start, error);
      throw error;
    }
    try {
      await handle.datasync();
    } catch (e) {
      // After a failed fsync the kernel may have dropped the dirty pages: what is on disk is unknown.
      const error = StorageError.from(e, "sync", path);
      await this.#cutBack(handle, path, start, error);
      this.#failed ??= error;
      throw error;
    }
  }

  /** Cuts a failed write back off the segment; if that fails too, this handle stops taking appends. */
  async #cutBack(handle: FileHandle, path: string, start: number, cause: unknown): Promise<void> {
    try {
      await handle.truncate(start);
      await handle.datasync();
    } catch {
      this.#failed ??= cause instanceof StoreError ? cause : StorageError.from(cause, "append to", path);
    }
  }

  /** The index of the segment to write `bytes` starting with `firstSeq` into, starting a new one when full. */
  async #segmentFor(bytes: number, firstSeq: number): Promise<number> {
    const current = this.#segments[this.#segments.length - 1];
    const full = current !== undefined && current.size > 0 && current.size + bytes > this.#segmentBytes;
    if (current && !full) return this.#segments.length - 1;
    const path = join(this.#segmentDir, segmentName(firstSeq));
    const handle = await ioAsync("create", path, () => open(path, "wx+"));
    await this.#writer?.handle.close();
    this.#writer = { path, handle };
    this.#segments.push({ firstSeq, path, size: 0 });
    syncDirectory(this.#segmentDir);
    return this.#segments.length - 1;
  }

  async #handleFor(path: string): Promise<FileHandle> {
    if (this.#writer?.path === path) return this.#writer.handle;
    await this.#writer?.handle.close();
    const handle = await ioAsync("open", path, () => open(path, "r+"));
    this.#writer = { path, handle };
    return handle;
  }

  async read(fromSeq = 1, limit = Number.POSITIVE_INFINITY): Promise<StoredEvent[]> {
    this.refresh();
    return this.#checkedRead(() => this.#index.read(this.#segments, fromSeq, limit));
  }

  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    this.refresh();
    return this.#checkedRead(() => this.#index.readStream(this.#segments, streamId, fromVersion));
  }

  /**
   * Runs a read of the index. A record that is not what the index says (changed on disk since it was
   * checked, or a mark that did not describe this log) makes this handle check the whole log again from
   * its start, as opening without a mark does: damage is then a `CorruptLogError` naming where it is;
   * if the log is whole, the read is made again on what was checked.
   */
  #checkedRead(read: () => StoredEvent[]): StoredEvent[] {
    try {
      return read();
    } catch (e) {
      if (!(e instanceof RecordMismatchError) || this.#writing) throw e;
      this.#checkAgain(e);
      return read();
    }
  }

  #checkAgain(cause: RecordMismatchError): void {
    const before = this.#index.count;
    this.#segments.length = 0;
    this.#index.close();
    this.#index = new RecordIndex();
    this.#head = GENESIS_HASH;
    this.#framed = false;
    this.#tail = null;
    if (this.#marked.seq > 0) this.#markStale = true;
    this.refresh();
    if (this.#index.count < before)
      throw new CorruptLogError(
        cause.file,
        cause.offset,
        cause.seq,
        `the log now holds ${this.#index.count} events, fewer than the ${before} already read`,
      );
  }

  /**
   * Writes a verified-prefix mark over every record this handle has checked or written (call holding
   * the lock). A mark is only a shortcut: if it cannot be written (no space, read-only), nothing else
   * changes. It is not fsynced, and needs not be: a mark that a crash cut short fails its checksum; one
   * over bytes a power failure then took back no longer ends in its anchor record (ignored), or leads a
   * read to a record that fails its sha256, and then to the full check that opening without a mark
   * makes, which reports the same as it would have.
   */
  #markPrefix(): void {
    const n = this.#index.count;
    if (this.readOnly || this.#markEvery <= 0 || this.#failed || this.#damage) return;
    if (!this.#markStale && n === this.#marked.seq) return;
    if (n === 0) {
      // An empty log has nothing to mark; a mark that does not hold for it goes.
      try {
        dropMark(this.dir);
        this.#markStale = false;
      } catch {
        // left for the next writer
      }
      return;
    }
    const replace = this.#markStale;
    const from = replace ? 0 : this.#marked.seq;
    try {
      const last = segmentOf(this.#segments, n);
      const segments = this.#segments.slice(0, last + 1).map((s, i) => ({
        firstSeq: s.firstSeq,
        bytes: i === last ? this.#index.offsetOf(n) + this.#index.lengthOf(n) : s.size,
      }));
      // Entries read from INDEX go into a replaced one only if INDEX still has the CRC it was marked with.
      const entries = (a: number, b: number): Buffer => {
        const bytes = this.#index.entryBytes(a, b, replace);
        if (bytes === null) throw new Error("INDEX fails its checksum");
        return bytes;
      };
      const crc = crc32(entries(from, n), replace ? 0 : this.#marked.crc);
      const written = writeMark(
        this.dir,
        {
          seq: n,
          head: this.#index.hashOf(n),
          framed: this.#framed,
          segments,
          indexCrc: crc,
          streams: this.#index.streamRows(),
          tags: this.#index.tagRows(),
        },
        entries,
        { seq: this.#marked.seq, crc: this.#marked.crc, replace },
      );
      if (written) this.#marked = { seq: n, crc };
      this.#markStale = false;
    } catch {
      this.#markStale = true;
    }
  }

  async streamVersion(streamId: string): Promise<number> {
    this.refresh();
    return this.#index.version(streamId);
  }

  /**
   * Hands every event from `fromSeq` on to `handler`, in order and in batches, including those appended
   * later by this or another process, until the subscription (or the log) is closed. A `CorruptLogError`
   * found while following goes to `onError` and ends the subscription.
   */
  subscribe(fromSeq: number, handler: EventHandler, onError: (e: unknown) => void = () => {}): Subscription {
    this.#check();
    this.#watch(onError);
    return subscribeByReading(
      (from, limit) => this.read(from, limit),
      this.#notifier,
      fromSeq,
      handler,
      onError,
    );
  }

  /** Watches the segments directory (and polls: watching can miss changes) for other processes' appends. */
  #watch(onError: (e: unknown) => void): void {
    if (this.#stopWatching) return;
    const look = () => {
      if (this.#closed) return;
      try {
        this.refresh();
      } catch (e) {
        onError(e);
        this.#stopWatching?.();
      }
    };
    const timer = setInterval(look, this.#pollMs);
    let watcher: ReturnType<typeof watch> | null = null;
    try {
      watcher = watch(this.#segmentDir, { persistent: false }, look);
      watcher.on("error", () => {});
    } catch {
      // No watching where the directory cannot be watched; the interval still polls.
    }
    this.#stopWatching = () => {
      clearInterval(timer);
      watcher?.close();
      this.#stopWatching = null;
    };
  }

  /**
   * Re-reads the whole log from disk and checks every batch and record, parsing each; writes nothing.
   * A torn batch at the end (a crash, or a write in progress) is reported in `tail`, not an error;
   * damage anywhere else is a `CorruptLogError`.
   */
  async verify(): Promise<VerifyReport> {
    this.#check();
    const segments = existsSync(this.#segmentDir) ? listSegments(this.#segmentDir) : [];
    const load = loadMark(this.dir, segments);
    const compare = load !== null && "mark" in load ? compareWithMark(this.dir, load) : null;
    const scan = scanLog(segments, { full: true }, (segment, record) => compare?.record(segment, record));
    const indexProblem = compare?.end(scan.events) ?? null;
    const tail = scan.tail
      ? {
          file: (segments[scan.tail.segment] as SegmentFile).path,
          offset: scan.tail.offset,
          bytes: scan.tail.bytes,
        }
      : null;
    const mark =
      load === null
        ? null
        : "mark" in load
          ? { seq: load.mark.seq, ...(indexProblem ? { indexProblem } : {}) }
          : { ignored: load.ignored };
    return { events: scan.events, headHash: scan.headHash, tail, mark };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#flushing) await this.#flushing;
    if (!this.readOnly && (this.#markStale || this.#index.count > this.#marked.seq)) {
      // Mark what this handle checked and wrote, if no other writer is at work (then it marks).
      const attempt = (() => {
        try {
          return tryLock(this.#lockPath);
        } catch {
          return null;
        }
      })();
      if (attempt?.taken) {
        try {
          this.#markPrefix();
        } finally {
          attempt.release();
        }
      }
    }
    this.#closed = true;
    this.#index.close();
    this.#stopWatching?.();
    await this.#writer?.handle.close();
    this.#writer = null;
    this.#notifier.notify();
  }
}

/** The bytes of `path` from `start` to its end; null if the file is now shorter than `start`. */
function readFrom(path: string, start: number): Buffer | null {
  return io("read", path, () => {
    const size = statSync(path).size;
    if (size < start) return null;
    const buf = Buffer.alloc(size - start);
    const fd = openSync(path, "r");
    try {
      let done = 0;
      while (done < buf.length) {
        const n = readSync(fd, buf, done, buf.length - done, start + done);
        if (n === 0) break;
        done += n;
      }
      return buf.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  });
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
