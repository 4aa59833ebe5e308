/**
 * What the file log does with a damaged or torn log: the property "opening never loses a batch that was
 * acknowledged, never keeps part of one, and never accepts damage silently", over generated logs and
 * generated damage (a write cut short by a crash, pages never written, flipped bytes, a damaged length,
 * garbage segments, a segment cut in the middle), each with a verified-prefix mark covering none, some
 * or all of the batches; the property "a mark that is damaged, cut short, stale, ahead of the log or of
 * another log is never trusted wrongly"; and one named test per case an outside check found.
 */
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import {
  CorruptLogError,
  EventTooLargeError,
  FileEventLog,
  FileEventLogReader,
  MAX_EVENT_BYTES,
  type NewStoredEvent,
  repairFileLog,
  type StoredEvent,
} from "@strata/store";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

/** A fresh directory for one property run, removed when the run ends (thousands of runs, one test). */
async function inScratch<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "strata-damage-run-"));
  try {
    return await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

import { covered, indexPath, markOf, markPath, writeMarkJson } from "./support/marks.js";
import { type BatchSpan, batchesOf, batchesOfFile, recordsOfFile } from "./support/segmentLayout.js";

const tmp = tempDirs("strata-damage-");
const RUNS = Number(process.env.STRATA_DAMAGE_RUNS ?? 300);

const ev = (streamId: string, n: number, pad = 0): NewStoredEvent => ({
  streamId,
  type: "t",
  schemaVersion: 1,
  recordedAt: n,
  data: { n, pad: "z".repeat(pad) },
});

const segmentFiles = (dir: string) =>
  existsSync(join(dir, "segments"))
    ? readdirSync(join(dir, "segments"))
        .filter((f) => f.endsWith(".seg"))
        .sort()
        .map((f) => join(dir, "segments", f))
    : [];
const bytesOf = (dir: string) => segmentFiles(dir).map((f) => readFileSync(f).toString("base64"));

/**
 * Writes a log of the given batches (sizes of their events' padding); returns the events of each batch.
 * The first `markAfter` batches (all by default; null: none) are written by a writer that marks them
 * when it closes (a verified-prefix mark), the rest by one that writes no mark.
 */
async function writeLog(
  dir: string,
  batches: readonly (readonly number[])[],
  segmentBytes: number,
  markAfter: number | null = batches.length,
): Promise<StoredEvent[][]> {
  const out: StoredEvent[][] = [];
  let n = 0;
  const write = async (part: readonly (readonly number[])[], markEvery?: number) => {
    const log = await FileEventLog.open(dir, {
      segmentBytes,
      ...(markEvery === undefined ? {} : { markEvery }),
    });
    for (const pads of part) {
      const r = await log.append(pads.map((pad) => ev(`s${n % 3}`, n++, pad)));
      out.push(await log.read(r.firstSeq, r.lastSeq - r.firstSeq + 1));
    }
    await log.close();
  };
  const marked = Math.min(markAfter ?? 0, batches.length);
  if (markAfter !== null) await write(batches.slice(0, marked));
  await write(batches.slice(marked), 0);
  return out;
}

/** Where the mark of a log written by `writeLog` lands: null (none), or after that many batches. */
const markAfterArb = (batches: number) => fc.option(fc.integer({ min: 1, max: batches }), { nil: null });

/** Opens for writing; the events, or the error. */
async function openOutcome(dir: string): Promise<StoredEvent[] | CorruptLogError> {
  try {
    const log = await FileEventLog.open(dir);
    try {
      return await log.read();
    } finally {
      await log.close();
    }
  } catch (e) {
    if (e instanceof CorruptLogError) return e;
    throw e;
  }
}

/** Opens for reading; the events, or the error. */
async function readOutcome(dir: string): Promise<StoredEvent[] | CorruptLogError> {
  try {
    const reader = await FileEventLogReader.open(dir);
    try {
      return await reader.read();
    } finally {
      await reader.close();
    }
  } catch (e) {
    if (e instanceof CorruptLogError) return e;
    throw e;
  }
}

const batchArb = fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 6 });

describe("property: opening never loses an acknowledged batch, never keeps part of one, never accepts damage silently", () => {
  test(`a crash during the last write: cut, or its pages never written (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchArb, { minLength: 1, maxLength: 8 }),
        batchArb,
        fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        fc.boolean(),
        fc.option(fc.nat(), { nil: null }),
        (before, last, where, zeros, markAt) =>
          inScratch(async (dir) => {
            // The mark covers none of the batches, some, or all of them, the torn one included (a mark
            // ahead of the log: it must be ignored, never trusted).
            const markAfter = markAt === null ? null : 1 + (markAt % (before.length + 1));
            const acked = await writeLog(dir, [...before, last], 4096, markAfter);
            const files = segmentFiles(dir);
            const file = files.at(-1) as string;
            const buf = readFileSync(file);
            const lastBatch = batchesOf(buf).at(-1) as BatchSpan;
            // The crash left only part of the last batch: cut at, or zeros from, a point inside it.
            const at = lastBatch.offset + Math.floor(where * (lastBatch.end - lastBatch.offset));
            writeFileSync(
              file,
              zeros
                ? Buffer.concat([buf.subarray(0, at), Buffer.alloc(buf.length - at)])
                : buf.subarray(0, at),
            );
            const expected = acked.slice(0, -1).flat();
            const markedSeq = acked.slice(0, markAfter ?? 0).flat().length;
            // A reader waits on the torn batch and changes nothing; the writer cuts it whole.
            const seen = bytesOf(dir);
            expect(await readOutcome(dir)).toEqual(expected);
            expect(bytesOf(dir)).toEqual(seen);
            const reader = await FileEventLogReader.open(dir);
            expect(reader.openReport.mark?.seq ?? null).toBe(
              markedSeq > expected.length || markAfter === null ? null : markedSeq,
            );
            expect(reader.openReport.markIgnored !== null).toBe(markedSeq > expected.length);
            await reader.close();
            const log = await FileEventLog.open(dir);
            expect(await log.read()).toEqual(expected);
            expect(log.openReport.truncated?.offset ?? lastBatch.offset).toBe(lastBatch.offset);
            // The writer marked what it checked, replacing a mark that was ahead of the log.
            expect((await log.verify()).mark).toEqual({ seq: expected.length });
            // ... and the next append follows the last whole batch.
            const r = await log.append([ev("next", 0)]);
            expect(r.firstSeq).toBe(expected.length + 1);
            await log.close();
            expect(await openOutcome(dir)).toHaveLength(expected.length + 1);
          }),
      ),
      { numRuns: RUNS },
    );
  });

  test(`bit rot, garbage, short writes followed by more, oversized lengths and cut segments anywhere are a CorruptLogError at or before the damage, for the writer and the reader: at open after the mark, when read (or never, if no event was touched) inside it, always by verify; nothing is cut (${RUNS} runs)`, async () => {
    type Damage =
      | { kind: "flip"; where: number; mask: number }
      | { kind: "length"; record: number; value: number }
      | { kind: "garbage"; segment: number; seed: number }
      | { kind: "cut-early-segment"; where: number }
      // A write that was short and never finished, with later batches written after it (the old bug).
      | { kind: "short-write"; batch: number; where: number }
      // A record whose length says more than any record may hold.
      | { kind: "oversized"; record: number };
    const damageArb: fc.Arbitrary<Damage> = fc.oneof(
      fc.record({
        kind: fc.constant("flip" as const),
        where: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        mask: fc.integer({ min: 1, max: 255 }),
      }),
      fc.record({
        kind: fc.constant("length" as const),
        record: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({ kind: fc.constant("garbage" as const), segment: fc.nat(), seed: fc.nat() }),
      fc.record({
        kind: fc.constant("cut-early-segment" as const),
        where: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
      }),
      fc.record({
        kind: fc.constant("short-write" as const),
        batch: fc.nat(),
        where: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
      }),
      fc.record({ kind: fc.constant("oversized" as const), record: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(batchArb, { minLength: 2, maxLength: 10 })
          .chain((batches) => fc.tuple(fc.constant(batches), markAfterArb(batches.length))),
        damageArb,
        ([batches, markAfter], damage) =>
          inScratch(async (dir) => {
            const acked = (await writeLog(dir, batches, 2048, markAfter)).flat();
            const mark = markOf(dir);
            const files = segmentFiles(dir);
            const sizes = files.map((f) => readFileSync(f).length);
            const total = sizes.reduce((a, b) => a + b, 0);
            // Where in which file the damage goes, and the first byte it changes.
            let file: string;
            let at: number;
            if (damage.kind === "flip") {
              let pos = Math.floor(damage.where * total);
              let i = 0;
              while (pos >= (sizes[i] as number)) pos -= sizes[i++] as number;
              file = files[i] as string;
              at = pos;
              const buf = readFileSync(file);
              // Zeroing the very last byte is what a crash looks like (a page never written): not bit rot.
              if (
                i === files.length - 1 &&
                pos === buf.length - 1 &&
                ((buf[pos] as number) ^ damage.mask) === 0
              )
                return;
              buf[pos] = (buf[pos] as number) ^ damage.mask;
              writeFileSync(file, buf);
            } else if (damage.kind === "length") {
              const records = files.flatMap((f) => recordsOfFile(f).map((r) => ({ f, ...r })));
              const r = records[damage.record % records.length] as { f: string; offset: number };
              file = r.f;
              at = r.offset;
              const buf = readFileSync(file);
              if (buf[at] === damage.value) return;
              buf[at] = damage.value;
              writeFileSync(file, buf);
            } else if (damage.kind === "garbage") {
              const i = damage.segment % files.length;
              file = files[i] as string;
              at = 0;
              let x = damage.seed | 1;
              const garbage = Buffer.alloc(sizes[i] as number, 0).map(() => {
                x = (x * 1103515245 + 12345) % 2 ** 31;
                return 1 + (x % 255); // garbage, never ending in the zeros of pages never written
              });
              writeFileSync(file, garbage);
            } else if (damage.kind === "short-write") {
              // A batch that is not the last of its segment loses its end; what follows it stays.
              const candidates = files.flatMap((f) =>
                batchesOfFile(f)
                  .slice(0, -1)
                  .map((b) => ({ f, ...b })),
              );
              if (candidates.length === 0) return;
              const b = candidates[damage.batch % candidates.length] as BatchSpan & { f: string };
              file = b.f;
              at = b.offset + 1 + Math.floor(damage.where * (b.end - b.offset - 1));
              const buf = readFileSync(file);
              writeFileSync(file, Buffer.concat([buf.subarray(0, at), buf.subarray(b.end)]));
            } else if (damage.kind === "oversized") {
              const records = files.flatMap((f) => recordsOfFile(f).map((r) => ({ f, ...r })));
              const r = records[damage.record % records.length] as { f: string; offset: number };
              file = r.f;
              at = r.offset;
              const buf = readFileSync(file);
              buf.writeUInt32LE(64 * 1024 * 1024 + 1 + (damage.record % 1000), at);
              writeFileSync(file, buf);
            } else {
              if (files.length < 2) return;
              const i = Math.floor(damage.where * (files.length - 1));
              file = files[i] as string;
              const buf = readFileSync(file);
              at = Math.floor(damage.where * buf.length);
              writeFileSync(file, buf.subarray(0, at));
            }
            const seen = bytesOf(dir);
            // The damaged spot's batch, in the original layout: the error must name it or an earlier spot.
            const atOrBefore = (e: CorruptLogError) => {
              const fileIndex = files.indexOf(e.file);
              expect(fileIndex).toBeGreaterThanOrEqual(0);
              const damaged = files.indexOf(file);
              expect(
                fileIndex < damaged ||
                  (e.file === file && e.offset <= at) ||
                  // a segment cut short shows where the next one does not start at the seq that follows
                  (damage.kind === "cut-early-segment" && fileIndex === damaged + 1 && e.offset === 0),
                `${e.message}; damage at ${file}:${at}`,
              ).toBe(true);
            };
            // Damage after what the mark covers is found when the log is opened. Inside it, opening may
            // trust the mark; then a read finds it, unless no event's bytes were touched (a batch header):
            // every event read is then exactly the one written. Never an event that differs.
            const inMark = covered(mark, files, file, at);
            if (!inMark) {
              for (const open of [() => FileEventLogReader.open(dir), () => FileEventLog.open(dir)]) {
                const e = await open().then(
                  async (log) => {
                    await log.close();
                    return log;
                  },
                  (x: unknown) => x,
                );
                expect(
                  e,
                  `damage at ${file}:${at}, the mark ends ${JSON.stringify(mark?.segments.at(-1))}`,
                ).toBeInstanceOf(CorruptLogError);
                atOrBefore(e as CorruptLogError);
              }
            }
            for (const outcome of [await readOutcome(dir), await openOutcome(dir)]) {
              if (outcome instanceof CorruptLogError) atOrBefore(outcome);
              else {
                expect(inMark, `damage at ${file}:${at} after the mark was not found`).toBe(true);
                expect(outcome).toEqual(acked);
              }
            }
            // Reading event by event hands out each one exactly, or refuses it.
            const reader = await FileEventLogReader.open(dir).catch((x: unknown) => x);
            if (reader instanceof FileEventLog) {
              for (let seq = 1; seq <= acked.length; seq++) {
                const one = await reader.read(seq, 1).catch((x: unknown) => x);
                if (one instanceof CorruptLogError) atOrBefore(one);
                else expect(one).toEqual([acked[seq - 1]]);
              }
              await reader.close();
              // Verification checks every byte, whatever the mark says.
              const verifier = await FileEventLogReader.open(dir).catch((x: unknown) => x);
              if (verifier instanceof FileEventLog) {
                const e = await verifier.verify().catch((x: unknown) => x);
                await verifier.close();
                expect(e).toBeInstanceOf(CorruptLogError);
                atOrBefore(e as CorruptLogError);
              }
            } else {
              expect(reader).toBeInstanceOf(CorruptLogError);
              atOrBefore(reader as CorruptLogError);
            }
            // Nothing was cut or changed.
            expect(bytesOf(dir)).toEqual(seen);
          }),
      ),
      { numRuns: RUNS },
    );
  });
});

describe("property: a verified-prefix mark that is damaged, cut short, stale, ahead of the log or of another log is never trusted wrongly", () => {
  test(`opening gives exactly the events on disk, for the writer and the reader, and verification passes (${RUNS} runs)`, async () => {
    type MarkDamage =
      | { kind: "flip"; file: "MARK" | "INDEX"; where: number; mask: number }
      | { kind: "cut"; file: "MARK" | "INDEX"; where: number }
      | { kind: "remove"; file: "MARK" | "INDEX" }
      // What an earlier writer left: its MARK with the INDEX as it is now, or the reverse.
      | { kind: "stale-mark" }
      | { kind: "stale-index" }
      // The MARK and INDEX of another log.
      | { kind: "foreign"; seed: number }
      // The log cut back by hand at a batch boundary, below what the mark covers.
      | { kind: "ahead"; where: number };
    const fileArb = fc.constantFrom("MARK" as const, "INDEX" as const);
    const whereArb = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
    const damageArb: fc.Arbitrary<MarkDamage> = fc.oneof(
      fc.record({
        kind: fc.constant("flip" as const),
        file: fileArb,
        where: whereArb,
        mask: fc.integer({ min: 1, max: 255 }),
      }),
      fc.record({ kind: fc.constant("cut" as const), file: fileArb, where: whereArb }),
      fc.record({ kind: fc.constant("remove" as const), file: fileArb }),
      fc.record({ kind: fc.constant("stale-mark" as const) }),
      fc.record({ kind: fc.constant("stale-index" as const) }),
      fc.record({ kind: fc.constant("foreign" as const), seed: fc.nat() }),
      fc.record({ kind: fc.constant("ahead" as const), where: whereArb }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchArb, { minLength: 2, maxLength: 10 }),
        fc.nat(),
        damageArb,
        (batches, split, damage) =>
          inScratch(async (dir) => {
            // Two writers: the first marks its batches when it closes, the second marks them all.
            const first = 1 + (split % (batches.length - 1));
            const log = join(dir, "log");
            const acked = await writeLog(log, batches.slice(0, first), 1024);
            const earlier = { mark: readFileSync(markPath(log)), index: readFileSync(indexPath(log)) };
            const later = await (async () => {
              const writer = await FileEventLog.open(log, { segmentBytes: 1024 });
              let n = acked.flat().length;
              const out: StoredEvent[][] = [];
              for (const pads of batches.slice(first)) {
                const r = await writer.append(pads.map((pad) => ev(`s${n % 3}`, n++, pad)));
                out.push(await writer.read(r.firstSeq, r.lastSeq - r.firstSeq + 1));
              }
              await writer.close();
              return out;
            })();
            const all = [...acked, ...later];
            expect(markOf(log)?.seq).toBe(all.flat().length);
            let expected = all.flat();
            const target = (file: "MARK" | "INDEX") => (file === "MARK" ? markPath(log) : indexPath(log));
            if (damage.kind === "flip") {
              const buf = readFileSync(target(damage.file));
              const at = Math.floor(damage.where * buf.length);
              buf[at] = (buf[at] as number) ^ damage.mask;
              writeFileSync(target(damage.file), buf);
            } else if (damage.kind === "cut") {
              const buf = readFileSync(target(damage.file));
              writeFileSync(target(damage.file), buf.subarray(0, Math.floor(damage.where * buf.length)));
            } else if (damage.kind === "remove") {
              rmSync(target(damage.file));
            } else if (damage.kind === "stale-mark") {
              writeFileSync(markPath(log), earlier.mark);
            } else if (damage.kind === "stale-index") {
              writeFileSync(indexPath(log), earlier.index);
            } else if (damage.kind === "foreign") {
              const other = join(dir, "other");
              await writeLog(
                other,
                batches.map((b) => b.map((pad) => (pad + damage.seed) % 401)),
                1024,
              );
              cpSync(markPath(other), markPath(log));
              cpSync(indexPath(other), indexPath(log));
            } else {
              // Keep the first `keep` batches (of all), removing the rest by hand.
              const keep = Math.floor(damage.where * all.length);
              const files = segmentFiles(log);
              const spans = files.flatMap((f) => batchesOfFile(f).map((b) => ({ f, ...b })));
              const cut = spans[keep] as BatchSpan & { f: string };
              writeFileSync(cut.f, readFileSync(cut.f).subarray(0, cut.offset));
              for (const f of files.slice(files.indexOf(cut.f) + 1)) rmSync(f);
              expected = all.slice(0, keep).flat();
            }
            const seen = bytesOf(log);
            expect(await readOutcome(log)).toEqual(expected);
            const reader = await FileEventLogReader.open(log);
            const report = await reader.verify();
            await reader.close();
            expect(report.events).toBe(expected.length);
            if (damage.kind === "stale-mark") expect(report.mark).toEqual({ seq: acked.flat().length });
            if (damage.kind === "ahead") expect(report.mark).toHaveProperty("ignored");
            expect(bytesOf(log)).toEqual(seen);
            // The writer opens it whole, and replaces a mark it could not use with one that holds.
            expect(await openOutcome(log)).toEqual(expected);
            const writer = await FileEventLog.open(log);
            expect(writer.openReport.markIgnored).toBeNull();
            expect((await writer.verify()).mark).toEqual(
              expected.length > 0 ? { seq: expected.length } : null,
            );
            await writer.close();
          }),
      ),
      { numRuns: RUNS },
    );
  });
});

describe("named cases an outside check found", () => {
  test("a multi-record batch cut at every byte offset: the log opens with exactly the batches before it", async () => {
    const dir = tmp();
    const acked = await writeLog(
      dir,
      [
        [10, 20],
        [300, 5, 60, 7],
      ],
      1 << 20,
    );
    const [file] = segmentFiles(dir) as [string];
    const full = readFileSync(file);
    const last = batchesOf(full).at(-1) as BatchSpan;
    expect(last.records).toHaveLength(4);
    for (let cut = last.offset; cut < last.end; cut++) {
      await inScratch(async (copy) => {
        cpSync(dir, copy, { recursive: true });
        writeFileSync(join(copy, "segments", file.split("/").at(-1) as string), full.subarray(0, cut));
        // The writer's mark covered the whole log, the cut batch too: it no longer holds.
        expect(await readOutcome(copy), `cut at ${cut}`).toEqual(acked[0]);
        const log = await FileEventLog.open(copy);
        expect(await log.lastSeq(), `cut at ${cut}`).toBe(2);
        expect(log.openReport.markIgnored, `cut at ${cut}`).not.toBeNull();
        await log.close();
      });
    }
  });

  test("one damaged length byte in record 2 of 6 (one batch, or six) is damage, never a cut", async () => {
    for (const batches of [[[0, 0, 0, 0, 0, 0]], [[0], [0], [0], [0], [0], [0]]]) {
      const dir = tmp();
      await writeLog(dir, batches, 1 << 20);
      const [file] = segmentFiles(dir) as [string];
      const record2 = recordsOfFile(file)[1] as { offset: number };
      const buf = readFileSync(file);
      buf[record2.offset] = (buf[record2.offset] as number) + 7;
      writeFileSync(file, buf);
      for (const outcome of [await openOutcome(dir), await readOutcome(dir)]) {
        expect(outcome).toBeInstanceOf(CorruptLogError);
        expect(outcome).toMatchObject({ file, seq: 2 });
      }
      expect(readFileSync(file).equals(buf)).toBe(true);
    }
  });

  test("a segment filled with garbage does not open as an empty log", async () => {
    const dir = tmp();
    mkdirSync(join(dir, "segments"), { recursive: true });
    const file = join(dir, "segments", "0000000000000001.seg");
    writeFileSync(file, Buffer.from("this is not a strata segment, only some text someone saved here\n"));
    await expect(FileEventLog.open(dir)).rejects.toMatchObject({ code: "CorruptLog", file, offset: 0 });
    await expect(FileEventLogReader.open(dir)).rejects.toMatchObject({ code: "CorruptLog", file });
  });

  test("verification never writes: a torn tail is reported, damage is an error, the bytes stay", async () => {
    const dir = tmp();
    await writeLog(dir, [[1], [2, 3]], 1 << 20);
    const [file] = segmentFiles(dir) as [string];
    appendFileSync(file, Buffer.from([0xf5, 0x53, 0x42])); // a batch header cut short
    const seen = bytesOf(dir);
    const reader = await FileEventLogReader.open(dir);
    const report = await reader.verify();
    expect(report).toMatchObject({ events: 3, tail: { file, bytes: 3 } });
    await reader.close();
    expect(bytesOf(dir)).toEqual(seen);
  });

  test("repair moves the damaged part and every later segment aside, then the log opens and appends", async () => {
    const dir = tmp();
    await writeLog(
      dir,
      Array.from({ length: 30 }, (_, i) => [i % 7, 100]),
      1024,
    );
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(3);
    const damaged = files[1] as string;
    const batches = batchesOfFile(damaged);
    const target = (batches[1] as BatchSpan).records[0] as { offset: number };
    const buf = readFileSync(damaged);
    buf[target.offset + 12] = (buf[target.offset + 12] as number) ^ 0x10;
    writeFileSync(damaged, buf);
    // The mark covers the damage: opening trusts it, and reading the damaged record finds it.
    expect(await openOutcome(dir)).toBeInstanceOf(CorruptLogError);
    expect(existsSync(markPath(dir))).toBe(true);
    const report = await repairFileLog(dir);
    // The mark described the log before the repair: it is gone.
    expect(existsSync(markPath(dir)) || existsSync(indexPath(dir))).toBe(false);
    expect(report.damage).toMatchObject({ file: damaged, offset: target.offset });
    expect(report.movedAside.map((m) => m.file)).toEqual(files.slice(1));
    for (const m of report.movedAside) expect(existsSync(m.savedAs)).toBe(true);
    // The log is cut where the damaged batch starts; the part moved aside holds exactly what was cut.
    const cutAt = (batches[1] as BatchSpan).offset;
    expect(readFileSync(damaged).length).toBe(cutAt);
    expect(report.movedAside[0]).toMatchObject({ file: damaged, offset: cutAt, bytes: buf.length - cutAt });
    expect(readFileSync(report.movedAside[0]?.savedAs as string).equals(buf.subarray(cutAt))).toBe(true);
    const log = await FileEventLog.open(dir);
    expect(await log.lastSeq()).toBe(report.events);
    await log.append([ev("after", 1)]);
    await log.verify();
    await log.close();
  });

  test("a mark from before a repair, put back after it, is ignored, even once the log has grown past it again", async () => {
    const dir = tmp();
    const written = (
      await writeLog(
        dir,
        Array.from({ length: 12 }, (_, i) => [i % 5, 40]),
        1024,
      )
    ).flat();
    const saved = { mark: readFileSync(markPath(dir)), index: readFileSync(indexPath(dir)) };
    const files = segmentFiles(dir);
    const damaged = files[1] as string;
    const buf = readFileSync(damaged);
    const target = (batchesOf(buf)[0] as BatchSpan).records[0] as { offset: number };
    buf[target.offset + 9] = (buf[target.offset + 9] as number) ^ 0x01;
    writeFileSync(damaged, buf);
    const report = await repairFileLog(dir);
    // Other events, as many bytes as before: the log grows back past where the old mark pointed.
    const log = await FileEventLog.open(dir, { segmentBytes: 1024, markEvery: 0 });
    for (let i = 0; log.openReport.events + i < written.length + 4; i++)
      await log.append([ev("again", i, 40)]);
    const events = await log.read();
    await log.close();
    writeFileSync(markPath(dir), saved.mark);
    writeFileSync(indexPath(dir), saved.index);
    for (const outcome of [await readOutcome(dir), await openOutcome(dir)]) expect(outcome).toEqual(events);
    expect(events.slice(0, report.events)).toEqual(written.slice(0, report.events));
    const reader = await FileEventLogReader.open(dir);
    expect(reader.openReport.mark?.seq).toBe(events.length); // the writer above replaced it
    await reader.close();
  });

  test("a forged mark that passes every check opening makes is found by verify; a forged index entry is never read from", async () => {
    const dir = tmp();
    const written = (await writeLog(dir, [[1, 2], [3], [4, 5, 6], [7]], 1 << 20)).flat();
    const mark = markOf(dir);
    if (!mark) throw new Error("no mark written");
    // Versions that are not the log's, the checksum recomputed: opening cannot tell (it would have
    // to read every record), verification can.
    writeMarkJson(dir, {
      ...mark,
      streams: mark.streams.map(([s, v, l], i) => [s, i === 0 ? v - 1 : i === 1 ? v + 1 : v, l]),
    });
    const reader = await FileEventLogReader.open(dir);
    expect(reader.openReport.mark?.seq).toBe(written.length);
    await expect(reader.verify()).rejects.toMatchObject({ code: "CorruptLog", file: markPath(dir) });
    await reader.close();
    // An entry that sends seq 2 to seq 3's bytes, the INDEX checksum recomputed: the read sees the
    // record is not the one the mark recorded, checks the whole log, and reads it right.
    writeMarkJson(dir, mark);
    const index = readFileSync(indexPath(dir));
    index.copy(index, 48, 96, 96 + 16);
    writeFileSync(indexPath(dir), index);
    writeMarkJson(dir, { ...mark, indexCrc: crc32(index.subarray(0, mark.seq * 48)) });
    const again = await FileEventLogReader.open(dir);
    expect(again.openReport.mark?.seq).toBe(written.length);
    expect(await again.read(2, 1)).toEqual([written[1]]);
    expect(await again.read()).toEqual(written);
    await again.close();
    const verifier = await FileEventLogReader.open(dir);
    await expect(verifier.verify()).rejects.toMatchObject({
      code: "CorruptLog",
      file: indexPath(dir),
      seq: 2,
    });
    await verifier.close();
  });

  test("an event over the record limit is refused before anything is written, naming the limit", async () => {
    const dir = tmp();
    const log = await FileEventLog.open(dir);
    await log.append([ev("a", 1)]);
    const before = bytesOf(dir);
    const huge = { ...ev("a", 2), data: { arg: "x".repeat(MAX_EVENT_BYTES) } };
    const error = await log.append([ev("a", 3), huge]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventTooLargeError);
    expect(error).toMatchObject({ index: 1, limit: MAX_EVENT_BYTES });
    expect((error as Error).message).toMatch(/64 MiB/);
    expect(bytesOf(dir)).toEqual(before);
    await log.append([ev("a", 4)]);
    await log.close();
    expect(await openOutcome(dir)).toHaveLength(2);
  });

  test("a log written before batches existed still opens, verifies, takes appends, and cuts its own torn tail", async () => {
    const fixture = new URL("./fixtures/log-v1", import.meta.url).pathname;
    const dir = tmp();
    cpSync(fixture, dir, { recursive: true });
    const [file] = segmentFiles(dir) as [string];
    const legacy = batchesOfFile(file);
    expect(legacy.every((b) => !b.header)).toBe(true);
    // Cut inside its last record at every 97th byte: the records before it stay.
    const full = readFileSync(file);
    const last = legacy.at(-1) as BatchSpan;
    for (let cut = last.offset; cut < last.end; cut += 97) {
      writeFileSync(file, full.subarray(0, cut));
      expect(await readOutcome(dir)).toHaveLength(legacy.length - 1);
    }
    writeFileSync(file, full);
    const log = await FileEventLog.open(dir);
    expect(await log.lastSeq()).toBe(legacy.length);
    await log.append([ev("new", 1), ev("new", 2)]);
    await log.verify();
    await log.close();
    const mixed = batchesOfFile(file);
    expect(mixed.at(-1)?.header).toBe(true);
    expect(await openOutcome(dir)).toHaveLength(legacy.length + 2);
  });
});
