/**
 * The on-disk record: a header of two little-endian u32 — the payload length and the payload's
 * CRC-32 — then the payload, the event as UTF-8 JSON with one more field, `prev`: the sha256 (hex) of
 * the previous record's payload (64 zeros for the first). The CRC catches a damaged record; the hash
 * chain catches records that were removed, reordered or forged.
 */
import { createHash, hash } from "node:crypto";
import { crc32 } from "node:zlib";
import type { StoredEvent } from "../EventLog.js";

export const HEADER_BYTES = 8;
/** Larger records are refused (and a larger length on disk is damage). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
export const GENESIS_HASH = "0".repeat(64);

export function sha256Hex(bytes: Uint8Array): string {
  // crypto.hash (Node 20.12+) skips the Hash object: about twice as fast for records this small.
  return typeof hash === "function"
    ? hash("sha256", bytes, "hex")
    : createHash("sha256").update(bytes).digest("hex");
}

/** The bytes of one record, and the hash the next record must name as `prev`. */
export function encodeRecord(event: StoredEvent, prev: string): { bytes: Buffer; hash: string } {
  const payload = Buffer.from(
    JSON.stringify({
      seq: event.seq,
      streamId: event.streamId,
      type: event.type,
      schemaVersion: event.schemaVersion,
      recordedAt: event.recordedAt,
      data: event.data,
      prev,
    }),
    "utf8",
  );
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return { bytes: Buffer.concat([header, payload]), hash: sha256Hex(payload) };
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
  return {
    seq: p.seq,
    streamId: p.streamId,
    type: p.type,
    schemaVersion: p.schemaVersion,
    recordedAt: p.recordedAt,
    data: p.data,
  } as StoredEvent;
}

/**
 * Decodes a record whose CRC and hash were checked when the log was scanned (`peekRecord`): parses it
 * and checks it is the record the index expects (seq, stream, chain link), without checksumming or
 * hashing it again. Bytes changed on disk since the scan are caught when they break the JSON or those
 * fields; `verify()` re-checks everything.
 */
export function decodeChecked(
  buf: Buffer,
  offset: number,
  expected: { readonly seq: number; readonly streamId: string },
): StoredEvent | null {
  if (offset + HEADER_BYTES > buf.length) return null;
  const length = buf.readUInt32LE(offset);
  const end = offset + HEADER_BYTES + length;
  if (length === 0 || end > buf.length) return null;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(buf.toString("utf8", offset + HEADER_BYTES, end)) as Record<string, unknown>;
  } catch {
    return null;
  }
  if (parsed.seq !== expected.seq || parsed.streamId !== expected.streamId) return null;
  // Laid out as encodeRecord writes it, the scan took prev from the tail: it must be what the JSON says.
  // (A record laid out otherwise was fully decoded, prev included, by the scan.)
  if (bytesAt(buf, end - TAIL_BYTES, TAIL) && parsed.prev !== buf.toString("latin1", end - 66, end - 2))
    return null;
  return storedEvent(parsed);
}

/** What `peekRecord` found: the fields the index needs, without parsing the payload's JSON. */
export type Peeked =
  | {
      readonly kind: "record";
      readonly seq: number;
      readonly streamId: string;
      readonly prev: string;
      readonly hash: string;
      readonly end: number;
    }
  | { readonly kind: "incomplete" }
  | { readonly kind: "damaged"; readonly problem: string; readonly end: number | null };

const HEAD = Buffer.from('{"seq":');
const STREAM = Buffer.from(',"streamId":"');
const TAIL = Buffer.from(',"prev":"');
const TAIL_BYTES = TAIL.length + 64 + 2; // ,"prev":"<64 hex>"}

/**
 * Checks the record at `offset` (length, CRC-32, sha256 for the chain) and reads its seq, stream id and
 * `prev` from where `encodeRecord` puts them, without parsing the JSON: the fast scan of a log. A
 * payload not laid out that way falls back to a full decode. Whoever later parses the payload must
 * check that the parsed seq, stream id and prev are these (`decodeRecord` + `matchesPeek`), so a record
 * whose JSON says something else than its layout is caught as damage.
 */
export function peekRecord(buf: Buffer, offset: number): Peeked {
  if (offset + HEADER_BYTES > buf.length) return { kind: "incomplete" };
  const length = buf.readUInt32LE(offset);
  const crc = buf.readUInt32LE(offset + 4);
  if (length === 0 || length > MAX_RECORD_BYTES)
    return { kind: "damaged", problem: `impossible record length ${length}`, end: null };
  const start = offset + HEADER_BYTES;
  const end = start + length;
  if (end > buf.length) return { kind: "incomplete" };
  const payload = buf.subarray(start, end);
  if (crc32(payload) !== crc) return { kind: "damaged", problem: "checksum mismatch", end };
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
  if (!laidOut || streamEnd < 0 || streamEnd >= tail || hasBackslash(buf, streamStart, streamEnd)) {
    const d = decodeRecord(buf, offset);
    return d.kind === "record"
      ? { kind: "record", seq: d.event.seq, streamId: d.event.streamId, prev: d.prev, hash: d.hash, end }
      : d;
  }
  return {
    kind: "record",
    seq,
    streamId: buf.toString("utf8", streamStart, streamEnd),
    prev: buf.toString("latin1", end - 66, end - 2),
    hash: sha256Hex(payload),
    end,
  };
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
