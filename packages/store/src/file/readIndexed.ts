/**
 * Reading indexed records back from segment files, shared by the writer (`FileEventLog`) and the reader
 * (`FileEventLogReader`): both index each record by segment, offset, length and stream when they scan,
 * and read a range of seqs with one positional read per run of records in the same segment, parsing each
 * record once and checking it is the one the index expects.
 */
import { closeSync, openSync, readSync } from "node:fs";
import type { StoredEvent } from "../EventLog.js";
import { CorruptLogError } from "../errors.js";
import { decodeChecked } from "./recordCodec.js";

/** Where a record is: its segment (an index into the segment list), byte offset, length and stream. */
export interface RecordLocation {
  readonly segment: number;
  readonly offset: number;
  readonly length: number;
  readonly streamId: string;
}

/** Events `start` to `end` (seqs, inclusive), with `locations[seq - 1]` saying where each is. */
export function readIndexed(
  segments: readonly { readonly path: string }[],
  locations: readonly RecordLocation[],
  start: number,
  end: number,
): StoredEvent[] {
  const out: StoredEvent[] = [];
  let seq = start;
  while (seq <= end) {
    const first = locations[seq - 1] as RecordLocation;
    let last = seq;
    while (last < end && (locations[last] as RecordLocation).segment === first.segment) last += 1;
    const lastLocation = locations[last - 1] as RecordLocation;
    const path = (segments[first.segment] as { path: string }).path;
    const buf = Buffer.alloc(lastLocation.offset + lastLocation.length - first.offset);
    const fd = openSync(path, "r");
    try {
      let done = 0;
      while (done < buf.length) {
        const n = readSync(fd, buf, done, buf.length - done, first.offset + done);
        if (n === 0)
          throw new CorruptLogError(path, first.offset + done, seq, "segment ends before its records");
        done += n;
      }
    } finally {
      closeSync(fd);
    }
    for (let q = seq; q <= last; q++) {
      const location = locations[q - 1] as RecordLocation;
      const event = decodeChecked(buf, location.offset - first.offset, {
        seq: q,
        streamId: location.streamId,
      });
      if (event === null) {
        throw new CorruptLogError(
          path,
          location.offset,
          q,
          "record changed on disk since it was checked, or its JSON disagrees with its layout",
        );
      }
      out.push(event);
    }
    seq = last + 1;
  }
  return out;
}
