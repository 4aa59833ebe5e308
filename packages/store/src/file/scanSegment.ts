/**
 * Checking the records of one segment, as the writer (`FileEventLog`, on open), the reader
 * (`FileEventLogReader`, on every refresh) and verification all do: the segment starts at the expected
 * seq; each batch's header and checksum are right and it holds the records it says; each record's CRC is
 * right, seqs follow one another and each record names the previous one's hash.
 *
 * It stops at the end of the bytes, or before a **tail**: in the last segment only, a batch that is not
 * all there — the file ends inside it, or the bytes from somewhere inside it to the end of the file are
 * zeros (a crash after the file grew but before its pages were written). A tail was never acknowledged
 * (the writer acknowledges after the fsync of the whole write): the writer cuts it, the reader waits on
 * it (a write in progress). Anything else — a damaged byte in a batch whose bytes are all there, garbage,
 * a batch cut short in a segment that is not the last — is a `CorruptLogError` naming the file, offset
 * and seq. Records of a log written before batches existed (no batch header) are checked one by one.
 */
import { CorruptLogError } from "../errors.js";
import {
  BATCH_MAGIC,
  batchBodyCrc,
  couldBeCutRecord,
  decodeRecord,
  type Peeked,
  peekBatchHeader,
  peekRecord,
  startsBatch,
} from "./recordCodec.js";

export interface ScanStart {
  /** The segment file (for errors). */
  readonly path: string;
  /** The seq the segment's name says it starts with. */
  readonly firstSeq: number;
  /** Where `buf` starts in the file. */
  readonly base: number;
  /** The seq the next record must have, and the hash it must name. */
  readonly seq: number;
  readonly prev: string;
  /** Whether a batch was already seen in the log: from then on every record must be in a batch. */
  readonly framed: boolean;
  /** Whether this is the last segment (only there can a tail be). */
  readonly last: boolean;
  /** Parse every record's JSON too (verification), not only its layout. */
  readonly full?: boolean;
}

export interface ScanEnd {
  /** Where checking stopped, in the file: the end of the last good batch (or record). */
  readonly offset: number;
  /** The seq the next record must have, and the hash it must name. */
  readonly seq: number;
  readonly prev: string;
  readonly framed: boolean;
  /** Stopped before a tail (see above), not at the end of the bytes. */
  readonly tail: boolean;
}

export interface ScannedRecord {
  readonly offset: number;
  readonly length: number;
  readonly streamId: string;
  readonly tags: readonly string[] | null;
  /** The sha256 (hex) of its payload. */
  readonly hash: string;
}

/** Checks the records of `buf` (a segment's bytes from `start.base`), calling `onRecord` for each. */
export function scanSegment(
  whole: Buffer,
  start: ScanStart,
  onRecord: (record: ScannedRecord) => void,
): ScanEnd {
  const { path, base, last } = start;
  let { seq, prev, framed } = start;
  if (base === 0 && start.firstSeq !== seq)
    throw new CorruptLogError(path, 0, seq, `segment starts at seq ${start.firstSeq}, expected ${seq}`);
  // In the last segment, zeros at the very end are bytes the file grew by but that were never written
  // (valid bytes end with a record's closing brace, never with a zero).
  const buf = last ? whole.subarray(0, endOfData(whole)) : whole;
  const tailAt = (offset: number): ScanEnd => ({ offset: base + offset, seq, prev, framed, tail: true });
  let batchStart = 0;
  const corrupt = (offset: number, atSeq: number, problem: string) =>
    new CorruptLogError(path, base + offset, atSeq, problem, base + batchStart);

  /** Checks one record at `offset` (seq, chain, and in full mode its JSON); returns it and its end. */
  const check = (d: Peeked & { kind: "record" }, offset: number, atSeq: number, atPrev: string) => {
    if (d.seq !== atSeq) throw corrupt(offset, atSeq, `record has seq ${d.seq}, expected ${atSeq}`);
    if (d.prev !== atPrev)
      throw corrupt(offset, atSeq, "hash chain broken: the record does not follow the one before it");
    if (start.full) {
      const full = decodeRecord(buf, offset);
      if (full.kind !== "record" || full.event.seq !== d.seq || full.event.streamId !== d.streamId)
        throw corrupt(offset, atSeq, "the record's JSON disagrees with its layout");
    }
  };

  let offset = 0;
  while (offset < buf.length) {
    batchStart = offset;
    if (framed || startsBatch(buf, offset)) {
      framed = true;
      const b = peekBatchHeader(buf, offset);
      if (b.kind === "incomplete") {
        // A batch cut short with another one written after it was not the last write: damage.
        if (last && !laterBatchAfter(buf, offset)) return tailAt(offset);
        throw corrupt(
          offset,
          seq,
          last ? "the batch was cut short, and another batch follows it" : "the segment ends inside a batch",
        );
      }
      if (b.kind === "damaged") throw corrupt(offset, seq, b.problem);
      const bodyIntact = batchBodyCrc(buf, b.start, b.end) === b.bodyCrc;
      // Check the records even when the checksum failed, to name the first damaged one. When it held,
      // it covers every record's bytes: each record's own CRC is checked only in full mode.
      const records: ScannedRecord[] = [];
      const batch = buf.subarray(0, b.end);
      const crcChecked = bodyIntact && start.full !== true;
      let at = b.start;
      let q = seq;
      let p = prev;
      for (let i = 0; i < b.count; i++) {
        const d = peekRecord(batch, at, crcChecked);
        if (d.kind !== "record") {
          throw corrupt(
            at,
            q,
            d.kind === "incomplete" ? "a record runs past the end of its batch" : `${d.problem} (in a batch)`,
          );
        }
        check(d, at, q, p);
        records.push({
          offset: base + at,
          length: d.end - at,
          streamId: d.streamId,
          tags: d.tags,
          hash: d.hash,
        });
        p = d.hash;
        q += 1;
        at = d.end;
      }
      if (at !== b.end)
        throw corrupt(at, q, `the batch holds ${b.end - at} bytes after its ${b.count} records`);
      if (!bodyIntact) throw corrupt(offset, seq, "the batch fails its checksum");
      for (const r of records) onRecord(r);
      seq = q;
      prev = p;
      offset = b.end;
      continue;
    }
    // A record of a log written before batches existed.
    const d = peekRecord(buf, offset);
    if (d.kind === "record") {
      check(d, offset, seq, prev);
      onRecord({
        offset: base + offset,
        length: d.end - offset,
        streamId: d.streamId,
        tags: d.tags,
        hash: d.hash,
      });
      prev = d.hash;
      seq += 1;
      offset = d.end;
      continue;
    }
    if (
      d.kind === "incomplete" &&
      last &&
      couldBeCutRecord(buf, offset, seq) &&
      buf.indexOf(`{"seq":${seq + 1},`, offset + 8) < 0 &&
      !laterBatchAfter(buf, offset)
    )
      return tailAt(offset);
    throw corrupt(offset, seq, d.kind === "incomplete" ? "record cut short" : d.problem);
  }
  if (buf.length < whole.length) return tailAt(buf.length);
  return { offset: base + offset, seq, prev, framed, tail: false };
}

/**
 * Whether a whole batch header (its magic and a header checksum that holds) starts somewhere after
 * `offset`. The magic's first byte, 0xF5, never occurs in UTF-8, so it cannot come from a payload.
 */
function laterBatchAfter(buf: Buffer, offset: number): boolean {
  for (let at = buf.indexOf(BATCH_MAGIC, offset + 1); at >= 0; at = buf.indexOf(BATCH_MAGIC, at + 1)) {
    if (peekBatchHeader(buf, at).kind !== "damaged") return true;
  }
  return false;
}

/** The length of `buf` without the zeros at its end. */
function endOfData(buf: Buffer): number {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end -= 1;
  return end;
}
