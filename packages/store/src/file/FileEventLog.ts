/**
 * The file backend, the embedded default: append-only segment files in one directory.
 *
 * Layout: `<dir>/LOCK` (the writer's pid) and `<dir>/segments/<first seq, 16 digits>.seg`, each a
 * sequence of records (see recordCodec.ts: length, CRC-32, JSON payload chained by sha256). A segment is
 * closed when it passes `segmentBytes`; the next one starts with the next seq.
 *
 * Durability: appends are queued and written in groups (group commit): one write and one fsync per
 * group, and no append is acknowledged before the fsync that covers it. On open, every record is
 * checked (CRC, seq order, hash chain). A record cut short at the very end of the last segment, or
 * failing its checksum with nothing after it, is a torn tail from a crash: it is truncated and reported
 * (`openReport.truncated`); it was never acknowledged. Damage anywhere else is a `CorruptLogError` naming
 * the file, offset and seq; nothing is truncated or skipped.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
} from "node:fs";
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
import { CorruptLogError, ExpectedVersionConflictError, LogClosedError } from "../errors.js";
import { Notifier, subscribeByReading } from "../Notifier.js";
import { acquireLock } from "./lock.js";
import { RecordIndex } from "./RecordIndex.js";
import { decodeRecord, encodeRecord, GENESIS_HASH } from "./recordCodec.js";
import { scanSegment } from "./scanSegment.js";

export interface FileEventLogOptions {
  /** Size after which a segment is closed and a new one started (default 64 MiB). */
  readonly segmentBytes?: number;
}

/** What opening found. */
export interface OpenReport {
  readonly events: number;
  readonly segments: number;
  /** A torn tail that was cut off, if any. */
  readonly truncated: { readonly file: string; readonly offset: number; readonly bytes: number } | null;
  /** sha256 of the last record's payload: the head of the hash chain. */
  readonly headHash: string;
}

interface Segment {
  readonly firstSeq: number;
  readonly path: string;
  size: number;
}

interface Pending {
  readonly events: readonly NewStoredEvent[];
  readonly expected: Readonly<Record<string, ExpectedVersion>>;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}

const segmentName = (firstSeq: number) => `${String(firstSeq).padStart(16, "0")}.seg`;

export class FileEventLog implements EventLog {
  readonly dir: string;
  readonly openReport: OpenReport;
  readonly #segmentBytes: number;
  readonly #segments: Segment[];
  readonly #index = new RecordIndex();
  readonly #notifier = new Notifier();
  readonly #release: () => void;
  #head: string;
  #writer: FileHandle | null = null;
  #queue: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #closed = false;

  private constructor(dir: string, options: FileEventLogOptions, release: () => void) {
    this.dir = dir;
    this.#segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.#release = release;
    const segDir = join(dir, "segments");
    mkdirSync(segDir, { recursive: true });
    this.#segments = readdirSync(segDir)
      .filter((f) => /^\d{16}\.seg$/.test(f))
      .sort()
      .map((f) => ({
        firstSeq: Number(f.slice(0, 16)),
        path: join(segDir, f),
        size: statSync(join(segDir, f)).size,
      }));
    const { truncated, head } = this.#scan();
    this.#head = head;
    this.openReport = {
      events: this.#index.count,
      segments: this.#segments.length,
      truncated,
      headHash: head,
    };
  }

  /**
   * Opens (creating if needed) the log in `dir`, takes its lock, checks every record and cuts a torn
   * tail. Throws `LogLockedError` if another live process holds the log, `CorruptLogError` on damage.
   */
  static async open(dir: string, options: FileEventLogOptions = {}): Promise<FileEventLog> {
    mkdirSync(dir, { recursive: true });
    const release = acquireLock(join(dir, "LOCK"));
    try {
      return new FileEventLog(dir, options, release);
    } catch (e) {
      release();
      throw e;
    }
  }

  /** Reads and checks every segment, building the indexes; cuts a torn tail. */
  #scan(): { truncated: OpenReport["truncated"]; head: string } {
    let at = { seq: 1, prev: GENESIS_HASH };
    let truncated: OpenReport["truncated"] = null;
    for (const [index, segment] of this.#segments.entries()) {
      const buf = readFileSync(segment.path);
      const end = scanSegment(
        buf,
        {
          path: segment.path,
          firstSeq: segment.firstSeq,
          base: 0,
          ...at,
          last: index === this.#segments.length - 1,
        },
        (r) => this.#index.add({ segment: index, ...r }),
      );
      at = end;
      if (end.tail) {
        truncateSync(segment.path, end.offset);
        truncated = { file: segment.path, offset: end.offset, bytes: buf.length - end.offset };
        segment.size = end.offset;
      }
    }
    return { truncated, head: at.prev };
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
        const { bytes, hash } = encodeRecord(event, head);
        head = hash;
        versions.set(e.streamId, version(e.streamId) + 1);
        streamVersions[e.streamId] = version(e.streamId);
        return { event, bytes };
      });
      accepted.push({ pending, records, result: { firstSeq, lastSeq: seq, streamVersions } });
    }
    const all = accepted.flatMap((a) => a.records);
    if (all.length === 0) {
      for (const a of accepted) a.pending.resolve(a.result);
      return;
    }
    try {
      const bytes = all.reduce((n, r) => n + r.bytes.length, 0);
      const writer = await this.#writerFor(bytes, (all[0] as { event: StoredEvent }).event.seq);
      const segmentIndex = this.#segments.length - 1;
      const segment = this.#segments[segmentIndex] as Segment;
      const start = segment.size;
      try {
        await writer.writev(
          all.map((r) => r.bytes),
          start,
        );
        await writer.datasync();
      } catch (e) {
        // Leave no partial group behind: cut the file back to where it was.
        await writer.truncate(start).catch(() => {});
        throw e;
      }
      let offset = start;
      for (const r of all) {
        this.#index.add({
          segment: segmentIndex,
          offset,
          length: r.bytes.length,
          streamId: r.event.streamId,
        });
        offset += r.bytes.length;
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

  /** The handle of the segment to write `bytes` starting with `firstSeq` into, starting a new one when full. */
  async #writerFor(bytes: number, firstSeq: number): Promise<FileHandle> {
    const current = this.#segments[this.#segments.length - 1];
    if (current && this.#writer && current.size + bytes <= this.#segmentBytes) return this.#writer;
    if (current && current.size > 0 && current.size + bytes > this.#segmentBytes) {
      await this.#writer?.close();
      this.#writer = null;
      const path = join(this.dir, "segments", segmentName(firstSeq));
      this.#segments.push({ firstSeq, path, size: 0 });
      this.#writer = await open(path, "a+");
      this.#syncDir();
      return this.#writer;
    }
    if (!current) {
      const path = join(this.dir, "segments", segmentName(firstSeq));
      this.#segments.push({ firstSeq, path, size: 0 });
      this.#writer = await open(path, "a+");
      this.#syncDir();
      return this.#writer;
    }
    this.#writer = await open(current.path, "r+");
    return this.#writer;
  }

  /** fsync the segments directory, so a new segment file itself survives a crash. */
  #syncDir(): void {
    const fd = openSync(join(this.dir, "segments"), "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
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

  /** Re-reads the whole log from disk and checks every record and the hash chain; returns the head hash. */
  async verify(): Promise<{ events: number; headHash: string }> {
    this.#check();
    let prev = GENESIS_HASH;
    let seq = 0;
    for (const segment of this.#segments) {
      const buf = readFileSync(segment.path).subarray(0, segment.size);
      let offset = 0;
      while (offset < buf.length) {
        const d = decodeRecord(buf, offset);
        if (d.kind !== "record")
          throw new CorruptLogError(
            segment.path,
            offset,
            seq + 1,
            d.kind === "incomplete" ? "record cut short" : d.problem,
          );
        if (d.event.seq !== seq + 1)
          throw new CorruptLogError(segment.path, offset, seq + 1, `record has seq ${d.event.seq}`);
        if (d.prev !== prev) throw new CorruptLogError(segment.path, offset, seq + 1, "hash chain broken");
        prev = d.hash;
        seq += 1;
        offset = d.end;
      }
    }
    return { events: seq, headHash: prev };
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
