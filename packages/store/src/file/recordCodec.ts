/**
 * The on-disk record: a header of two little-endian u32 — the payload length and the payload's
 * CRC-32 — then the payload, the event as UTF-8 JSON with one more field, `prev`: the sha256 (hex) of
 * the previous record's payload (64 zeros for the first). The CRC catches a damaged record; the hash
 * chain catches records that were removed, reordered or forged.
 */
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import type { StoredEvent } from "../EventLog.js";

export const HEADER_BYTES = 8;
/** Larger records are refused (and a larger length on disk is damage). */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
export const GENESIS_HASH = "0".repeat(64);

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
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
  const { prev, ...event } = parsed;
  if (typeof prev !== "string" || typeof event.seq !== "number")
    return { kind: "damaged", problem: "payload lacks seq or prev", end };
  return { kind: "record", event: event as unknown as StoredEvent, prev, hash: sha256Hex(payload), end };
}
