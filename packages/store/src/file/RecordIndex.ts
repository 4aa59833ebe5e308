/**
 * The in-memory index of a file log, shared by the writer (`FileEventLog`) and the reader
 * (`FileEventLogReader`): where each record is (segment, offset, length, stream) and the seqs of each
 * stream. Both fill it as they scan and check records; reads go back to the segment files with one
 * positional read per run of records in the same segment, parse each record once, and check it is the
 * one the index expects.
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

export class RecordIndex {
  readonly #locations: RecordLocation[] = [];
  readonly #streams = new Map<string, number[]>();
  /** Each tag's last seq (a stream's last seq is the end of its list in `#streams`). */
  readonly #lastByTag = new Map<string, number>();

  /** How many records are indexed: the last seq. */
  get count(): number {
    return this.#locations.length;
  }

  /** Indexes the next record (seq `count + 1`), with the event's tags. */
  add(location: RecordLocation, tags: readonly string[] | null = null): void {
    this.#locations.push(location);
    const seq = this.#locations.length;
    const stream = this.#streams.get(location.streamId);
    if (stream) stream.push(seq);
    else this.#streams.set(location.streamId, [seq]);
    if (tags) for (const t of tags) this.#lastByTag.set(t, seq);
  }

  /** The last seq of an event with `key` (a stream id or a tag); 0 if none. */
  lastSeqOf(key: string): number {
    return Math.max(this.#streams.get(key)?.at(-1) ?? 0, this.#lastByTag.get(key) ?? 0);
  }

  /** The number of events of `streamId` (0: none). */
  version(streamId: string): number {
    return this.#streams.get(streamId)?.length ?? 0;
  }

  /** Events from `fromSeq` on, at most `limit`, read from `segments`. */
  read(segments: readonly { readonly path: string }[], fromSeq: number, limit: number): StoredEvent[] {
    const start = Math.max(1, fromSeq);
    const end = Math.min(this.count, Number.isFinite(limit) ? start + limit - 1 : this.count);
    return readRange(segments, this.#locations, start, end);
  }

  /** The events of `streamId` from version `fromVersion` on. */
  readStream(
    segments: readonly { readonly path: string }[],
    streamId: string,
    fromVersion: number,
  ): StoredEvent[] {
    const seqs = (this.#streams.get(streamId) ?? []).slice(Math.max(0, fromVersion - 1));
    return seqs.flatMap((seq) => readRange(segments, this.#locations, seq, seq));
  }
}

/** Events `start` to `end` (seqs, inclusive), with `locations[seq - 1]` saying where each is. */
function readRange(
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
