/**
 * The verified-prefix mark of a file log: a writer's durable note of how far it checked the log, so that
 * opening checks only what comes after it. Two files beside `segments/`:
 *
 * - `INDEX`: one 48-byte entry per record from seq 1 (see RecordIndex.ts: offset, length, stream number,
 *   sha256). Only ever written past what the current mark covers (or replaced whole by a rename), so the
 *   entries a mark covers never change under a reader.
 * - `MARK`: one line of JSON — the last seq covered and its sha256 (the head of the hash chain there),
 *   whether batches had begun, each covered segment's first seq and checked bytes, the CRC-32 of the
 *   INDEX entries it covers, each stream's version and last seq and each tag's last seq — then a line
 *   with the sha256 of that JSON. Replaced by writing `MARK.tmp` and renaming it.
 *
 * A mark is a cache: losing it costs only time. It is trusted at open only if all of this holds, and
 * otherwise ignored (the log is then checked from its start, exactly as without a mark):
 * its own checksum; the segments it covers are the first ones listed, with the same first seqs, the
 * sealed ones exactly as long as when they were checked and the last one at least as long; the INDEX
 * holds its entries; and the last record it covers (its anchor) is really there, at the position the
 * INDEX's last entry gives, with a good CRC and the sha256 the mark names. The sha256 chain makes that
 * anchor stand for every record before it: a log cut back, repaired, replaced or rewritten before the
 * anchor does not end in that record. Opening reads nothing else of INDEX: each entry is checked against
 * its record when a read uses it, and INDEX against its CRC when it is needed whole (`readStream`, or
 * copied into a new INDEX).
 *
 * A writer writes a mark only while it holds the lock, and only over whole batches it checked or wrote.
 * The files are written without fsync: a crash can lose or cut them, which their checksums catch.
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { CorruptLogError } from "../errors.js";
import { ENTRY_BYTES, type MarkedEntries, type StreamRow, segmentOf, type TagRow } from "./RecordIndex.js";
import { HEADER_BYTES, sha256Hex } from "./recordCodec.js";
import type { ScannedRecord } from "./scanSegment.js";
import { io, type SegmentFile } from "./segmentFiles.js";

export const MARK_FILE = "MARK";
export const INDEX_FILE = "INDEX";
const FORMAT = "strata.mark";
const VERSION = 1;

/** A segment a mark covers: its first seq and how many of its bytes were checked. */
export interface MarkedSegment {
  readonly firstSeq: number;
  readonly bytes: number;
}

export interface Mark {
  /** The last seq it covers, and that record's sha256. */
  readonly seq: number;
  readonly head: string;
  /** Whether a batch had been seen by then (from then on every record is in a batch). */
  readonly framed: boolean;
  readonly segments: readonly MarkedSegment[];
  /** CRC-32 of INDEX's first `seq` entries. */
  readonly indexCrc: number;
  readonly streams: readonly StreamRow[];
  readonly tags: readonly TagRow[];
}

/** A mark that holds for the log as it is on disk, with its INDEX entries. */
export interface LoadedMark {
  readonly mark: Mark;
  /** Its entries in INDEX, open (whoever loads the mark closes it). */
  readonly index: MarkedEntries;
}

export type MarkLoad = LoadedMark | { readonly ignored: string } | null;

/** Reads `MARK` and checks its own checksum and shape; null if there is none. */
export function readMark(dir: string): Mark | { readonly ignored: string } | null {
  const path = join(dir, MARK_FILE);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    return { ignored: `${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  const newline = bytes.indexOf(0x0a);
  const body = bytes.subarray(0, Math.max(0, newline));
  if (newline < 0 || bytes.toString("latin1", newline + 1) !== `${sha256Hex(body)}\n`)
    return { ignored: `${path} fails its checksum (a write cut short, or changed)` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return { ignored: `${path} is not JSON` };
  }
  const mark = asMark(parsed);
  return mark ?? { ignored: `${path} is not a mark this version reads` };
}

/**
 * The mark of the log in `dir` if it holds for the segments listed (see above); `{ ignored }` saying why
 * not; null if there is none.
 */
export function loadMark(dir: string, listed: readonly SegmentFile[]): MarkLoad {
  const read = readMark(dir);
  if (read === null || "ignored" in read) return read;
  const mark = read;
  const ignored = (why: string) => ({ ignored: `the mark at seq ${mark.seq} does not hold: ${why}` });
  const covered = mark.segments.length;
  if (listed.length < covered)
    return ignored(`it covers ${covered} segments and the log has ${listed.length}`);
  for (let i = 0; i < covered; i++) {
    const m = mark.segments[i] as MarkedSegment;
    const file = listed[i] as SegmentFile;
    if (file.firstSeq !== m.firstSeq)
      return ignored(`segment ${i + 1} starts at seq ${file.firstSeq}, the mark says ${m.firstSeq}`);
    if (i < covered - 1 ? file.size !== m.bytes : file.size < m.bytes)
      return ignored(`${file.path} holds ${file.size} bytes, the mark checked ${m.bytes}`);
  }
  const indexPath = join(dir, INDEX_FILE);
  const bytes = mark.seq * ENTRY_BYTES;
  // Only INDEX's length and last entry are read now: each entry is checked against its record when it is
  // used, and the whole against the CRC when it is all needed (see RecordIndex.ts).
  let fd: number;
  let entry: Buffer;
  try {
    fd = openSync(indexPath, "r");
  } catch (e) {
    return ignored(`${indexPath} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const release = <T>(value: T): T => {
    closeSync(fd);
    return value;
  };
  try {
    const size = fstatSync(fd).size;
    if (size < bytes) return release(ignored(`${indexPath} holds ${size} bytes, not ${bytes}`));
    entry = Buffer.alloc(ENTRY_BYTES);
    if (readSync(fd, entry, 0, ENTRY_BYTES, bytes - ENTRY_BYTES) !== ENTRY_BYTES)
      return release(ignored(`${indexPath} cannot be read`));
  } catch (e) {
    return release(
      ignored(`${indexPath} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`),
    );
  }
  // The anchor: the last record covered, where the index says, ends where checking stopped.
  const last = mark.segments[covered - 1] as MarkedSegment;
  const file = listed[covered - 1] as SegmentFile;
  const offset = entry.readDoubleLE(0);
  const length = entry.readUInt32LE(8);
  const hash = entry.toString("hex", 16, 48);
  if (mark.seq < last.firstSeq || offset + length !== last.bytes || hash !== mark.head)
    return release(ignored("its last entry is not where it says checking stopped"));
  const record = readAt(file.path, offset, length);
  const payload = record?.subarray(HEADER_BYTES);
  if (
    !record ||
    !payload ||
    record.readUInt32LE(0) !== length - HEADER_BYTES ||
    record.readUInt32LE(4) !== crc32(payload) ||
    sha256Hex(payload) !== mark.head
  )
    return release(
      ignored(`the record at ${file.path} byte ${offset} is not the one it covers (seq ${mark.seq})`),
    );
  return { mark, index: { fd, path: indexPath, count: mark.seq, crc: mark.indexCrc } };
}

/**
 * Writes a mark over `entries` (giving the INDEX bytes of seqs `from + 1` to `to`, of 1 to `mark.seq` in
 * all, `mark.indexCrc` their CRC), as
 * described above; returns false if it did not because the mark on disk already covers as much (another
 * writer wrote it). `onDisk` is the mark this writer last wrote or loaded: when the mark on disk is
 * still that one, only the new entries are written after it; otherwise INDEX is replaced whole. With
 * `replace` (the mark on disk does not hold for the log) it is replaced whatever it says. Call only
 * holding the log's lock.
 */
export function writeMark(
  dir: string,
  mark: Mark,
  entries: (from: number, to: number) => Buffer,
  onDisk: { seq: number; crc: number; replace: boolean },
): boolean {
  const indexPath = join(dir, INDEX_FILE);
  const current = readMark(dir);
  const valid = current !== null && !("ignored" in current) ? current : null;
  if (!onDisk.replace && valid && valid.seq >= mark.seq) return false;
  const appendable =
    !onDisk.replace &&
    valid !== null &&
    valid.seq === onDisk.seq &&
    valid.indexCrc === onDisk.crc &&
    onDisk.seq <= mark.seq &&
    fileSize(indexPath) >= onDisk.seq * ENTRY_BYTES;
  if (appendable) {
    io("write", indexPath, () => {
      const fd = openSync(indexPath, "r+");
      try {
        writeAll(fd, entries(onDisk.seq, mark.seq), onDisk.seq * ENTRY_BYTES);
      } finally {
        closeSync(fd);
      }
    });
  } else {
    const tmp = `${indexPath}.tmp`;
    const all = entries(0, mark.seq);
    io("write", tmp, () => writeFileSync(tmp, all));
    io("rename", tmp, () => renameSync(tmp, indexPath));
  }
  const json = JSON.stringify({
    format: FORMAT,
    version: VERSION,
    seq: mark.seq,
    head: mark.head,
    framed: mark.framed,
    segments: mark.segments.map((s) => [s.firstSeq, s.bytes]),
    indexCrc: mark.indexCrc,
    streams: mark.streams,
    tags: mark.tags,
  });
  const body = Buffer.from(json, "utf8");
  const markPath = join(dir, MARK_FILE);
  const tmp = `${markPath}.tmp`;
  io("write", tmp, () =>
    writeFileSync(tmp, Buffer.concat([body, Buffer.from(`\n${sha256Hex(body)}\n`, "latin1")])),
  );
  io("rename", tmp, () => renameSync(tmp, markPath));
  return true;
}

/**
 * Checks a mark record by record against a full scan of the log (what `verify()` does): every entry it
 * covers must be the record scanned at that seq (segment, offset, length, stream, sha256), and its
 * streams and tags what the records up to its seq make them. A mark that opening would trust but that
 * disagrees is a `CorruptLogError` naming the INDEX entry (or MARK) and the seq. An INDEX that fails its
 * CRC is not compared entry by entry (opening checks each entry against its record when it uses it, so it
 * only costs time): `end` says so.
 */
export function compareWithMark(
  dir: string,
  loaded: LoadedMark,
): { record(segment: number, record: ScannedRecord): void; end(events: number): string | null } {
  const { mark, index } = loaded;
  const indexPath = join(dir, INDEX_FILE);
  const markPath = join(dir, MARK_FILE);
  let entries: Buffer | null = Buffer.allocUnsafe(mark.seq * ENTRY_BYTES);
  try {
    let done = 0;
    while (done < entries.length) {
      const n = readSync(index.fd, entries, done, entries.length - done, done);
      if (n === 0) break;
      done += n;
    }
    if (done < entries.length || crc32(entries) !== mark.indexCrc) entries = null;
  } finally {
    closeSync(index.fd);
  }
  const versions = new Map<string, [number, number]>();
  const tags = new Map<string, number>();
  let seq = 0;
  const disagree = (file: string, offset: number, at: number, what: string) =>
    new CorruptLogError(
      file,
      offset,
      at,
      `the verified-prefix mark disagrees with the log: ${what} (strata log repair removes the mark)`,
    );
  const segments = mark.segments.map((m) => ({ firstSeq: m.firstSeq, path: "" }));
  return {
    record(segment, r) {
      seq += 1;
      if (seq > mark.seq) return;
      const v = versions.get(r.streamId) ?? [0, 0];
      versions.set(r.streamId, [v[0] + 1, seq]);
      for (const t of r.tags ?? []) tags.set(t, seq);
      if (entries === null) return;
      const at = (seq - 1) * ENTRY_BYTES;
      const expected = {
        segment: segmentOf(segments, seq),
        offset: entries.readDoubleLE(at),
        length: entries.readUInt32LE(at + 8),
        stream: mark.streams[entries.readUInt32LE(at + 12)]?.[0],
        hash: entries.toString("hex", at + 16, at + 48),
      };
      const found = { segment, offset: r.offset, length: r.length, stream: r.streamId, hash: r.hash };
      for (const key of ["segment", "offset", "length", "stream", "hash"] as const)
        if (expected[key] !== found[key])
          throw disagree(
            indexPath,
            at,
            seq,
            `its entry for seq ${seq} says ${key} ${expected[key]}, the record has ${found[key]}`,
          );
    },
    end(events) {
      if (events < mark.seq)
        throw disagree(
          markPath,
          0,
          events + 1,
          `it covers seq ${mark.seq}, and the log ends at seq ${events}`,
        );
      const streams = mark.streams.map((row) => JSON.stringify(row)).sort();
      const scanned = [...versions]
        .map(([name, [version, last]]) => JSON.stringify([name, version, last]))
        .sort();
      if (streams.join("\n") !== scanned.join("\n"))
        throw disagree(markPath, 0, mark.seq, "its streams' versions are not the log's");
      const marked = mark.tags.map((row) => JSON.stringify(row)).sort();
      const found = [...tags].map((row) => JSON.stringify(row)).sort();
      if (marked.join("\n") !== found.join("\n"))
        throw disagree(markPath, 0, mark.seq, "its tags' last seqs are not the log's");
      return entries === null
        ? `${indexPath} fails its checksum: reads check each entry against its record and, if one is wrong, check the whole log; the next writer that notices rewrites it`
        : null;
    },
  };
}

/**
 * Removes the mark (before a repair changes the segments under it), making the removal durable: a mark
 * must never outlive the log it describes.
 */
export function dropMark(dir: string): void {
  for (const name of [MARK_FILE, `${MARK_FILE}.tmp`, INDEX_FILE, `${INDEX_FILE}.tmp`])
    io("remove", join(dir, name), () => rmSync(join(dir, name), { force: true }));
  io("sync the directory", dir, () => {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}

function asMark(v: unknown): Mark | null {
  if (typeof v !== "object" || v === null) return null;
  const m = v as Record<string, unknown>;
  if (m.format !== FORMAT || m.version !== VERSION) return null;
  const { seq, head, framed, segments, indexCrc, streams, tags } = m;
  if (!isCount(seq) || seq < 1 || typeof head !== "string" || !/^[0-9a-f]{64}$/.test(head)) return null;
  if (typeof framed !== "boolean" || !isCount(indexCrc) || indexCrc > 0xffff_ffff) return null;
  if (!Array.isArray(segments) || segments.length === 0 || !Array.isArray(streams) || !Array.isArray(tags))
    return null;
  const marked: MarkedSegment[] = [];
  for (const s of segments) {
    if (!Array.isArray(s) || s.length !== 2 || !isCount(s[0]) || !isCount(s[1])) return null;
    const previous = marked.at(-1);
    if (s[0] < 1 || (previous ? s[0] <= previous.firstSeq : s[0] !== 1)) return null;
    marked.push({ firstSeq: s[0], bytes: s[1] });
  }
  let events = 0;
  const names = new Set<string>();
  for (const s of streams) {
    if (!Array.isArray(s) || s.length !== 3 || typeof s[0] !== "string" || names.has(s[0])) return null;
    if (!isCount(s[1]) || !isCount(s[2]) || s[1] < 1 || s[2] < s[1] || s[2] > seq) return null;
    names.add(s[0]);
    events += s[1];
  }
  if (events !== seq) return null;
  for (const t of tags)
    if (
      !Array.isArray(t) ||
      t.length !== 2 ||
      typeof t[0] !== "string" ||
      !isCount(t[1]) ||
      t[1] < 1 ||
      t[1] > seq
    )
      return null;
  return {
    seq,
    head,
    framed,
    segments: marked,
    indexCrc,
    streams: streams as StreamRow[],
    tags: tags as TagRow[],
  };
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/** `length` bytes of `path` at `offset`, or null if the file ends before them. */
function readAt(path: string, offset: number, length: number): Buffer | null {
  try {
    const fd = openSync(path, "r");
    try {
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buf, done, length - done, offset + done);
        if (n === 0) return null;
        done += n;
      }
      return buf;
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

function writeAll(fd: number, bytes: Buffer, position: number): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
}
