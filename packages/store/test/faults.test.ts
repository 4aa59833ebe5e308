/**
 * Faults and bad input on the file backend: crashes (SIGKILL at random moments), two processes racing
 * on the same expected version, torn, truncated, corrupted, reordered and forged logs.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { FileEventLog, FileEventLogReader, LogLockedError } from "@strata/store";
import { beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { type BatchSpan, batchesOfFile, recordsOfFile } from "./support/segmentLayout.js";

const DIST = new URL("../dist/index.js", import.meta.url).pathname;
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname;
const tmp = tempDirs("strata-faults-");

beforeAll(() => {
  if (!existsSync(DIST))
    throw new Error(
      `the fault tests run child processes on the built package: run pnpm build first (${DIST} is missing)`,
    );
});

const ev = (streamId: string, n: number) => ({
  streamId,
  type: "t",
  schemaVersion: 1,
  recordedAt: n,
  data: { n },
});

/** A log of `n` appends of one event; `marked`: its writer leaves a verified-prefix mark over all of them. */
async function filled(n: number, segmentBytes = 1 << 20, marked = true): Promise<string> {
  const dir = tmp();
  const log = await FileEventLog.open(dir, { segmentBytes, markEvery: marked ? 1_000 : 0 });
  for (let i = 1; i <= n; i++) await log.append([ev(`s${i % 3}`, i)]);
  await log.close();
  return dir;
}

/** Opens the log for writing and reads every event: the events, or what was thrown. */
async function openAndRead(dir: string): Promise<unknown> {
  try {
    const log = await FileEventLog.open(dir);
    try {
      return await log.read();
    } finally {
      await log.close();
    }
  } catch (e) {
    return e;
  }
}

/**
 * What opening, reading and verifying say about a damaged log: without a mark, opening finds the damage
 * (every record is checked); with a mark over it, opening trusts the mark, and reading the damaged record
 * and verification find it. Each must be `expected`.
 */
async function expectFound(dir: string, expected: Record<string, unknown>): Promise<void> {
  expect(existsSync(join(dir, "MARK"))).toBe(true);
  const reader = await FileEventLogReader.open(dir).catch((e: unknown) => e);
  if (reader instanceof FileEventLog) {
    expect(reader.openReport.mark).not.toBeNull();
    await expect(reader.read()).rejects.toMatchObject(expected);
    await expect(reader.verify()).rejects.toMatchObject(expected);
    await reader.close();
  } else {
    // The damage changed what the mark checks (a segment's length, its last record): it is not used.
    expect(reader).toMatchObject(expected);
  }
  expect(await openAndRead(dir)).toMatchObject(expected);
  rmSync(join(dir, "MARK"));
  await expect(FileEventLog.open(dir)).rejects.toMatchObject(expected);
}
const segments = (dir: string) =>
  readdirSync(join(dir, "segments"))
    .sort()
    .map((f) => join(dir, "segments", f));

/** Offsets of the records in a segment file. */
const recordOffsets = (file: string): number[] => recordsOfFile(file).map((r) => r.offset);

const CRASHES = Number(process.env.STRATA_CRASH_RUNS ?? 30);

describe("crashes", () => {
  test(`a writer killed with SIGKILL at random moments (${CRASHES} times), its verified-prefix marks then kept, lost, cut short or stale, loses no acknowledged event and keeps no part of a batch`, async () => {
    const dir = tmp();
    /** Copies of MARK and INDEX after earlier runs: what a mark that did not reach the disk leaves. */
    const earlier: { mark: Buffer | null; index: Buffer | null }[] = [];
    const copy = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : null);
    const put = (name: string, bytes: Buffer | null) => {
      if (bytes) writeFileSync(join(dir, name), bytes);
      else rmSync(join(dir, name), { force: true });
    };
    const acked = new Map<number, { run: number; n: number }>();
    let rng = 12345;
    const random = () => {
      rng = (rng * 1103515245 + 12345) % 2 ** 31;
      return rng / 2 ** 31;
    };
    for (let run = 0; run < CRASHES; run++) {
      const child = spawn(
        process.execPath,
        [fixture("appender.mjs"), dir, String(run), String(1 + (run % 4))],
        {
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      let out = "";
      await new Promise<void>((resolve, reject) => {
        let killed = false;
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (!killed && out.includes("ready")) {
            killed = true;
            setTimeout(() => child.kill("SIGKILL"), 5 + Math.floor(random() * 60));
          }
        });
        child.on("exit", () => resolve());
        child.on("error", reject);
      });
      for (const line of out.split("\n")) {
        const m = /^ack (\d+) (\d+) (\d+) (\d+)$/.exec(line);
        if (m)
          for (let s = Number(m[1]); s <= Number(m[2]); s++)
            acked.set(s, { run: Number(m[3]), n: Number(m[4]) });
      }
      // What a crash (or a power failure) can do to the mark: nothing, lose it (or its INDEX), cut either
      // short, or leave an older one (or an older INDEX under the newer MARK).
      const fate = Math.floor(random() * 7);
      const older = earlier[Math.floor(random() * earlier.length)] ?? { mark: null, index: null };
      if (fate === 1) put("MARK", null);
      if (fate === 2) put("INDEX", null);
      if (fate === 3 || fate === 4) {
        const name = fate === 3 ? "MARK" : "INDEX";
        const bytes = copy(name);
        if (bytes) put(name, bytes.subarray(0, Math.floor(random() * bytes.length)));
      }
      if (fate === 5) {
        put("MARK", older.mark);
        put("INDEX", older.index);
      }
      if (fate === 6) put("INDEX", older.index);
      // A reader sees what the next writer sees (it stops before a torn tail the writer cuts).
      const reader = await FileEventLog.open(dir, { readOnly: true });
      const seen = await reader.read();
      await reader.close();
      // Reopen as the next writer would: every acknowledged event is there, the chain verifies.
      const log = await FileEventLog.open(dir, { segmentBytes: 16 * 1024 });
      try {
        const events = await log.read();
        expect(events).toEqual(seen);
        // A kill alone never leaves a mark that does not hold (and one that does not is only ignored).
        if (fate === 0) expect(log.openReport.markIgnored).toBeNull();
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
        for (const [seq, who] of acked) {
          const e = events[seq - 1];
          expect(e, `acknowledged seq ${seq} is missing after crash ${run}`).toBeDefined();
          expect(e?.data).toMatchObject({ run: who.run, n: who.n });
        }
        // Every batch is whole: the events of one append (run, n) are all there, or none is.
        const batches = new Map<string, { size: number; seen: number }>();
        for (const e of events) {
          const d = e.data as { run: number; n: number; size: number };
          const key = `${d.run}/${d.n}`;
          const b = batches.get(key) ?? { size: d.size, seen: 0 };
          b.seen += 1;
          batches.set(key, b);
        }
        for (const [key, b] of batches)
          expect(b.seen, `batch ${key} is partial after crash ${run}`).toBe(b.size);
        expect((await log.verify()).mark).toEqual(events.length > 0 ? { seq: events.length } : null);
      } finally {
        await log.close();
      }
      earlier.push({ mark: copy("MARK"), index: copy("INDEX") });
    }
    expect(acked.size).toBeGreaterThan(CRASHES); // the writer did get work acknowledged
  }, 120_000);
});

describe("several writers", () => {
  for (const mode of ["expected", "condition"] as const) {
    test(`three processes race with the same ${mode === "expected" ? "expected version" : "append condition"}: exactly one wins each round, and the log stays gap-free`, async () => {
      const dir = tmp();
      const rounds = 15;
      for (let round = 0; round < rounds; round++) {
        const results = await Promise.all(
          ["a", "b", "c"].map(
            (who) =>
              new Promise<string>((resolve, reject) => {
                const child = spawn(
                  process.execPath,
                  [fixture("contender.mjs"), dir, "race", String(round), who, mode],
                  { stdio: ["ignore", "pipe", "inherit"] },
                );
                let out = "";
                child.stdout.on("data", (c: Buffer) => {
                  out += c.toString();
                });
                child.on("exit", () => resolve(out.trim()));
                child.on("error", reject);
              }),
          ),
        );
        expect(results.sort()).toEqual(["lost", "lost", "won"]);
      }
      const log = await FileEventLog.open(dir);
      expect((await log.read()).map((e) => e.seq)).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
      await log.close();
    }, 240_000); // 45 node processes: seconds idle, a minute when the cores are shared
  }

  test("two handles on one log take turns and each sees the other's appends", async () => {
    const dir = tmp();
    const a = await FileEventLog.open(dir);
    const b = await FileEventLog.open(dir);
    await a.append([ev("x", 1)]);
    await b.append([ev("y", 2)]);
    await a.append([ev("x", 3)], { expected: { x: 1, y: 1 } });
    expect((await b.read()).map((e) => [e.seq, e.streamId])).toEqual([
      [1, "x"],
      [2, "y"],
      [3, "x"],
    ]);
    await expect(b.append([ev("y", 4)], { condition: { after: 2, keys: ["x"] } })).rejects.toMatchObject({
      code: "AppendCondition",
      seq: 3,
      key: "x",
    });
    await a.close();
    await b.close();
  });

  test("a writer whose lock is held by a live process waits, then names it (pid, how to check) and appends nothing", async () => {
    const dir = tmp();
    const log = await FileEventLog.open(dir, { lockWaitMs: 300 });
    await log.append([ev("x", 1)]);
    const holder = spawn("sleep", ["5"]);
    try {
      writeFileSync(join(dir, "LOCK"), `${holder.pid} 0123456789abcdef\n`);
      const started = performance.now();
      const e = await log.append([ev("x", 2)]).catch((x: unknown) => x);
      expect(performance.now() - started).toBeGreaterThanOrEqual(250);
      expect(e).toBeInstanceOf(LogLockedError);
      expect(e).toMatchObject({ holderPid: holder.pid });
      expect((e as Error).message).toMatch(new RegExp(`ps -p ${holder.pid}`));
      expect(await log.lastSeq()).toBe(1);
    } finally {
      holder.kill("SIGKILL");
    }
    // Once it is gone, the lock is stale and taken over.
    await new Promise((r) => holder.once("exit", r));
    await log.append([ev("x", 3)]);
    expect(await log.lastSeq()).toBe(2);
    await log.close();
  });
});

describe("damaged logs", () => {
  test("a torn tail (a batch cut short) is truncated on open and reported; everything before it stays", async () => {
    const dir = await filled(10);
    const [file] = segments(dir);
    const buf = readFileSync(file as string);
    const lastBatch = batchesOfFile(file as string).at(-1)?.offset as number;
    writeFileSync(file as string, buf.subarray(0, buf.length - 5));
    const log = await FileEventLog.open(dir);
    expect(log.openReport.truncated).toEqual({
      file,
      offset: lastBatch,
      bytes: buf.length - 5 - lastBatch,
    });
    expect(await log.lastSeq()).toBe(9);
    await log.append([ev("s", 11)]);
    expect((await log.read()).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await log.close();
  });

  test("a corrupted byte in the middle is an error naming the file, offset and seq; nothing is truncated", async () => {
    const dir = await filled(10);
    const [file] = segments(dir) as [string];
    const offsets = recordOffsets(file);
    const buf = readFileSync(file);
    const at = (offsets[4] as number) + 20;
    buf[at] = (buf[at] as number) ^ 0xff;
    writeFileSync(file, buf);
    const size = buf.length;
    await expectFound(dir, { code: "CorruptLog", file, offset: offsets[4], seq: 5 });
    expect(readFileSync(file).length).toBe(size);
  });

  test("batches swapped (reordered) are detected by seq and chain", async () => {
    const dir = await filled(6);
    const [file] = segments(dir) as [string];
    const batches = batchesOfFile(file);
    const buf = readFileSync(file);
    const [b1, b2, b3] = batches.slice(1, 4) as [BatchSpan, BatchSpan, BatchSpan];
    writeFileSync(
      file,
      Buffer.concat([
        buf.subarray(0, b1.offset),
        buf.subarray(b2.offset, b2.end),
        buf.subarray(b1.offset, b1.end),
        buf.subarray(b3.offset),
      ]),
    );
    await expectFound(dir, { code: "CorruptLog", seq: 2, offset: b1.offset + 20 });
  });

  test("a forged record with valid checksums (record and batch) breaks the hash chain", async () => {
    const dir = await filled(6);
    const [file] = segments(dir) as [string];
    const batches = batchesOfFile(file);
    const buf = readFileSync(file);
    const batch = batches[2] as BatchSpan;
    const record = batch.records[0] as { offset: number; end: number };
    const payload = JSON.parse(buf.subarray(record.offset + 8, record.end).toString());
    payload.data = { n: 999, forged: true };
    // Keep the chain field but change the content: the next record's prev no longer matches.
    const forged = Buffer.from(JSON.stringify(payload));
    const header = Buffer.alloc(8);
    header.writeUInt32LE(forged.length, 0);
    header.writeUInt32LE(crc32(forged), 4);
    const body = Buffer.concat([header, forged]);
    const batchHeader = Buffer.alloc(20);
    buf.copy(batchHeader, 0, batch.offset, batch.offset + 8);
    batchHeader.writeUInt32LE(body.length, 8);
    batchHeader.writeUInt32LE(crc32(body), 12);
    batchHeader.writeUInt32LE(crc32(batchHeader.subarray(0, 16)), 16);
    writeFileSync(
      file,
      Buffer.concat([buf.subarray(0, batch.offset), batchHeader, body, buf.subarray(batch.end)]),
    );
    await expectFound(dir, { code: "CorruptLog", seq: 4 });
  });

  test("a missing segment in the middle is detected", async () => {
    const dir = await filled(60, 600);
    const files = segments(dir);
    expect(files.length).toBeGreaterThan(2);
    rmSync(files[1] as string);
    // The mark covers the segment that went: it no longer holds, and opening checks everything.
    await expect(FileEventLog.open(dir)).rejects.toThrow(/segment starts at seq \d+, expected \d+/);
  });
});
