/**
 * Checking the records of one segment, as both the writer (`FileEventLog`, on open) and the reader
 * (`FileEventLogReader`, on every refresh) do: the segment starts at the expected seq, each record's CRC
 * is right, seqs follow one another and each record names the previous one's hash. It stops at the
 * end of the bytes, or before a **tail** — a record cut short, failing its checksum with nothing after
 * it, or zeros, at the end of the last segment — which the writer cuts (a crash left it) and the reader
 * waits on (a write in progress). Anything else is a `CorruptLogError` naming the file, offset and seq.
 */
import { CorruptLogError } from "../errors.js";
import { peekRecord } from "./recordCodec.js";

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
  /** Whether this is the last segment (only there can a tail be). */
  readonly last: boolean;
}

export interface ScanEnd {
  /** Where checking stopped, in the file: the end of the last good record. */
  readonly offset: number;
  /** The seq the next record must have, and the hash it must name. */
  readonly seq: number;
  readonly prev: string;
  /** Stopped before a tail (see above), not at the end of the bytes. */
  readonly tail: boolean;
}

/** Checks the records of `buf` (a segment's bytes from `start.base`), calling `onRecord` for each. */
export function scanSegment(
  buf: Buffer,
  start: ScanStart,
  onRecord: (record: { offset: number; length: number; streamId: string }) => void,
): ScanEnd {
  const { path, base, last } = start;
  let { seq, prev } = start;
  if (base === 0 && start.firstSeq !== seq)
    throw new CorruptLogError(path, 0, seq, `segment starts at seq ${start.firstSeq}, expected ${seq}`);
  let offset = 0;
  while (offset < buf.length) {
    // Checked (CRC, hash) without parsing the JSON: a read parses each record once, later.
    const d = peekRecord(buf, offset);
    if (d.kind !== "record") {
      const tail =
        last &&
        (d.kind === "incomplete" ||
          d.end === null ||
          d.end >= buf.length ||
          buf.subarray(offset).every((b) => b === 0));
      if (tail) return { offset: base + offset, seq, prev, tail: true };
      throw new CorruptLogError(
        path,
        base + offset,
        seq,
        d.kind === "incomplete" ? "record cut short" : d.problem,
      );
    }
    if (d.seq !== seq)
      throw new CorruptLogError(path, base + offset, seq, `record has seq ${d.seq}, expected ${seq}`);
    if (d.prev !== prev)
      throw new CorruptLogError(
        path,
        base + offset,
        seq,
        "hash chain broken: the record does not follow the one before it",
      );
    onRecord({ offset: base + offset, length: d.end - offset, streamId: d.streamId });
    prev = d.hash;
    seq += 1;
    offset = d.end;
  }
  return { offset: base + offset, seq, prev, tail: false };
}
