/**
 * Checking a whole file log from its first segment to its last, reading each segment from disk: what
 * the writer does when it opens, and what verification and repair do. See `scanSegment` for the rules.
 */
import { readFileSync } from "node:fs";
import { GENESIS_HASH } from "./recordCodec.js";
import { type ScannedRecord, scanSegment } from "./scanSegment.js";
import { io, type SegmentFile } from "./segmentFiles.js";

export interface LogScan {
  /** The number of events checked (the last seq). */
  readonly events: number;
  /** The head of the hash chain. */
  readonly headHash: string;
  /** A torn batch at the end of the last segment, where it starts and its bytes; null if none. */
  readonly tail: { readonly segment: number; readonly offset: number; readonly bytes: number } | null;
}

export interface ScanLogOptions {
  /** Parse every record's JSON too. */
  readonly full?: boolean;
  /** Read each segment only up to its `size` (the bytes known to be acknowledged), not to its end. */
  readonly upToSize?: boolean;
}

/** Checks every segment in order, calling `onRecord` with the segment's index for each record. */
export function scanLog(
  segments: readonly SegmentFile[],
  options: ScanLogOptions,
  onRecord: (segment: number, record: ScannedRecord) => void = () => {},
): LogScan {
  let at = { seq: 1, prev: GENESIS_HASH, framed: false };
  for (const [index, segment] of segments.entries()) {
    const bytes = io("read", segment.path, () => readFileSync(segment.path));
    const buf = options.upToSize ? bytes.subarray(0, segment.size) : bytes;
    const last = index === segments.length - 1;
    const end = scanSegment(
      buf,
      {
        path: segment.path,
        firstSeq: segment.firstSeq,
        base: 0,
        ...at,
        last,
        ...(options.full ? { full: true } : {}),
      },
      (r) => onRecord(index, r),
    );
    at = end;
    if (end.tail) {
      return {
        events: end.seq - 1,
        headHash: end.prev,
        tail: { segment: index, offset: end.offset, bytes: buf.length - end.offset },
      };
    }
  }
  return { events: at.seq - 1, headHash: at.prev, tail: null };
}
