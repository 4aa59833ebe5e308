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
import {
  AppendConditionError,
  ExpectedVersionConflictError,
  InvalidEventError,
  LogClosedError,
} from "../errors.js";
import { SNAPSHOTS_KEPT, type SnapshotStorage } from "../snapshots.js";

export interface LogUnderTest {
  readonly log: EventLog;
  /** Closes and reopens the same log (durable backends only). */
  readonly reopen?: () => Promise<EventLog>;
  /** Opens a second handle on the same log, as another process would (backends with shared writers). */
  readonly another?: () => Promise<EventLog>;
  readonly cleanup: () => Promise<void>;
}

export interface SuiteCapabilities {
  /** Events survive close and reopen. */
  readonly durable: boolean;
  /** Several handles (processes, hosts) may write the same log: `another` opens one. */
  readonly sharedWriters?: boolean;
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
        await log.append([ev("a", 1)], { expected: { a: "no-stream" } });
        await expect(log.append([ev("a", 2)], { expected: { a: "no-stream" } })).rejects.toBeInstanceOf(
          ExpectedVersionConflictError,
        );
        await expect(
          log.append([ev("a", 2), ev("b", 3)], { expected: { a: 1, b: 5 } }),
        ).rejects.toMatchObject({
          code: "ExpectedVersionConflict",
          streamId: "b",
          actual: 0,
        });
        expect(await log.lastSeq()).toBe(1);
        await log.append([ev("a", 2)], { expected: { a: 1 } });
        await log.append([ev("a", 3)], { expected: { a: "stream-exists", c: "no-stream" } });
        await log.append([ev("a", 4)], { expected: { a: "any" } });
        expect(await log.streamVersion("a")).toBe(4);
      }));

    test("of two concurrent appends that expect the same version, exactly one wins", () =>
      withLog(async ({ log }) => {
        for (let round = 0; round < 20; round++) {
          const v = await log.streamVersion("race");
          const results = await Promise.allSettled([
            log.append([ev("race", round * 2)], { expected: { race: v } }),
            log.append([ev("race", round * 2 + 1)], { expected: { race: v } }),
          ]);
          expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
          const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
          expect(failed.reason).toBeInstanceOf(ExpectedVersionConflictError);
        }
        const seqs = (await log.read()).map((e) => e.seq);
        expect(seqs).toEqual(seqs.map((_, i) => i + 1));
        expect(await log.streamVersion("race")).toBe(20);
      }));

    test("tags are stored and given back exactly; an event without tags has no tags field", () =>
      withLog(async ({ log }) => {
        await log.append([{ ...ev("a", 1), tags: ["name:web", "image:x", "ü✓"] }, ev("a", 2)]);
        const [first, second] = await log.read();
        expect(first?.tags).toEqual(["name:web", "image:x", "ü✓"]);
        expect(second).not.toHaveProperty("tags");
        expect((await log.readStream("a"))[0]?.tags).toEqual(["name:web", "image:x", "ü✓"]);
      }));

    test("append conditions: refused when an event after the position has a key the decision read (stream or tag)", () =>
      withLog(async ({ log }) => {
        await log.append([{ ...ev("c1", 1), tags: ["name:web"] }]); // seq 1
        await log.append([ev("c2", 2)]); // seq 2
        // Keys untouched since position 1: fine.
        await log.append([ev("c3", 3)], { condition: { after: 1, keys: ["name:web", "c1", "nobody"] } });
        // c2 moved after position 1.
        const e = await log.append([ev("c4", 4)], { condition: { after: 1, keys: ["c2"] } }).catch((x) => x);
        expect(e).toBeInstanceOf(AppendConditionError);
        expect(e).toMatchObject({ code: "AppendCondition", after: 1, seq: 2, key: "c2" });
        // A tag is a key too.
        await log.append([{ ...ev("c5", 5), tags: ["name:db"] }]); // seq 4
        await expect(
          log.append([ev("c6", 6)], { condition: { after: 3, keys: ["name:db"] } }),
        ).rejects.toMatchObject({ seq: 4, key: "name:db" });
        // Nothing was appended by the refused ones.
        expect((await log.read()).map((e) => e.streamId)).toEqual(["c1", "c2", "c3", "c5"]);
        // At the latest position every key holds; with both options, both must hold.
        await log.append([ev("c6", 6)], { condition: { after: 4, keys: ["c2", "name:db"] } });
        await expect(
          log.append([ev("c7", 7)], { condition: { after: 5, keys: ["c2"] }, expected: { c7: 1 } }),
        ).rejects.toBeInstanceOf(ExpectedVersionConflictError);
        await expect(
          log.append([ev("c7", 7)], { condition: { after: -1, keys: ["c2"] } }),
        ).rejects.toBeInstanceOf(InvalidEventError);
      }));

    test("of concurrent appends with the same condition, exactly one wins; appends reading other keys all go in", () =>
      withLog(async ({ log }) => {
        for (let round = 0; round < 10; round++) {
          const at = await log.lastSeq();
          const results = await Promise.allSettled([
            log.append([{ ...ev(`x${round}`, 1), tags: ["name:same"] }], {
              condition: { after: at, keys: ["name:same"] },
            }),
            log.append([{ ...ev(`y${round}`, 2), tags: ["name:same"] }], {
              condition: { after: at, keys: ["name:same"] },
            }),
            log.append([ev(`z${round}`, 3)], { condition: { after: at, keys: [`z${round}`] } }),
          ]);
          expect(results.map((r) => r.status).filter((s) => s === "fulfilled")).toHaveLength(2);
          expect(results[2]?.status).toBe("fulfilled");
          const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
          expect(failed.reason).toBeInstanceOf(AppendConditionError);
        }
        expect(await log.lastSeq()).toBe(20);
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
              const r = log.append(batch, want === undefined ? {} : { expected: { [o.stream]: want } });
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

    test("random appends with conditions behave like a sequential reference", async () => {
      const op = fc.record({
        stream: fc.constantFrom("x", "y", "z"),
        tag: fc.option(fc.constantFrom("t1", "t2"), { nil: undefined }),
        size: fc.integer({ min: 1, max: 2 }),
        condition: fc.option(
          fc.record({
            back: fc.nat({ max: 4 }),
            keys: fc.subarray(["x", "y", "z", "t1", "t2"], { minLength: 1 }),
          }),
          { nil: undefined },
        ),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(op, { maxLength: 20 }), async (ops) => {
          await withLog(async ({ log }) => {
            const stored: StoredEvent[] = [];
            const lastOf = new Map<string, number>();
            let n = 0;
            for (const o of ops) {
              const batch = Array.from({ length: o.size }, () => ({
                ...ev(o.stream, n++),
                ...(o.tag ? { tags: [o.tag] } : {}),
              }));
              const after = Math.max(0, stored.length - (o.condition?.back ?? 0));
              const ok = !o.condition || o.condition.keys.every((k) => (lastOf.get(k) ?? 0) <= after);
              const r = log.append(
                batch,
                o.condition ? { condition: { after, keys: o.condition.keys } } : {},
              );
              if (ok) {
                await r;
                for (const e of batch) {
                  stored.push({ ...e, seq: stored.length + 1 });
                  lastOf.set(e.streamId, stored.length);
                  if (o.tag) lastOf.set(o.tag, stored.length);
                }
              } else await expect(r).rejects.toBeInstanceOf(AppendConditionError);
            }
            expect(await log.read()).toEqual(stored);
          });
        }),
        { numRuns: runs },
      );
    });

    if (caps.sharedWriters) {
      test("shared writers: two handles on one log see each other's appends, and of two with the same condition exactly one wins", () =>
        withLog(async (u) => {
          const other = await (u.another as () => Promise<EventLog>)();
          try {
            for (let round = 0; round < 15; round++) {
              const at = await u.log.lastSeq();
              const results = await Promise.allSettled([
                u.log.append([{ ...ev(`a${round}`, round), tags: ["name:web"] }], {
                  condition: { after: at, keys: ["name:web"] },
                }),
                other.append([{ ...ev(`b${round}`, round), tags: ["name:web"] }], {
                  condition: { after: at, keys: ["name:web"] },
                }),
              ]);
              expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
              expect(
                (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason,
              ).toBeInstanceOf(AppendConditionError);
            }
            expect(await other.read()).toEqual(await u.log.read());
            expect((await u.log.read()).map((e) => e.seq)).toEqual(
              Array.from({ length: 15 }, (_, i) => i + 1),
            );
          } finally {
            await other.close();
          }
        }));
    }

    if (caps.sharedWriters) {
      test("shared writers: what one handle's append acknowledged, the other reads at once, whole, in order", () =>
        withLog(async (u) => {
          const other = await (u.another as () => Promise<EventLog>)();
          try {
            await fc.assert(
              fc.asyncProperty(
                fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 6 }), fc.nat(1500)), {
                  minLength: 1,
                  maxLength: 12,
                }),
                async (batches) => {
                  for (const [fromOther, size, pad] of batches) {
                    const [writer, reader] = fromOther ? [other, u.log] : [u.log, other];
                    const at = await reader.lastSeq();
                    const events = Array.from({ length: size }, (_, i) => ({
                      ...ev(`s${i % 3}`, at + i),
                      data: { pad: "p".repeat(pad) },
                    }));
                    const r = await writer.append(events);
                    // No waiting, no notification: a read right after the acknowledgement sees it all.
                    expect(await reader.lastSeq()).toBe(r.lastSeq);
                    expect((await reader.read(r.firstSeq)).map(strip)).toEqual(events);
                  }
                },
              ),
              { numRuns: Math.max(10, Math.floor(runs / 4)) },
            );
          } finally {
            await other.close();
          }
        }));
    }

    if (caps.durable) {
      test("durable: everything appended is there after close and reopen", () =>
        withLog(async (u) => {
          await u.log.append([ev("a", 1), ev("b", 2)]);
          await u.log.append([ev("a", 3)], { expected: { a: 1 } });
          const before = await u.log.read();
          await u.log.close();
          const again = await (u.reopen as () => Promise<EventLog>)();
          try {
            expect(await again.read()).toEqual(before);
            expect(await again.streamVersion("a")).toBe(2);
            const r = await again.append([ev("a", 4)], { expected: { a: 2 } });
            expect(r.firstSeq).toBe(4);
          } finally {
            await again.close();
          }
        }));
    }
  });
}

/**
 * The conformance suite every `SnapshotStorage` runs: what is saved is loaded back exactly, the latest
 * at or before a position wins, kinds are kept apart, and only the newest few of a kind are kept.
 */
export function runSnapshotSuite(name: string, factory: () => Promise<SnapshotStorage>): void {
  describe(`SnapshotStorage conformance: ${name}`, () => {
    test("the latest snapshot at or before a position is loaded back exactly; kinds are apart", async () => {
      const store = await factory();
      expect((await store.load("k")).snapshot).toBeNull();
      const state = { a: [1, 2, { b: "ü✓" }], n: null, big: "x".repeat(100_000) };
      await store.save({ position: 5, kind: "k", state });
      await store.save({ position: 9, kind: "k", state: { a: 9 } });
      await store.save({ position: 7, kind: "other", state: { o: 7 } });
      expect((await store.load("k")).snapshot).toEqual({ position: 9, kind: "k", state: { a: 9 } });
      expect((await store.load("k", 8)).snapshot).toEqual({ position: 5, kind: "k", state });
      expect((await store.load("k", 4)).snapshot).toBeNull();
      expect((await store.load("other")).snapshot?.state).toEqual({ o: 7 });
      expect((await store.load("none")).snapshot).toBeNull();
    });

    test(`only the newest ${SNAPSHOTS_KEPT} of a kind are kept`, async () => {
      const store = await factory();
      for (let p = 1; p <= SNAPSHOTS_KEPT + 3; p++)
        await store.save({ position: p * 10, kind: "k", state: { p } });
      await store.save({ position: 1, kind: "keep", state: {} });
      expect((await store.load("k", 30)).snapshot).toBeNull();
      expect((await store.load("k")).snapshot?.position).toBe((SNAPSHOTS_KEPT + 3) * 10);
      expect((await store.load("keep")).snapshot?.position).toBe(1);
    });
  });
}
