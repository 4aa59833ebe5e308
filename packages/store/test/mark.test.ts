/**
 * The file log's verified-prefix mark (see docs/store.md): when writers write it, what opening from it
 * checks and reports, and the property "a log opened from its mark is the log a full check opens": the
 * same events, streams, versions and each key's last seq (what expected versions and append conditions
 * are checked against), over random histories written by several writers in turns.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppendConditionError, FileEventLog, FileEventLogReader, type NewStoredEvent } from "@strata/store";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { indexPath, markOf, markPath } from "./support/marks.js";
import { batchesOfFile, recordsOfFile } from "./support/segmentLayout.js";

const tmp = tempDirs("strata-mark-");
const RUNS = Number(process.env.STRATA_MARK_RUNS ?? 100);

const ev = (streamId: string, n: number, tags: readonly string[] = []): NewStoredEvent => ({
  streamId,
  type: "t",
  schemaVersion: 1,
  recordedAt: n,
  data: { n, pad: "m".repeat(n % 70) },
  ...(tags.length > 0 ? { tags } : {}),
});
const segmentFile = (dir: string) => join(dir, "segments", "0000000000000001.seg");

describe("when a writer marks", () => {
  test("on open (what it checked), every markEvery events while it appends, on close; never with markEvery 0", async () => {
    const dir = tmp();
    const log = await FileEventLog.open(dir, { markEvery: 5 });
    expect(markOf(dir)).toBeNull(); // an empty log has nothing to mark
    for (let i = 1; i <= 4; i++) await log.append([ev("a", i)]);
    expect(markOf(dir)).toBeNull();
    await log.append([ev("a", 5)]);
    // Marked right after that group was written (before the next one is): seen once the next is done.
    await log.append([ev("b", 6), ev("b", 7)]);
    expect(markOf(dir)?.seq).toBe(5);
    await log.close();
    expect(markOf(dir)?.seq).toBe(7);
    // A writer that writes no mark leaves the old one, which still holds: opening checks after it.
    const quiet = await FileEventLog.open(dir, { markEvery: 0 });
    expect(quiet.openReport.mark).toMatchObject({ seq: 7, file: segmentFile(dir) });
    await quiet.append([ev("c", 8)]);
    await quiet.close();
    expect(markOf(dir)?.seq).toBe(7);
    const reader = await FileEventLogReader.open(dir);
    expect(reader.openReport).toMatchObject({ events: 8, mark: { seq: 7 }, markIgnored: null });
    expect(reader.openReport.mark?.offset).toBe(recordsOfFile(segmentFile(dir))[6]?.end);
    await reader.close();
    // The next writer marks what it checked when it opens.
    const next = await FileEventLog.open(dir);
    expect(next.openReport.mark?.seq).toBe(7);
    expect(markOf(dir)?.seq).toBe(8);
    await next.close();
  });

  test("a reader never writes a mark, and a writer that finds one it cannot use replaces it", async () => {
    const dir = tmp();
    const log = await FileEventLog.open(dir, { markEvery: 0 });
    for (let i = 1; i <= 6; i++) await log.append([ev("a", i)]);
    await log.close();
    const reader = await FileEventLogReader.open(dir);
    expect(reader.openReport.mark).toBeNull();
    await reader.close();
    expect(markOf(dir)).toBeNull();
    const writer = await FileEventLog.open(dir);
    await writer.close();
    expect(markOf(dir)?.seq).toBe(6);
    writeFileSync(markPath(dir), readFileSync(markPath(dir)).subarray(0, 40));
    const again = await FileEventLogReader.open(dir);
    expect(again.openReport.markIgnored).toMatch(/fails its checksum/);
    expect(again.openReport.mark).toBeNull();
    await again.close();
    const fixer = await FileEventLog.open(dir);
    expect(fixer.openReport.markIgnored).toMatch(/fails its checksum/);
    await fixer.close();
    expect(markOf(dir)?.seq).toBe(6);
  });
});

describe("what opening from a mark checks", () => {
  test("damage after the mark is found when the log is opened, named by file, offset and seq", async () => {
    const dir = tmp();
    const log = await FileEventLog.open(dir);
    for (let i = 1; i <= 5; i++) await log.append([ev("a", i), ev("b", i)]);
    await log.close();
    const quiet = await FileEventLog.open(dir, { markEvery: 0 });
    for (let i = 6; i <= 9; i++) await quiet.append([ev("a", i)]);
    await quiet.close();
    const file = segmentFile(dir);
    const batches = batchesOfFile(file);
    const target = batches[6]?.records[0] as { offset: number };
    const buf = readFileSync(file);
    buf[target.offset + 30] = (buf[target.offset + 30] as number) ^ 0x04;
    writeFileSync(file, buf);
    for (const open of [() => FileEventLog.open(dir), () => FileEventLogReader.open(dir)])
      await expect(open()).rejects.toMatchObject({
        code: "CorruptLog",
        file,
        offset: target.offset,
        seq: 12,
        batchOffset: batches[6]?.offset,
      });
  });

  test("a record the mark covers is hashed when it is read: one rewritten with valid CRCs is refused, by seq or in a range", async () => {
    const dir = tmp();
    const log = await FileEventLog.open(dir);
    for (let i = 1; i <= 8; i++) await log.append([ev("a", i)]);
    const written = await log.read();
    await log.close();
    const file = segmentFile(dir);
    const record = recordsOfFile(file)[3] as { offset: number; end: number };
    const buf = readFileSync(file);
    // The same length, another event; its CRC and its batch's recomputed as a forger would.
    const payload = buf.subarray(record.offset + 8, record.end);
    const text = payload.toString().replace('"n":4', '"n":9');
    expect(text).not.toBe(payload.toString());
    Buffer.from(text).copy(buf, record.offset + 8);
    const { crc32 } = await import("node:zlib");
    buf.writeUInt32LE(crc32(buf.subarray(record.offset + 8, record.end)), record.offset + 4);
    const batch = batchesOfFile(file)[3] as { offset: number; end: number };
    buf.writeUInt32LE(crc32(buf.subarray(batch.offset + 20, batch.end)), batch.offset + 12);
    buf.writeUInt32LE(crc32(buf.subarray(batch.offset, batch.offset + 16)), batch.offset + 16);
    writeFileSync(file, buf);
    const reader = await FileEventLogReader.open(dir);
    expect(reader.openReport.mark?.seq).toBe(8);
    expect(await reader.read(3, 1)).toEqual([written[2]]);
    await expect(reader.read(4, 1)).rejects.toMatchObject({ code: "CorruptLog", seq: 5 });
    await expect(reader.read()).rejects.toMatchObject({ code: "CorruptLog" });
    await reader.close();
  });
});

describe("property: a log opened from its mark is the log a full check opens", () => {
  test(`the same events, streams, versions and keys' last seqs, over random histories by several writers (${RUNS} runs)`, async () => {
    const appendArb = fc.array(
      fc.record({
        stream: fc.constantFrom("a", "b", "c", "d"),
        tags: fc.subarray(["t1", "t2", "t3"]),
      }),
      { minLength: 1, maxLength: 4 },
    );
    const sessionArb = fc.record({
      markEvery: fc.integer({ min: 0, max: 6 }),
      appends: fc.array(appendArb, { maxLength: 8 }),
      closes: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(sessionArb, { minLength: 1, maxLength: 5 }), async (sessions) => {
        const root = tmp();
        const dir = join(root, "log");
        let n = 0;
        const unclosed: FileEventLog[] = [];
        for (const session of sessions) {
          const log = await FileEventLog.open(dir, { segmentBytes: 700, markEvery: session.markEvery });
          for (const batch of session.appends) await log.append(batch.map((e) => ev(e.stream, n++, e.tags)));
          // A writer that does not close (as if it crashed) leaves its marks as they were.
          if (session.closes) await log.close();
          else unclosed.push(log);
        }
        const full = join(root, "full");
        cpSync(dir, full, { recursive: true });
        rmSync(markPath(full), { force: true });
        rmSync(indexPath(full), { force: true });
        const marked = await FileEventLogReader.open(dir);
        const checked = await FileEventLogReader.open(full);
        expect(checked.openReport.mark).toBeNull();
        expect(marked.openReport.markIgnored).toBeNull();
        const events = await checked.read();
        expect(await marked.read()).toEqual(events);
        expect(marked.headHash).toBe(checked.headHash);
        for (const s of ["a", "b", "c", "d", "e"]) {
          expect(await marked.streamVersion(s)).toBe(await checked.streamVersion(s));
          expect(await marked.readStream(s, 2)).toEqual(await checked.readStream(s, 2));
        }
        await marked.close();
        await checked.close();
        // Each key's last seq, as a writer opened from the mark checks conditions against it.
        const writer = await FileEventLog.open(dir, { markEvery: 0 });
        for (const key of ["a", "b", "c", "d", "t1", "t2", "t3"]) {
          const last = events.reduce((l, e) => (e.streamId === key || e.tags?.includes(key) ? e.seq : l), 0);
          if (last === 0) continue;
          const refused = await writer
            .append([ev("x", 0)], { condition: { after: last - 1, keys: [key] } })
            .catch((e: unknown) => e);
          expect(refused).toBeInstanceOf(AppendConditionError);
          expect(refused).toMatchObject({ seq: last, key });
        }
        const r = await writer.append([ev("x", 0)], {
          condition: { after: events.length, keys: ["a", "b", "c", "d", "t1", "t2", "t3"] },
          expected: { a: events.filter((e) => e.streamId === "a").length || "no-stream" },
        });
        expect(r.firstSeq).toBe(events.length + 1);
        await writer.close();
        // Late closes never mark more than they checked, nor undo a newer mark.
        const before = markOf(dir)?.seq ?? 0;
        for (const log of unclosed) await log.close();
        expect(markOf(dir)?.seq ?? 0).toBeGreaterThanOrEqual(before);
        const after = await FileEventLogReader.open(dir);
        expect(after.openReport.markIgnored).toBeNull();
        expect(await after.lastSeq()).toBe(events.length + 1);
        await after.close();
      }),
      { numRuns: RUNS },
    );
  });
});
