/**
 * FileEventLogReader: a lock-free, read-only view of a file log another process writes. It must see
 * exactly the complete records, never change a byte, follow appends across segments, and still report
 * real damage.
 */
import { spawn } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { CorruptLogError, FileEventLog, FileEventLogReader, type StoredEvent } from "@strata/store";
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { batchesOfFile, recordsOfFile } from "./support/segmentLayout.js";

const DIST = new URL("../dist/index.js", import.meta.url).pathname;
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const tmp = tempDirs("strata-reader-");
beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`run pnpm build first (${DIST} is missing)`);
});

const ev = (streamId: string, n: number) => ({
  streamId,
  type: "t",
  schemaVersion: 1,
  recordedAt: n,
  data: { n, pad: "y".repeat(n % 50) },
});

/** A log of `n` appends; with `batches`, append i holds 1 + i % 3 events. */
async function filled(
  n: number,
  segmentBytes = 1 << 20,
  batches = false,
): Promise<{ dir: string; events: StoredEvent[] }> {
  const dir = tmp();
  const log = await FileEventLog.open(dir, { segmentBytes });
  for (let i = 1; i <= n; i++)
    await log.append(Array.from({ length: batches ? 1 + (i % 3) : 1 }, (_, j) => ev(`s${(i + j) % 3}`, i)));
  const events = await log.read();
  await log.close();
  return { dir, events };
}
const segmentFiles = (dir: string) =>
  readdirSync(join(dir, "segments"))
    .sort()
    .map((f) => join(dir, "segments", f));
const snapshotBytes = (dir: string) => segmentFiles(dir).map((f) => readFileSync(f).toString("base64"));
const recordEnds = (file: string) => recordsOfFile(file).map((r) => r.end);
/** For each batch, its end and how many records it holds. */
const batchEnds = (file: string) =>
  batchesOfFile(file).map((b) => ({ end: b.end, records: b.records.length }));

describe("FileEventLogReader", () => {
  test("reads what the writer wrote, with the same head hash, while the writer holds the lock", async () => {
    const dir = tmp();
    const log = await FileEventLog.open(dir, { segmentBytes: 2048 });
    for (let i = 1; i <= 60; i++) await log.append([ev(`s${i % 4}`, i), ev("other", i)]);
    const reader = await FileEventLogReader.open(dir);
    expect(await reader.lastSeq()).toBe(120);
    expect(await reader.read()).toEqual(await log.read());
    expect(await reader.readStream("s1")).toEqual(await log.readStream("s1"));
    expect(await reader.streamVersion("other")).toBe(60);
    expect(reader.headHash).toBe((await log.verify()).headHash);
    // a reader cannot append
    await expect(reader.append([ev("x", 0)])).rejects.toMatchObject({ code: "ReadOnly" });
    expect(segmentFiles(dir).length).toBeGreaterThan(3);
    // the writer goes on; the reader sees the rest at its next refresh (reads refresh first)
    await log.append([ev("late", 1)]);
    expect(reader.refresh()).toBe(1);
    expect(reader.refresh()).toBe(0);
    await log.append([ev("later", 2)]);
    expect(await reader.lastSeq()).toBe(122);
    expect((await reader.read(121)).map((e) => e.streamId)).toEqual(["late", "later"]);
    await log.close();
    // a writer can open the log while a reader is open (no lock taken)
    const again = await FileEventLog.open(dir);
    await again.close();
    await reader.close();
  });

  test("property: cut anywhere during a write, the reader sees exactly the complete batches and changes nothing", async () => {
    const { dir, events } = await filled(40, 1500, true);
    const files = segmentFiles(dir);
    const full = files.map((f) => readFileSync(f));
    const batches = files.map(batchEnds);
    const count = (bs: readonly { end: number; records: number }[], upTo = Number.POSITIVE_INFINITY) =>
      bs.filter((b) => b.end <= upTo).reduce((n, b) => n + b.records, 0);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: files.length - 1 }), fc.nat(), async (segment, cutSeed) => {
        const scratch = tmp();
        const segDir = join(scratch, "segments");
        const { mkdirSync } = await import("node:fs");
        mkdirSync(segDir, { recursive: true });
        const size = (full[segment] as Buffer).length;
        const cut = cutSeed % (size + 1);
        for (let i = 0; i <= segment; i++) {
          const bytes = i === segment ? (full[i] as Buffer).subarray(0, cut) : (full[i] as Buffer);
          writeFileSync(join(segDir, (files[i] as string).split("/").at(-1) as string), bytes);
        }
        const before = snapshotBytes(scratch);
        const reader = await FileEventLogReader.open(scratch);
        const earlier = batches.slice(0, segment).reduce((n, bs) => n + count(bs), 0);
        const complete = earlier + count(batches[segment] as { end: number; records: number }[], cut);
        expect(await reader.read()).toEqual(events.slice(0, complete));
        expect(snapshotBytes(scratch)).toEqual(before);
        // the writer finishes the write: the reader picks it up from where it stopped
        appendFileSync(
          join(segDir, (files[segment] as string).split("/").at(-1) as string),
          (full[segment] as Buffer).subarray(cut),
        );
        reader.refresh();
        const inSegment = earlier + count(batches[segment] as { end: number; records: number }[]);
        expect(await reader.read()).toEqual(events.slice(0, inSegment));
        await reader.close();
      }),
      { numRuns: 200 },
    );
  });

  test("a torn tail is left alone (the writer, not a reader, cuts it)", async () => {
    const { dir, events } = await filled(10);
    const [file] = segmentFiles(dir) as [string];
    // The start of a batch whose write was cut short.
    appendFileSync(file, Buffer.from([0xf5, 0x53, 0x42, 0x31, 1, 0]));
    const before = readFileSync(file);
    const reader = await FileEventLogReader.open(dir);
    expect(await reader.read()).toEqual(events);
    expect(readFileSync(file).equals(before)).toBe(true);
    await reader.close();
  });

  test("damage that is not a write in progress is a CorruptLogError naming file, offset and seq", async () => {
    const { dir } = await filled(20);
    const [file] = segmentFiles(dir) as [string];
    const record6 = (recordsOfFile(file)[5] as { offset: number }).offset;
    const buf = readFileSync(file);
    const at = record6 + 20; // inside record 6's payload
    buf[at] = (buf[at] as number) ^ 0xff;
    writeFileSync(file, buf);
    // The writer marked the log when it closed: the reader trusts the mark, and finds the damage when
    // it reads the record (by seq, or in a range), before handing it out.
    const reader = await FileEventLogReader.open(dir);
    expect(reader.openReport.mark?.seq).toBe(20);
    expect(await reader.read(5, 1)).toHaveLength(1);
    for (const read of [() => reader.read(6, 1), () => reader.read()]) {
      const e = await read().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(CorruptLogError);
      expect(e).toMatchObject({ file, offset: record6, seq: 6 });
    }
    await reader.close();
    // Without the mark, opening checks every record and finds it.
    rmSync(join(dir, "MARK"));
    const e = await FileEventLogReader.open(dir).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CorruptLogError);
    expect(e).toMatchObject({ file, offset: record6, seq: 6 });
  });

  test("a log cut back under a reader is reported, not silently re-read", async () => {
    const { dir } = await filled(10);
    const reader = await FileEventLogReader.open(dir);
    const [file] = segmentFiles(dir) as [string];
    truncateSync(file, recordEnds(file)[7] as number);
    expect(() => reader.refresh()).toThrow(CorruptLogError);
    await reader.close();
  });

  test("follows a writer in another process across segments: every event once, in order", async () => {
    const dir = tmp();
    // the writer creates the log first
    const first = await FileEventLog.open(dir, { segmentBytes: 16 * 1024 });
    await first.close();
    const reader = await FileEventLogReader.open(dir, { pollMs: 20 });
    const seen: number[] = [];
    const errors: unknown[] = [];
    let reached: () => void = () => {};
    const enough = new Promise<void>((r) => (reached = r));
    const sub = reader.subscribe(
      1,
      (batch) => {
        for (const e of batch) seen.push(e.seq);
        if (seen.length >= 1500) reached();
      },
      (e) => errors.push(e),
    );
    const child = spawn(process.execPath, [fixture("appender.mjs"), dir, "1"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await enough;
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    await sub.close();
    await reader.close();
    expect(errors).toEqual([]);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    expect(segmentFiles(dir).length).toBeGreaterThan(2);
    // the whole log, reopened by a writer after the kill, begins with what the reader followed
    const log = await FileEventLog.open(dir);
    expect(await log.lastSeq()).toBeGreaterThanOrEqual(seen.length);
    await log.close();
  }, 60_000);
});

describe("records laid out differently from encodeRecord (another writer, an older version)", () => {
  test("are read whole by the writer and the reader, through the full decode", async () => {
    const dir = tmp();
    const segDir = join(dir, "segments");
    const { mkdirSync } = await import("node:fs");
    const { createHash } = await import("node:crypto");
    const { crc32 } = await import("node:zlib");
    mkdirSync(segDir, { recursive: true });
    let prev = "0".repeat(64);
    const records: Buffer[] = [];
    const events = [1, 2, 3].map((n) => ({
      seq: n,
      streamId: n === 2 ? "strom-\u00e9" : `s${n}`,
      type: "t",
      schemaVersion: 1,
      recordedAt: n,
      data: { n },
    }));
    for (const e of events) {
      // Keys in another order, and whitespace: valid JSON, valid CRC and chain, not encodeRecord's layout.
      const payload = Buffer.from(
        JSON.stringify(
          {
            prev,
            type: e.type,
            data: e.data,
            seq: e.seq,
            recordedAt: e.recordedAt,
            streamId: e.streamId,
            schemaVersion: 1,
          },
          null,
          1,
        ),
      );
      const header = Buffer.alloc(8);
      header.writeUInt32LE(payload.length, 0);
      header.writeUInt32LE(crc32(payload), 4);
      records.push(header, payload);
      prev = createHash("sha256").update(payload).digest("hex");
    }
    writeFileSync(join(segDir, `${"1".padStart(16, "0")}.seg`), Buffer.concat(records));
    const reader = await FileEventLogReader.open(dir);
    expect(await reader.read()).toEqual(events);
    expect(await reader.readStream("strom-\u00e9")).toEqual([events[1]]);
    await reader.close();
    const writer = await FileEventLog.open(dir);
    expect(await writer.read()).toEqual(events);
    await writer.append([{ streamId: "s4", type: "t", schemaVersion: 1, recordedAt: 4, data: { n: 4 } }]);
    expect((await writer.read(4))[0]?.seq).toBe(4);
    expect(await writer.verify()).toMatchObject({ events: 4 });
    await writer.close();
  });
});
