/**
 * The layout of a segment file as the tests see it, parsed independently of the store's scanner: the
 * batches (header offset, end) and the records in each (offset, end). Records written before batches
 * existed are each a batch of their own without a header (`header: false`).
 */
import { readFileSync } from "node:fs";

export interface RecordSpan {
  readonly offset: number;
  readonly end: number;
}

export interface BatchSpan {
  readonly offset: number;
  readonly end: number;
  readonly header: boolean;
  readonly records: readonly RecordSpan[];
}

const MAGIC = Buffer.from([0xf5, 0x53, 0x42, 0x31]);

/** The batches of a well-formed segment's bytes. */
export function batchesOf(buf: Buffer): BatchSpan[] {
  const batches: BatchSpan[] = [];
  let o = 0;
  while (o < buf.length) {
    if (buf.subarray(o, o + 4).equals(MAGIC)) {
      const count = buf.readUInt32LE(o + 4);
      const end = o + 20 + buf.readUInt32LE(o + 8);
      const records: RecordSpan[] = [];
      let r = o + 20;
      for (let i = 0; i < count; i++) {
        const e = r + 8 + buf.readUInt32LE(r);
        records.push({ offset: r, end: e });
        r = e;
      }
      batches.push({ offset: o, end, header: true, records });
      o = end;
    } else {
      const end = o + 8 + buf.readUInt32LE(o);
      batches.push({ offset: o, end, header: false, records: [{ offset: o, end }] });
      o = end;
    }
  }
  return batches;
}

export const batchesOfFile = (file: string): BatchSpan[] => batchesOf(readFileSync(file));
export const recordsOfFile = (file: string): RecordSpan[] => batchesOfFile(file).flatMap((b) => b.records);
