/**
 * A read-only view of a file log that another process may be writing: `strata events --follow`, audit
 * tools, a second process tailing the log.
 *
 * It takes no lock and never writes: the writer (`FileEventLog`) keeps its lock and its files as they
 * are. It checks every record it reads the way the writer does (CRC-32, seq order, hash chain), but it
 * treats what the writer may be in the middle of differently:
 *
 * - a batch not all there yet at the end of the last segment is *not yet written*: the reader stops
 *   before it and looks again at the next `refresh` (the writer appends whole groups with one write, so
 *   a reader may catch one half-done). It never hands out part of a batch, and never truncates anything.
 * - damage anywhere else (in a closed segment, or followed by more records) is a `CorruptLogError`
 *   naming the file, offset and seq, as for the writer.
 * - a segment that became shorter than what the reader already read (the writer cut back a group whose
 *   fsync failed) is a `CorruptLogError` too: events the reader handed out are gone.
 *
 * A reader sees records once they are written, which can be a moment before the writer's fsync
 * acknowledges them; after a power loss the writer's log may end before what a reader saw.
 *
 * `subscribe` follows the log: it hands over what is there from `fromSeq` on, then watches the segments
 * directory (and polls, since file watching can miss changes) and hands over each new batch in order.
 */
import { closeSync, existsSync, openSync, readSync, statSync, watch } from "node:fs";
import { join } from "node:path";
import type { EventHandler, StoredEvent, Subscription } from "../EventLog.js";
import { CorruptLogError, LogClosedError } from "../errors.js";
import { Notifier, subscribeByReading } from "../Notifier.js";
import { RecordIndex } from "./RecordIndex.js";
import { GENESIS_HASH } from "./recordCodec.js";
import { scanLog } from "./scanLog.js";
import { scanSegment } from "./scanSegment.js";
import { ensureDirectory, io, listSegments, type SegmentFile } from "./segmentFiles.js";

/** A torn batch at the end of a log: the file, where it starts and how many bytes it has. */
export interface TornTail {
  readonly file: string;
  readonly offset: number;
  readonly bytes: number;
}

export interface FileEventLogReaderOptions {
  /** How often a subscription looks for new records when no file change was noticed (default 100 ms). */
  readonly pollMs?: number;
}

interface Segment {
  readonly firstSeq: number;
  readonly path: string;
}

export class FileEventLogReader {
  readonly dir: string;
  readonly #pollMs: number;
  readonly #segments: Segment[] = [];
  readonly #index = new RecordIndex();
  readonly #notifier = new Notifier();
  /** The segment the reader stopped in (-1: none yet), and how far into it it has checked. */
  #segmentRead = -1;
  #offset = 0;
  #head = GENESIS_HASH;
  #framed = false;
  #closed = false;
  #stopWatching: (() => void) | null = null;

  private constructor(dir: string, options: FileEventLogReaderOptions) {
    this.dir = dir;
    this.#pollMs = options.pollMs ?? 100;
  }

  /**
   * Opens the log in `dir` for reading and reads what is there. Takes no lock and creates nothing: a
   * missing `dir` is `LogNotFoundError`, a file there a `StorageError`. (A directory with no segments
   * yet is an empty log: a writer may start it later.)
   */
  static async open(dir: string, options: FileEventLogReaderOptions = {}): Promise<FileEventLogReader> {
    ensureDirectory(dir, false);
    const reader = new FileEventLogReader(dir, options);
    reader.refresh();
    return reader;
  }

  #check(): void {
    if (this.#closed) throw new LogClosedError();
  }

  /** The sha256 head of the hash chain as far as the reader has read. */
  get headHash(): string {
    return this.#head;
  }

  /**
   * Reads and checks what was written since the last refresh; returns the number of new events.
   * Throws `CorruptLogError` on damage that is not a write in progress.
   */
  refresh(): number {
    this.#check();
    const before = this.#index.count;
    const segDir = join(this.dir, "segments");
    const files = existsSync(segDir) ? listSegments(segDir) : [];
    for (const file of files.slice(this.#segments.length)) this.#segments.push(file);
    if (files.length < this.#segments.length) {
      const gone = this.#segments[files.length] as Segment;
      throw new CorruptLogError(gone.path, 0, gone.firstSeq, "segment removed while the log was being read");
    }
    // Continue in the segment read last, where the reader stopped, then go on through any newer ones.
    let index = Math.max(0, this.#segmentRead);
    let base = this.#segmentRead >= 0 ? this.#offset : 0;
    while (index < this.#segments.length) {
      const segment = this.#segments[index] as Segment;
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
        (r) => this.#index.add({ segment: index, ...r }),
      );
      this.#head = end.prev;
      this.#framed = end.framed;
      this.#segmentRead = index;
      this.#offset = end.offset;
      // A tail at the end of the last segment is a write in progress: look again at the next refresh.
      if (end.tail || last) break;
      index += 1;
      base = 0;
    }
    const added = this.#index.count - before;
    if (added > 0) this.#notifier.notify();
    return added;
  }

  /**
   * Re-reads the whole log from disk and checks every batch and record, parsing each, as opening for
   * writing would — but writes nothing. A torn batch at the end (a crash, or a write in progress) is
   * reported in `tail`, not an error; damage anywhere else is a `CorruptLogError`.
   */
  async verify(): Promise<{ events: number; headHash: string; tail: TornTail | null }> {
    this.#check();
    const segDir = join(this.dir, "segments");
    const segments = existsSync(segDir) ? listSegments(segDir) : [];
    const scan = scanLog(segments, { full: true });
    const tail = scan.tail
      ? {
          file: (segments[scan.tail.segment] as SegmentFile).path,
          offset: scan.tail.offset,
          bytes: scan.tail.bytes,
        }
      : null;
    return { events: scan.events, headHash: scan.headHash, tail };
  }

  async lastSeq(): Promise<number> {
    this.#check();
    return this.#index.count;
  }

  /** Events from `fromSeq` on (as far as the last refresh read), at most `limit`. */
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

  /**
   * Hands every event from `fromSeq` on to `handler`, in order and in batches, including the ones the
   * writer appends later, until the subscription (or the reader) is closed. A `CorruptLogError` found
   * while following goes to `onError` and ends the subscription.
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
      watcher = watch(join(this.dir, "segments"), { persistent: false }, look);
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

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopWatching?.();
    this.#notifier.notify();
  }
}

/** The bytes of `path` from `start` to its end; null if the file is now shorter than `start`. */
function readFrom(path: string, start: number): Buffer | null {
  return io("read", path, () => readFromUnchecked(path, start));
}

function readFromUnchecked(path: string, start: number): Buffer | null {
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
}
