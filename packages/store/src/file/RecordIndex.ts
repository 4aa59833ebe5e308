/**
 * The index of a file log, shared by the writer and the reader (`FileEventLog`): for each record (by
 * seq) its byte offset and length in its segment, its stream and its sha256, and for each stream its
 * version and last seq, for each tag its last seq. A record's segment is not stored: segments hold
 * consecutive seqs, so it is found by binary search over their first seqs.
 *
 * An entry is 48 bytes (offset f64, length u32, stream number u32, sha256 32 bytes, little-endian), the
 * bytes the verified-prefix mark keeps on disk (`INDEX`, see verifiedMark.ts). Opened from a mark, the
 * index reads the entries the mark covers from `INDEX` when they are used (it keeps the file open, so
 * a writer replacing it changes nothing under it) and keeps only later ones in memory: opening costs
 * nothing per marked record. No object is made per record; the seqs of a stream are listed only when
 * `readStream` first asks (then INDEX is read whole and checked against the mark's CRC).
 *
 * Reads go back to the segment files with one positional read per run of records in the same segment and
 * parse each record once. A record this handle checked itself (scanned, or wrote) is checked on read to be
 * the one expected (seq, stream, and the chain field it was checked with); a record only the mark vouches
 * for (`trustedThrough`) is hashed too, and must hash to its entry's sha256, so a record changed on disk
 * since the mark was written (bit rot, or a record forged with valid CRCs) is never handed out.
 */
import { closeSync, openSync, readSync } from "node:fs";
import { crc32 } from "node:zlib";
import type { StoredEvent } from "../EventLog.js";
import { CorruptLogError } from "../errors.js";
import { decodePayload, HEADER_BYTES, MAX_RECORD_BYTES, sha256Hex } from "./recordCodec.js";

/** Bytes of one index entry (see above). */
export const ENTRY_BYTES = 48;

/** A stream as the mark keeps it: its id, version (number of events) and last seq. */
export type StreamRow = readonly [streamId: string, version: number, lastSeq: number];
/** A tag and its last seq. */
export type TagRow = readonly [tag: string, lastSeq: number];

/** A record read back that is not the one the index expects: damage, or a stale index. */
export class RecordMismatchError extends CorruptLogError {}

/** The entries a mark covers, in its INDEX file: seqs 1 to `count`, whose CRC-32 is `crc`. */
export interface MarkedEntries {
  readonly fd: number;
  readonly path: string;
  readonly count: number;
  readonly crc: number;
}

export class RecordIndex {
  /** Entries of seqs 1 to `#base` are in INDEX (`#disk`); later ones in `#entries`, from its start. */
  #disk: MarkedEntries | null = null;
  #base = 0;
  #entries: Buffer;
  #view: DataView;
  #count = 0;
  readonly #streamNames: string[] = [];
  readonly #streamNumbers = new Map<string, number>();
  readonly #versions: number[] = [];
  readonly #lastSeqs: number[] = [];
  readonly #lastByTag = new Map<string, number>();
  /** The seqs of each stream (by number), listed on first use by `readStream`, then kept up to date. */
  #streamSeqs: number[][] | null = null;
  /**
   * Records up to this seq were vouched for by a verified-prefix mark, not checked by this handle: each
   * is hashed when read and must match its entry.
   */
  trustedThrough = 0;

  constructor() {
    this.#entries = Buffer.alloc(ENTRY_BYTES * 1024);
    this.#view = new DataView(this.#entries.buffer, this.#entries.byteOffset, this.#entries.length);
  }

  /**
   * An index restored from a mark: its entries in INDEX (the index now owns the open file), its streams
   * in number order, its tags with their last seqs.
   */
  static restore(disk: MarkedEntries, streams: readonly StreamRow[], tags: readonly TagRow[]): RecordIndex {
    const index = new RecordIndex();
    const count = disk.count;
    index.#disk = disk;
    index.#base = count;
    index.#count = count;
    for (const [name, version, last] of streams) {
      index.#streamNumbers.set(name, index.#streamNames.length);
      index.#streamNames.push(name);
      index.#versions.push(version);
      index.#lastSeqs.push(last);
    }
    for (const [tag, last] of tags) index.#lastByTag.set(tag, last);
    index.trustedThrough = count;
    return index;
  }

  /** How many records are indexed: the last seq. */
  get count(): number {
    return this.#count;
  }

  /** Closes INDEX, if the index reads from it. */
  close(): void {
    if (this.#disk) closeSync(this.#disk.fd);
    this.#disk = null;
  }

  /** Indexes the next record (seq `count + 1`): where it is, its stream, its sha256 (hex), its tags. */
  add(offset: number, length: number, streamId: string, hash: string, tags: readonly string[] | null): void {
    const at = (this.#count - this.#base) * ENTRY_BYTES;
    if (at + ENTRY_BYTES > this.#entries.length) {
      const grown = Buffer.alloc(Math.max(this.#entries.length * 2, ENTRY_BYTES * 1024));
      this.#entries.copy(grown, 0, 0, at);
      this.#entries = grown;
      this.#view = new DataView(grown.buffer, grown.byteOffset, grown.length);
    }
    let stream = this.#streamNumbers.get(streamId);
    if (stream === undefined) {
      stream = this.#streamNames.length;
      this.#streamNumbers.set(streamId, stream);
      this.#streamNames.push(streamId);
      this.#versions.push(0);
      this.#lastSeqs.push(0);
      this.#streamSeqs?.push([]);
    }
    this.#view.setFloat64(at, offset, true);
    this.#view.setUint32(at + 8, length, true);
    this.#view.setUint32(at + 12, stream, true);
    this.#entries.write(hash, at + 16, 32, "hex");
    this.#count += 1;
    const seq = this.#count;
    this.#versions[stream] = (this.#versions[stream] as number) + 1;
    this.#lastSeqs[stream] = seq;
    this.#streamSeqs?.[stream]?.push(seq);
    if (tags) for (const t of tags) this.#lastByTag.set(t, seq);
  }

  /** Where record `seq` is in its segment: byte offset and length (header included). */
  offsetOf(seq: number): number {
    return this.#entryBytes(seq - 1, seq).readDoubleLE(0);
  }

  lengthOf(seq: number): number {
    return this.#entryBytes(seq - 1, seq).readUInt32LE(8);
  }

  /** The sha256 (hex) of record `seq`'s payload, as checked when it was indexed. */
  hashOf(seq: number): string {
    return this.#entryBytes(seq - 1, seq).toString("hex", 16, 48);
  }

  /**
   * The bytes of entries `from + 1` to `to` (seqs), as the mark's INDEX keeps them. Those read from
   * INDEX are not checked here (each is checked against its record when used); `checked` reads all
   * of INDEX and checks its CRC first, and is null if it fails.
   */
  entryBytes(from: number, to: number, checked = false): Buffer | null {
    if (checked && from < this.#base) {
      const disk = this.#entryBytes(0, this.#base);
      if (crc32(disk) !== (this.#disk as MarkedEntries).crc) return null;
      return Buffer.concat([
        disk.subarray(from * ENTRY_BYTES),
        this.#entryBytes(this.#base, Math.max(to, this.#base)),
      ]).subarray(0, (to - from) * ENTRY_BYTES);
    }
    return this.#entryBytes(from, to);
  }

  /** Entries `from + 1` to `to`: from memory, or read from INDEX, or both. */
  #entryBytes(from: number, to: number): Buffer {
    const base = this.#base;
    if (from >= base) return this.#entries.subarray((from - base) * ENTRY_BYTES, (to - base) * ENTRY_BYTES);
    const disk = this.#disk as MarkedEntries;
    const read = readAt(disk.fd, disk.path, from * ENTRY_BYTES, (Math.min(to, base) - from) * ENTRY_BYTES);
    return to <= base ? read : Buffer.concat([read, this.#entries.subarray(0, (to - base) * ENTRY_BYTES)]);
  }

  /** The streams in number order, each with its version and last seq. */
  streamRows(): StreamRow[] {
    return this.#streamNames.map((name, i) => [
      name,
      this.#versions[i] as number,
      this.#lastSeqs[i] as number,
    ]);
  }

  tagRows(): TagRow[] {
    return [...this.#lastByTag];
  }

  /** The last seq of an event with `key` (a stream id or a tag); 0 if none. */
  lastSeqOf(key: string): number {
    const stream = this.#streamNumbers.get(key);
    return Math.max(
      stream === undefined ? 0 : (this.#lastSeqs[stream] as number),
      this.#lastByTag.get(key) ?? 0,
    );
  }

  /** The number of events of `streamId` (0: none). */
  version(streamId: string): number {
    const stream = this.#streamNumbers.get(streamId);
    return stream === undefined ? 0 : (this.#versions[stream] as number);
  }

  /** Events from `fromSeq` on, at most `limit`, read from `segments` (in order, each with its first seq). */
  read(segments: readonly SegmentRef[], fromSeq: number, limit: number): StoredEvent[] {
    const start = Math.max(1, fromSeq);
    const end = Math.min(this.count, Number.isFinite(limit) ? start + limit - 1 : this.count);
    const out: StoredEvent[] = [];
    if (start <= end) this.#readRange(segments, start, end, out);
    return out;
  }

  /** The events of `streamId` from version `fromVersion` on. */
  readStream(segments: readonly SegmentRef[], streamId: string, fromVersion: number): StoredEvent[] {
    const stream = this.#streamNumbers.get(streamId);
    if (stream === undefined) return [];
    const seqs = (this.#listStreams()[stream] as number[]).slice(Math.max(0, fromVersion - 1));
    const out: StoredEvent[] = [];
    for (const seq of seqs) this.#readRange(segments, seq, seq, out);
    return out;
  }

  #listStreams(): number[][] {
    if (this.#streamSeqs) return this.#streamSeqs;
    const entries = this.entryBytes(0, this.#count, true);
    if (entries === null) {
      const path = (this.#disk as MarkedEntries).path;
      throw new RecordMismatchError(path, 0, null, "the verified-prefix mark's INDEX fails its checksum");
    }
    const lists: number[][] = this.#streamNames.map(() => []);
    for (let seq = 1; seq <= this.#count; seq++) {
      const list = lists[entries.readUInt32LE((seq - 1) * ENTRY_BYTES + 12)];
      if (!list) {
        const path = this.#disk?.path ?? "INDEX";
        throw new RecordMismatchError(path, (seq - 1) * ENTRY_BYTES, seq, "an INDEX entry names no stream");
      }
      list.push(seq);
    }
    this.#streamSeqs = lists;
    return lists;
  }

  /**
   * Reads seqs `start` to `end` into `out`: per segment, its records' bytes in runs of about 1 MiB, each
   * one positional read into a buffer reused from read to read (nothing of it outlives the read). The
   * entries of a part the mark covers are read from INDEX in one read.
   */
  #readRange(segments: readonly SegmentRef[], start: number, end: number, out: StoredEvent[]): void {
    let seq = start;
    while (seq <= end) {
      const partEnd = seq <= this.#base ? Math.min(end, this.#base) : end;
      const entries = this.#entryBytes(seq - 1, partEnd);
      this.#readPart(segments, seq, partEnd, entries, out);
      seq = partEnd + 1;
    }
  }

  /** Reads seqs `start` to `end`, whose entries are `entries` (from `start`'s), into `out`. */
  #readPart(
    segments: readonly SegmentRef[],
    start: number,
    end: number,
    entries: Buffer,
    out: StoredEvent[],
  ): void {
    const view = new DataView(entries.buffer, entries.byteOffset, entries.length);
    const at = (seq: number) => (seq - start) * ENTRY_BYTES;
    let seq = start;
    while (seq <= end) {
      const s = segmentOf(segments, seq);
      const segment = segments[s] as SegmentRef;
      const next = segments[s + 1];
      const segmentEnd = next ? Math.min(end, next.firstSeq - 1) : end;
      const first = view.getFloat64(at(seq), true);
      const firstLength = view.getUint32(at(seq) + 8, true);
      if (!plausible(first, firstLength))
        throw new RecordMismatchError(segment.path, 0, seq, "its index entry cannot be right");
      let last = seq;
      let runEnd = first + firstLength;
      while (last < segmentEnd) {
        const e = at(last + 1);
        const offset = view.getFloat64(e, true);
        const length = view.getUint32(e + 8, true);
        // Records follow one another; an entry that says otherwise is refused below, when it is read.
        if (!plausible(offset, length) || offset < runEnd || offset + length - first > RUN_BYTES) break;
        runEnd = offset + length;
        last += 1;
      }
      const buf = readBytes(segment.path, first, runEnd - first, seq);
      for (let q = seq; q <= last; q++) {
        const entry = at(q);
        const offset = view.getFloat64(entry, true);
        const length = view.getUint32(entry + 8, true);
        const from = offset - first;
        const payload = from + HEADER_BYTES;
        const stop = from + length;
        let problem: string | null = null;
        if (
          from < 0 ||
          stop > buf.length ||
          length <= HEADER_BYTES ||
          buf.readUInt32LE(from) !== length - HEADER_BYTES
        )
          problem = "its length is not the one it was checked with";
        else if (q <= this.trustedThrough) {
          HASH.write(sha256Hex(buf.subarray(payload, stop)), 0, 32, "hex");
          if (HASH.compare(entries, entry + 16, entry + 48) !== 0)
            problem = "it does not hash to what the verified-prefix mark recorded for it";
        }
        const stream = this.#streamNames[view.getUint32(entry + 12, true)];
        const event =
          problem === null && stream !== undefined ? decodePayload(buf, payload, stop, q, stream) : null;
        if (event === null)
          throw new RecordMismatchError(
            segment.path,
            offset,
            q,
            `the record changed on disk since it was checked: ${problem ?? "its JSON is not the event it was checked as"}`,
          );
        out.push(event);
      }
      seq = last + 1;
    }
  }
}

/** Whether an entry's offset and length could be a record's (anything else is a damaged index). */
const plausible = (offset: number, length: number) =>
  Number.isSafeInteger(offset) &&
  offset >= 0 &&
  length > HEADER_BYTES &&
  length <= MAX_RECORD_BYTES + HEADER_BYTES;

/** A read gathers records into runs of about this many bytes (a larger record is read alone). */
const RUN_BYTES = 1 << 20;
const HASH = Buffer.alloc(32);
const scratch = Buffer.allocUnsafe(RUN_BYTES);

/** A segment as reads need it: its file and first seq. */
export interface SegmentRef {
  readonly path: string;
  readonly firstSeq: number;
}

/** The index of the segment holding `seq`: the last one whose first seq is not after it. */
export function segmentOf(segments: readonly SegmentRef[], seq: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((segments[mid] as SegmentRef).firstSeq <= seq) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** `length` bytes of the open file `fd` (`path`, for errors) from `offset`; a file that ends before them is a mismatch. */
function readAt(fd: number, path: string, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, offset + done);
    if (n === 0)
      throw new RecordMismatchError(path, offset + done, null, "the INDEX ends before its entries");
    done += n;
  }
  return buf;
}

/**
 * `length` bytes of `path` from `offset`, in the shared read buffer (valid until the next read) unless
 * they are more; a file that ends before them is damage (naming `seq`).
 */
function readBytes(path: string, offset: number, length: number, seq: number): Buffer {
  const buf = length <= scratch.length ? scratch.subarray(0, length) : Buffer.allocUnsafe(length);
  const fd = openSync(path, "r");
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, buf, done, length - done, offset + done);
      if (n === 0)
        throw new RecordMismatchError(path, offset + done, seq, "the segment ends before its records");
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}
