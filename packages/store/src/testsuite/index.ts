/**
 * The conformance suite every `EventLog` backend runs:
 *
 * ```ts
 * import { runEventLogSuite } from "@strata/store/testsuite";
 * runEventLogSuite("file", async () => { const log = await FileEventLog.open(tmp()); return { log, cleanup } }, { durable: true });
 * ```
 *
 * Capabilities are declared by the backend (never guessed from its name): `durable` backends are also
 * checked to keep everything across close and reopen.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { EventLog, ExpectedVersion, NewStoredEvent, StoredEvent } from "../EventLog.js";
import { ExpectedVersionConflictError, InvalidEventError, LogClosedError } from "../errors.js";

export interface LogUnderTest {
  readonly log: EventLog;
  /** Closes and reopens the same log (durable backends only). */
  readonly reopen?: () => Promise<EventLog>;
  readonly cleanup: () => Promise<void>;
}

export interface SuiteCapabilities {
  /** Events survive close and reopen. */
  readonly durable: boolean;
  /** Number of random cases for the property tests (default 100). */
  readonly runs?: number;
}

const ev = (streamId: string, n: number, type = "thing.happened"): NewStoredEvent => ({
  streamId,
  type,
  schemaVersion: 1,
  recordedAt: 1_700_000_000_000 + n,
  data: { n, text: `event ${n}`, nested: { list: [n, n + 1], unicode: "ü✓" } },
});

const strip = ({ seq: _s, ...rest }: StoredEvent) => rest;

export function runEventLogSuite(
  name: string,
  factory: () => Promise<LogUnderTest>,
  caps: SuiteCapabilities,
): void {
  const runs = caps.runs ?? 100;
  const withLog = async (f: (u: LogUnderTest) => Promise<void>) => {
    const u = await factory();
    try {
      await f(u);
    } finally {
      await u.log.close().catch(() => {});
      await u.cleanup();
    }
  };

  describe(`EventLog conformance: ${name}`, () => {
    test("an empty log has no events", () =>
      withLog(async ({ log }) => {
        expect(await log.lastSeq()).toBe(0);
        expect(await log.read()).toEqual([]);
        expect(await log.streamVersion("s")).toBe(0);
      }));

    test("append assigns consecutive seqs from 1 and read returns the events as given", () =>
      withLog(async ({ log }) => {
        const r1 = await log.append([ev("a", 1), ev("b", 2)]);
        const r2 = await log.append([ev("a", 3)]);
        expect(r1).toEqual({ firstSeq: 1, lastSeq: 2, streamVersions: { a: 1, b: 1 } });
        expect(r2).toEqual({ firstSeq: 3, lastSeq: 3, streamVersions: { a: 2 } });
        const all = await log.read();
        expect(all.map((e) => e.seq)).toEqual([1, 2, 3]);
        expect(all.map(strip)).toEqual([ev("a", 1), ev("b", 2), ev("a", 3)]);
        expect((await log.read(2, 1)).map((e) => e.seq)).toEqual([2]);
        expect((await log.readStream("a")).map((e) => e.seq)).toEqual([1, 3]);
        expect((await log.readStream("a", 2)).map((e) => e.seq)).toEqual([3]);
        expect(await log.streamVersion("a")).toBe(2);
      }));

    test("expected versions: a mismatch is a typed conflict and appends nothing", () =>
      withLog(async ({ log }) => {
        await log.append([ev("a", 1)], { a: "no-stream" });
        await expect(log.append([ev("a", 2)], { a: "no-stream" })).rejects.toBeInstanceOf(
          ExpectedVersionConflictError,
        );
        await expect(log.append([ev("a", 2), ev("b", 3)], { a: 1, b: 5 })).rejects.toMatchObject({
          code: "ExpectedVersionConflict",
          streamId: "b",
          actual: 0,
        });
        expect(await log.lastSeq()).toBe(1);
        await log.append([ev("a", 2)], { a: 1 });
        await log.append([ev("a", 3)], { a: "stream-exists", c: "no-stream" });
        await log.append([ev("a", 4)], { a: "any" });
        expect(await log.streamVersion("a")).toBe(4);
      }));

    test("of two concurrent appends that expect the same version, exactly one wins", () =>
      withLog(async ({ log }) => {
        for (let round = 0; round < 20; round++) {
          const v = await log.streamVersion("race");
          const results = await Promise.allSettled([
            log.append([ev("race", round * 2)], { race: v }),
            log.append([ev("race", round * 2 + 1)], { race: v }),
          ]);
          expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
          const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
          expect(failed.reason).toBeInstanceOf(ExpectedVersionConflictError);
        }
        const seqs = (await log.read()).map((e) => e.seq);
        expect(seqs).toEqual(seqs.map((_, i) => i + 1));
        expect(await log.streamVersion("race")).toBe(20);
      }));

    test("a malformed event is refused and nothing of its batch is stored", () =>
      withLog(async ({ log }) => {
        const bad = { ...ev("a", 1), schemaVersion: 0 };
        await expect(log.append([ev("a", 0), bad])).rejects.toBeInstanceOf(InvalidEventError);
        expect(await log.lastSeq()).toBe(0);
      }));

    test("what one backend could not store exactly, every backend refuses alike", () =>
      withLog(async ({ log }) => {
        const refused = [
          { ...ev("a", 1), schemaVersion: 2 ** 31 }, // beyond a 32-bit column
          { ...ev("a", 1), streamId: "a\u0000b" }, // NUL: PostgreSQL text cannot hold it
          { ...ev("a", 1), type: "t\ud800" }, // a lone surrogate does not survive UTF-8
          { ...ev("a", 1), streamId: "" },
        ];
        for (const bad of refused) await expect(log.append([bad])).rejects.toBeInstanceOf(InvalidEventError);
        await log.append([
          { ...ev("a", 1), schemaVersion: 2 ** 31 - 1, streamId: "strom-\u00e9-\ud83d\ude00" },
        ]);
        expect((await log.read()).map((e) => [e.streamId, e.schemaVersion])).toEqual([
          ["strom-\u00e9-\ud83d\ude00", 2 ** 31 - 1],
        ]);
      }));

    test("subscribe delivers stored then new events, in order, without gaps or repeats", () =>
      withLog(async ({ log }) => {
        await log.append([ev("a", 1), ev("a", 2)]);
        const seen: number[] = [];
        let resolveDone: () => void = () => {};
        const done = new Promise<void>((r) => (resolveDone = r));
        const sub = log.subscribe(2, (batch) => {
          seen.push(...batch.map((e) => e.seq));
          if (seen.length >= 5) resolveDone();
        });
        await log.append([ev("b", 3)]);
        await Promise.all([log.append([ev("b", 4)]), log.append([ev("c", 5)])]);
        await log.append([ev("c", 6)]);
        await done;
        await sub.close();
        expect(seen).toEqual([2, 3, 4, 5, 6]);
      }));

    test("closed logs refuse work", () =>
      withLog(async ({ log }) => {
        await log.close();
        await expect(log.append([ev("a", 1)])).rejects.toBeInstanceOf(LogClosedError);
        await expect(log.read()).rejects.toBeInstanceOf(LogClosedError);
      }));

    test("random interleavings of appends behave like a sequential reference", async () => {
      const op = fc.record({
        stream: fc.constantFrom("x", "y", "z"),
        size: fc.integer({ min: 0, max: 3 }),
        expect: fc.option(
          fc.oneof(fc.constantFrom<ExpectedVersion>("any", "no-stream", "stream-exists"), fc.nat({ max: 4 })),
          {
            nil: undefined,
          },
        ),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
          await withLog(async ({ log }) => {
            const versions = new Map<string, number>();
            const expected: StoredEvent[] = [];
            let n = 0;
            for (const o of ops) {
              const batch = Array.from({ length: o.size }, () => ev(o.stream, n++));
              const actual = versions.get(o.stream) ?? 0;
              const want = o.expect;
              const ok =
                want === undefined ||
                want === "any" ||
                (want === "no-stream" && actual === 0) ||
                (want === "stream-exists" && actual > 0) ||
                want === actual;
              const r = log.append(batch, want === undefined ? {} : { [o.stream]: want });
              if (ok) {
                await r;
                for (const e of batch) expected.push({ ...e, seq: expected.length + 1 });
                versions.set(o.stream, actual + batch.length);
              } else {
                await expect(r).rejects.toBeInstanceOf(ExpectedVersionConflictError);
              }
            }
            expect(await log.read()).toEqual(expected);
          });
        }),
        { numRuns: runs },
      );
    });

    if (caps.durable) {
      test("durable: everything appended is there after close and reopen", () =>
        withLog(async (u) => {
          await u.log.append([ev("a", 1), ev("b", 2)]);
          await u.log.append([ev("a", 3)], { a: 1 });
          const before = await u.log.read();
          await u.log.close();
          const again = await (u.reopen as () => Promise<EventLog>)();
          try {
            expect(await again.read()).toEqual(before);
            expect(await again.streamVersion("a")).toBe(2);
            const r = await again.append([ev("a", 4)], { a: 2 });
            expect(r.firstSeq).toBe(4);
          } finally {
            await again.close();
          }
        }));
    }
  });
}
