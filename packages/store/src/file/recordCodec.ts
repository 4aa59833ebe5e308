/**
 * The on-disk format of the file log.
 *
 * A **record** is a header of two little-endian u32 — the payload length and the payload's CRC-32 — then
 * the payload, the event as UTF-8 JSON with one more field, `prev`: the sha256 (hex) of the previous
 * record's payload (64 zeros for the first). The CRC catches a damaged record; the hash chain catches
 * records that were removed, reordered or forged.
 *
 * A **batch** (one `append`) is a 20-byte header, then its records: the magic `F5 53 42 31` (a value no
 * record length can take, so a batch is told from a record of a log written before batches existed),
 * u32 count of records, u32 byte length of the records, u32 CRC-32 of those bytes, u32 CRC-32 of the
 * header's first 16 bytes. A batch whose bytes are not all on disk is a torn batch: opening cuts the log
 * back to the batch before it, so no part of a batch is ever kept.
 */
import { createHash, hash } from "node:crypto";
import { crc32 } from "node:zlib";
import { dataJsonOf, type NewStoredEvent, type StoredEvent } from "../EventLog.js";

export const HEADER_BYTES = 8;
/** Larger records are refused (and a larger length on disk is damage). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
export const GENESIS_HASH = "0".repeat(64);

/** The first bytes of a batch. Read as a record length (u32 LE) it is far over `MAX_RECORD_BYTES`. */
export const BATCH_MAGIC: Buffer = Buffer.from([0xf5, 0x53, 0x42, 0x31]);
export const BATCH_HEADER_BYTES = 20;
/** The largest batch body (the u32 of its header), about 4 GiB. */
export const MAX_BATCH_BYTES = 0xffff_ffff;

export function sha256Hex(bytes: Uint8Array): string {
  // crypto.hash (Node 20.12+) skips the Hash object: about twice as fast for records this small.
  return typeof hash === "function"
    ? hash("sha256", bytes, "hex")
    : createHash("sha256").update(bytes).digest("hex");
}

/**
 * The bytes of one record, and the hash the next record must name as `prev`. `source` is the event as
 * it was given to `append` (its data's JSON was computed when the batch was checked).
 */
export function encodeRecord(
  event: StoredEvent,
  prev: string,
  source: NewStoredEvent = event,
): { bytes: Buffer; hash: string } {
  // The same text as JSON.stringify of { seq, streamId, tags?, type, schemaVersion, recordedAt, data, prev }.
  const tags = event.tags && event.tags.length > 0 ? `,"tags":${JSON.stringify(event.tags)}` : "";
  const payload = Buffer.from(
    `{"seq":${event.seq},"streamId":${JSON.stringify(event.streamId)}${tags},"type":${JSON.stringify(event.type)},"schemaVersion":${event.schemaVersion},"recordedAt":${event.recordedAt},"data":${dataJsonOf(source)},"prev":"${prev}"}`,
    "utf8",
  );
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return { bytes: Buffer.concat([header, payload]), hash: sha256Hex(payload) };
}

/** The header of a batch made of `records` (each a whole record, as `encodeRecord` made it). */
export function encodeBatchHeader(records: readonly Uint8Array[]): Buffer {
  let bytes = 0;
  let crc = 0;
  for (const r of records) {
    bytes += r.length;
    crc = crc32(r, crc);
  }
  const header = Buffer.alloc(BATCH_HEADER_BYTES);
  BATCH_MAGIC.copy(header, 0);
  header.writeUInt32LE(records.length, 4);
  header.writeUInt32LE(bytes, 8);
  header.writeUInt32LE(crc, 12);
  header.writeUInt32LE(crc32(header.subarray(0, 16)), 16);
  return header;
}

/** What reading a batch header at an offset found. */
export type PeekedBatch =
  | {
      readonly kind: "batch";
      readonly count: number;
      /** Where the records start and where the batch ends. */
      readonly start: number;
      readonly end: number;
      readonly bodyCrc: number;
    }
  | { readonly kind: "incomplete" }
  | { readonly kind: "damaged"; readonly problem: string };

/** Whether the bytes at `offset` (up to 4 of them) are the start of a batch. */
export function startsBatch(buf: Uint8Array, offset: number): boolean {
  const n = Math.min(4, buf.length - offset);
  for (let i = 0; i < n; i++) if (buf[offset + i] !== BATCH_MAGIC[i]) return false;
  return n > 0;
}

/** Reads the batch header at `offset` of `buf` (checking its own CRC, not yet the records'). */
export function peekBatchHeader(buf: Buffer, offset: number): PeekedBatch {
  if (!startsBatch(buf, offset)) return { kind: "damaged", problem: "a batch header was expected here" };
  if (offset + BATCH_HEADER_BYTES > buf.length) return { kind: "incomplete" };
  if (crc32(buf.subarray(offset, offset + 16)) !== buf.readUInt32LE(offset + 16))
    return { kind: "damaged", problem: "the batch header fails its checksum" };
  const count = buf.readUInt32LE(offset + 4);
  const bytes = buf.readUInt32LE(offset + 8);
  if (count === 0 || bytes < count * (HEADER_BYTES + 2))
    return { kind: "damaged", problem: `impossible batch header (${count} records in ${bytes} bytes)` };
  const start = offset + BATCH_HEADER_BYTES;
  const end = start + bytes;
  if (end > buf.length) return { kind: "incomplete" };
  return { kind: "batch", count, start, end, bodyCrc: buf.readUInt32LE(offset + 12) };
}

/** The CRC-32 of a batch's records, to compare with its header's. */
export function batchBodyCrc(buf: Buffer, start: number, end: number): number {
  return crc32(buf.subarray(start, end));
}

/**
 * Whether `buf[offset..]` could be the start of a record written before batches existed and cut short
 * by a crash: its length is possible and the payload bytes present begin as `encodeRecord`'s do.
 */
export function couldBeCutRecord(buf: Buffer, offset: number, seq: number): boolean {
  if (offset + HEADER_BYTES > buf.length) return true;
  const length = buf.readUInt32LE(offset);
  if (length === 0 || length > MAX_RECORD_BYTES) return false;
  const expected = Buffer.from(`{"seq":${seq},`);
  const present = buf.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + expected.length);
  return present.equals(expected.subarray(0, present.length));
}

/** What reading a record at an offset found. */
export type Decoded =
  | {
      readonly kind: "record";
      readonly event: StoredEvent;
      readonly prev: string;
      readonly hash: string;
      readonly end: number;
    }
  | { readonly kind: "incomplete" }
  | { readonly kind: "damaged"; readonly problem: string; readonly end: number | null };

/** Decodes the record at `offset` of `buf`. */
export function decodeRecord(buf: Buffer, offset: number): Decoded {
  if (offset + HEADER_BYTES > buf.length) return { kind: "incomplete" };
  const length = buf.readUInt32LE(offset);
  const crc = buf.readUInt32LE(offset + 4);
  if (length === 0 || length > MAX_RECORD_BYTES)
    return { kind: "damaged", problem: `impossible record length ${length}`, end: null };
  const end = offset + HEADER_BYTES + length;
  if (end > buf.length) return { kind: "incomplete" };
  const payload = buf.subarray(offset + HEADER_BYTES, end);
  if (crc32(payload) !== crc) return { kind: "damaged", problem: "checksum mismatch", end };
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(payload.toString("utf8")) as Record<string, unknown>;
  } catch {
    return { kind: "damaged", problem: "payload is not JSON", end };
  }
  const prev = parsed.prev;
  if (typeof prev !== "string" || typeof parsed.seq !== "number")
    return { kind: "damaged", problem: "payload lacks seq or prev", end };
  return { kind: "record", event: storedEvent(parsed), prev, hash: sha256Hex(payload), end };
}

/** The event of a parsed payload (every field but `prev`, built directly: faster than a rest spread). */
function storedEvent(p: Record<string, unknown>): StoredEvent {
  const event = {
    seq: p.seq,
    streamId: p.streamId,
    type: p.type,
    schemaVersion: p.schemaVersion,
    recordedAt: p.recordedAt,
    data: p.data,
  } as StoredEvent & { tags?: readonly string[] };
  if (Array.isArray(p.tags)) event.tags = p.tags as string[];
  return event;
}

/**
 * The event in the payload `buf[start..end]` of a record already checked (by a scan, or against the
 * sha256 a verified-prefix mark recorded), if it is the record expected: seq `seq` of stream `streamId`.
 * Parses once, without copying: a payload laid out as `encodeRecord` writes it ends with
 * `,"prev":"<64 hex>"}`, and the JSON before that is parsed alone (the comma briefly made a `}` in
 * `buf`), so the parsed object is the event itself; it must not name `prev` again, so the chain field
 * the check used is the only one. A payload laid out otherwise is parsed whole and its `prev` compared.
 * Null if the JSON is not that event.
 */
export function decodePayload(
  buf: Buffer,
  start: number,
  end: number,
  seq: number,
  streamId: string,
): StoredEvent | null {
  const tail = end - TAIL_BYTES;
  let parsed: Record<string, unknown>;
  if (tail > start && bytesAt(buf, tail, TAIL) && buf[end - 2] === 0x22 && buf[end - 1] === 0x7d) {
    buf[tail] = 0x7d;
    try {
      parsed = JSON.parse(buf.toString("utf8", start, tail + 1)) as Record<string, unknown>;
    } catch {
      return null;
    } finally {
      buf[tail] = 0x2c;
    }
    if (typeof parsed !== "object" || parsed === null || parsed.prev !== undefined) return null;
  } else {
    try {
      parsed = JSON.parse(buf.toString("utf8", start, end)) as Record<string, unknown>;
    } catch {
      return null;
    }
    if (typeof parsed !== "object" || parsed === null || typeof parsed.prev !== "string") return null;
    parsed = storedEvent(parsed) as unknown as Record<string, unknown>;
  }
  if (parsed.seq !== seq || parsed.streamId !== streamId) return null;
  if (parsed.tags !== undefined && !isTagList(parsed.tags)) return null;
  return parsed as unknown as StoredEvent;
}

function isTagList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((t) => typeof t === "string");
}

/** What `peekRecord` found: the fields the index needs, without parsing the payload's JSON. */
export type Peeked =
  | {
      readonly kind: "record";
      readonly seq: number;
      readonly streamId: string;
      /** The event's tags (null: none). */
      readonly tags: readonly string[] | null;
      readonly prev: string;
      readonly hash: string;
      readonly end: number;
    }
  | { readonly kind: "incomplete" }
  | { readonly kind: "damaged"; readonly problem: string; readonly end: number | null };

const HEAD = Buffer.from('{"seq":');
const STREAM = Buffer.from(',"streamId":"');
const TAGS = Buffer.from(',"tags":[');
const TAIL = Buffer.from(',"prev":"');
const TAIL_BYTES = TAIL.length + 64 + 2; // ,"prev":"<64 hex>"}

/**
 * Checks the record at `offset` (length, CRC-32 unless `crcChecked`: its batch's checksum, which covers
 * it, held; sha256 for the chain) and reads its seq, stream id and
 * `prev` from where `encodeRecord` puts them, without parsing the JSON: the fast scan of a log. A
 * payload not laid out that way falls back to a full decode. Whoever later parses the payload must
 * check that the parsed seq, stream id and prev are these (`decodeRecord` + `matchesPeek`), so a record
 * whose JSON says something else than its layout is caught as damage.
 */
export function peekRecord(buf: Buffer, offset: number, crcChecked = false): Peeked {
  if (offset + HEADER_BYTES > buf.length) return { kind: "incomplete" };
  const length = buf.readUInt32LE(offset);
  const crc = buf.readUInt32LE(offset + 4);
  if (length === 0 || length > MAX_RECORD_BYTES)
    return { kind: "damaged", problem: `impossible record length ${length}`, end: null };
  const start = offset + HEADER_BYTES;
  const end = start + length;
  if (end > buf.length) return { kind: "incomplete" };
  const payload = buf.subarray(start, end);
  if (!crcChecked && crc32(payload) !== crc) return { kind: "damaged", problem: "checksum mismatch", end };
  // Read the layout in place (no copies): {"seq":N,"streamId":"S",...,"prev":"<64 hex>"}
  const tail = end - TAIL_BYTES;
  let seq = 0;
  let at = start + HEAD.length;
  let laidOut = length > HEAD.length + STREAM.length + TAIL_BYTES && bytesAt(buf, start, HEAD);
  laidOut &&= bytesAt(buf, tail, TAIL) && buf[end - 2] === 0x22 && buf[end - 1] === 0x7d;
  while (laidOut && at < end && buf[at] !== 0x2c) {
    const digit = (buf[at] as number) - 0x30;
    laidOut = digit >= 0 && digit <= 9 && (seq > 0 || digit > 0) && at - start < HEAD.length + 15;
    seq = seq * 10 + digit;
    at += 1;
  }
  laidOut &&= bytesAt(buf, at, STREAM);
  const streamStart = at + STREAM.length;
  const streamEnd = laidOut ? buf.indexOf(0x22, streamStart) : -1;
  let tags: string[] | null = null;
  if (laidOut && streamEnd > 0 && bytesAt(buf, streamEnd + 1, TAGS)) {
    const open = streamEnd + TAGS.length; // at the "["
    const close = arrayEnd(buf, open, tail);
    try {
      const parsed: unknown = close < 0 ? null : JSON.parse(buf.toString("utf8", open, close + 1));
      tags = isTagList(parsed) ? parsed : null;
    } catch {
      tags = null;
    }
    laidOut = tags !== null;
  }
  if (!laidOut || streamEnd < 0 || streamEnd >= tail || hasBackslash(buf, streamStart, streamEnd)) {
    const d = decodeRecord(buf, offset);
    return d.kind === "record"
      ? {
          kind: "record",
          seq: d.event.seq,
          streamId: d.event.streamId,
          tags: d.event.tags && d.event.tags.length > 0 ? d.event.tags : null,
          prev: d.prev,
          hash: d.hash,
          end,
        }
      : d;
  }
  return {
    kind: "record",
    seq,
    streamId: buf.toString("utf8", streamStart, streamEnd),
    tags,
    prev: buf.toString("latin1", end - 66, end - 2),
    hash: sha256Hex(payload),
    end,
  };
}

/** The index of the `]` that closes the JSON array opening at `open` (strings skipped); -1 if none before `limit`. */
function arrayEnd(buf: Buffer, open: number, limit: number): number {
  let inString = false;
  for (let i = open + 1; i < limit; i++) {
    const b = buf[i];
    if (inString) {
      if (b === 0x5c) i += 1;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5d) return i;
  }
  return -1;
}

function bytesAt(buf: Buffer, at: number, expected: Buffer): boolean {
  if (at + expected.length > buf.length) return false;
  for (let i = 0; i < expected.length; i++) if (buf[at + i] !== expected[i]) return false;
  return true;
}

function hasBackslash(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] === 0x5c) return true;
  return false;
}
