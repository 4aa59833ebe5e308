/**
 * The PostgreSQL log's order without a global lock (schema versions 6 and 7): events are ordered by their
 * transaction and published only once every older transaction has ended.
 *
 * - A transaction held open (an append written with `strata_write` in a transaction of the test's own)
 *   cannot be skipped: while it is open, readers polling the log, a subscriber and the appends after it
 *   see nothing after it; once it commits, both appear, in order; rolled back, it leaves no hole.
 * - Appends that only write keys hold no lock another writer waits for (they commit while it is open);
 *   an append whose condition reads a key held by an open writer waits for it and then sees it.
 * - Random concurrent appends from several handles (while a log in another schema appends too), checked
 *   afterwards against the log itself: every accepted condition held in log order, every refused one
 *   was broken, every expected version matched, and a subscriber saw 1, 2, 3… without a gap.
 */
import {
  AppendConditionError,
  type AppendResult,
  ExpectedVersionConflictError,
  type NewStoredEvent,
  PostgresEventLog,
  type StoredEvent,
} from "@strata/store";
import fc from "fast-check";
import type pg from "pg";
import { describe, expect, test } from "vitest";
import { lockKeys } from "../src/postgres/xidOrder.js";
import { adminClient, freshSchemas, PG_URL, postgresUnavailable } from "./support/postgres.js";

const why = await postgresUnavailable();
const freshSchema = freshSchemas();
const RUNS = Number(process.env.STRATA_PG_ORDER_RUNS ?? 25);
const POLLS = 25;

const ev = (streamId: string, n: number, tags?: string[]): NewStoredEvent => ({
  streamId,
  type: "order.test",
  schemaVersion: 1,
  recordedAt: n,
  data: { n },
  ...(tags ? { tags } : {}),
});

/**
 * Opens a transaction on `client` and writes one event to `stream` in it with `strata_write`, as an
 * append's first transaction does (locks, then insert), without committing.
 */
async function openWrite(client: pg.Client, schema: string, stream: string, n: number): Promise<void> {
  await client.query("BEGIN");
  await client.query(
    `SELECT ${schema}.strata_write($1, $2, '{1}', '{NULL}', '{}', '{}', '{}', '{}', '{}', $3, '{order.test}', '{1}', $4, $5::json[], '{NULL}')`,
    [[stream], [false], [stream], [n], [JSON.stringify({ n })]],
  );
}

/** How many events are committed in the log's table (published or not): what the server has. */
async function committed(admin: pg.Client, schema: string): Promise<number> {
  return Number((await admin.query(`SELECT count(*) AS n FROM ${schema}.strata_events`)).rows[0].n);
}

/** Resolves once `f()` holds, looking again after each turn of the event loop and a short pause. */
async function until(f: () => Promise<boolean>): Promise<void> {
  while (!(await f())) await new Promise((r) => setTimeout(r, 5));
}

/** Whether `p` has settled, without waiting for it. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe.runIf(why === null)("PostgreSQL: a slow transaction cannot be skipped", () => {
  for (const end of ["COMMIT", "ROLLBACK"] as const) {
    test(`readers, a subscriber and later appends see nothing after an open transaction; after ${end} they see it in order`, async () => {
      const schema = freshSchema();
      const log = await PostgresEventLog.open({ connectionString: PG_URL, schema });
      const reader = await PostgresEventLog.open({ connectionString: PG_URL, schema });
      const slow = await adminClient();
      const admin = await adminClient();
      try {
        await log.append([ev("s", 1), ev("s", 2)]);
        const seen: number[] = [];
        const sub = reader.subscribe(1, (batch) => {
          seen.push(...batch.map((e) => e.seq));
        });
        await until(async () => seen.length === 2);
        await openWrite(slow, schema, "s", 3);
        const later = log.append([ev("s", 4)]);
        // The later append's own transaction commits (it waits for no lock of the open one)...
        await until(async () => (await committed(admin, schema)) === 3);
        // ...but nothing after the open transaction is published while it is open.
        for (let i = 0; i < POLLS; i++) {
          expect((await reader.read()).map((e) => e.recordedAt)).toEqual([1, 2]);
          expect(await reader.lastSeq()).toBe(2);
          expect(await reader.streamVersion("s")).toBe(2);
          expect((await reader.readStream("s")).length).toBe(2);
          await new Promise((r) => setTimeout(r, 4));
        }
        expect(await settled(later)).toBe(false);
        expect(seen).toEqual([1, 2]);
        await slow.query(end);
        const r = await later;
        const expected = end === "COMMIT" ? [1, 2, 3, 4] : [1, 2, 4];
        expect(r.firstSeq).toBe(expected.length);
        expect(r.streamVersions).toEqual({ s: expected.length });
        const all = await reader.read();
        expect(all.map((e) => e.recordedAt)).toEqual(expected);
        expect(all.map((e) => e.seq)).toEqual(expected.map((_, i) => i + 1));
        expect((await reader.readStream("s")).map((e) => e.recordedAt)).toEqual(expected);
        await until(async () => seen.length === expected.length);
        await sub.close();
        expect(seen).toEqual(expected.map((_, i) => i + 1));
      } finally {
        await slow.end();
        await admin.end();
        await log.close();
        await reader.close();
      }
    });
  }

  test("a publication while an open transaction is older than a committed one stops at the open one", async () => {
    const schema = freshSchema();
    const log = await PostgresEventLog.open({ connectionString: PG_URL, schema });
    const older = await adminClient();
    const slow = await adminClient();
    const admin = await adminClient();
    try {
      await openWrite(older, schema, "d", 1); // xid D
      await openWrite(slow, schema, "a", 2); // xid A > D
      const newer = log.append([ev("e", 3)]); // xid E > A: committed, waits for A
      await until(async () => (await committed(admin, schema)) === 1);
      await older.query("COMMIT");
      // D is final, A is not: a handle opened now publishes what is final, D, and must stop there.
      const reader = await PostgresEventLog.open({ connectionString: PG_URL, schema });
      try {
        for (let i = 0; i < POLLS; i++) {
          expect((await reader.read()).map((e) => e.streamId)).toEqual(["d"]);
          await new Promise((r) => setTimeout(r, 4));
        }
        expect(await settled(newer)).toBe(false);
        await slow.query("COMMIT");
        expect((await newer).firstSeq).toBe(3);
        expect((await reader.read()).map((e) => [e.seq, e.streamId])).toEqual([
          [1, "d"],
          [2, "a"],
          [3, "e"],
        ]);
      } finally {
        await reader.close();
      }
    } finally {
      await older.end();
      await slow.end();
      await admin.end();
      await log.close();
    }
  });

  test("a writing transaction of something else in the cluster holds publication back, and changes no order", async () => {
    const schema = freshSchema();
    const log = await PostgresEventLog.open({ connectionString: PG_URL, schema });
    const other = await adminClient();
    const admin = await adminClient();
    try {
      await log.append([ev("s", 1)]);
      await other.query(`CREATE TABLE ${schema}.unrelated (x integer)`);
      await other.query("BEGIN");
      await other.query(`INSERT INTO ${schema}.unrelated VALUES (1)`);
      const a = log.append([ev("s", 2)]);
      await until(async () => (await committed(admin, schema)) === 2);
      for (let i = 0; i < POLLS; i++) {
        expect(await log.lastSeq()).toBe(1);
        await new Promise((r) => setTimeout(r, 4));
      }
      expect(await settled(a)).toBe(false);
      await other.query("COMMIT");
      expect((await a).firstSeq).toBe(2);
      expect((await log.read()).map((e) => e.recordedAt)).toEqual([1, 2]);
    } finally {
      await other.end();
      await admin.end();
      await log.close();
    }
  });
});

describe.runIf(why === null)("PostgreSQL: publishers of other logs", () => {
  test("a publisher of another log still committing holds publication back like any transaction: the append waits, then has its seqs", async () => {
    const schema = freshSchema();
    const elsewhere = freshSchema();
    const log = await PostgresEventLog.open({ connectionString: PG_URL, schema });
    const publisher = await adminClient();
    const admin = await adminClient();
    try {
      await log.append([ev("s", 1)]);
      // An open transaction with an xid that holds what a publisher of the log in `elsewhere` holds on
      // its xid (and what schema version 6's publishers of every log held, one key for all logs: the
      // settle skipped it, its xid kept the snapshot's xmin below the append, and the append was
      // answered with seq 0 and left unpublished).
      await publisher.query("BEGIN");
      await publisher.query(
        `SELECT pg_advisory_xact_lock(${lockKeys(elsewhere).publisher("pg_current_xact_id()")}),
                pg_advisory_xact_lock((pg_current_xact_id()::text::bigint >> 32)::integer # 1398034516,
                                      ((pg_current_xact_id()::text::bigint & 4294967295) - 2147483648)::integer)`,
      );
      const a = log.append([ev("s", 2), ev("s", 3)]);
      await until(async () => (await committed(admin, schema)) === 3);
      for (let i = 0; i < POLLS; i++) {
        expect(await log.lastSeq()).toBe(1);
        await new Promise((r) => setTimeout(r, 4));
      }
      expect(await settled(a)).toBe(false);
      await publisher.query("COMMIT");
      expect(await a).toMatchObject({ firstSeq: 2, lastSeq: 3 });
      expect((await log.read()).map((e) => e.recordedAt)).toEqual([1, 2, 3]);
    } finally {
      await publisher.end();
      await admin.end();
      await log.close();
    }
  });
});

describe.runIf(why === null)("PostgreSQL: locks only between a reader and a writer of one key", () => {
  test("writers of the same and of other keys go on while a writer is open; a reader of its key waits, then sees it", async () => {
    const schema = freshSchema();
    // One handle per append, as separate processes (appends on one handle would go as one group).
    const [log, second, third] = (await Promise.all(
      [1, 2, 3].map(() => PostgresEventLog.open({ connectionString: PG_URL, schema })),
    )) as [PostgresEventLog, PostgresEventLog, PostgresEventLog];
    const slow = await adminClient();
    const admin = await adminClient();
    try {
      await log.append([ev("x", 1)]);
      await openWrite(slow, schema, "x", 2);
      // Another writer of x and a writer of y commit their transactions while it is open.
      const sameKey = log.append([ev("x", 3)]);
      const otherKey = second.append([ev("y", 4)]);
      await until(async () => (await committed(admin, schema)) === 3);
      // An append whose condition reads x (as of seq 1) must wait for the open writer's lock.
      const reading = third.append([ev("z", 5)], { condition: { after: 1, keys: ["x"] } });
      for (let i = 0; i < POLLS; i++) {
        expect(await committed(admin, schema)).toBe(3);
        await new Promise((r) => setTimeout(r, 4));
      }
      await slow.query("COMMIT");
      const results = await Promise.allSettled([sameKey, otherKey, reading]);
      // It waited, then saw the writer's event (at seq 2): refused, naming it.
      const refused = results[2] as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(AppendConditionError);
      const events = await log.read();
      expect(events.map((e) => e.recordedAt)).toEqual([1, 2, 3, 4]);
      expect(refused.reason).toMatchObject({ key: "x", after: 1 });
      expect(events.find((e) => e.seq === refused.reason.seq)?.streamId).toBe("x");
      expect(results.slice(0, 2).map((r) => r.status)).toEqual(["fulfilled", "fulfilled"]);
    } finally {
      await slow.end();
      await admin.end();
      for (const h of [log, second, third]) await h.close();
    }
  });
});

/** One random append: its events' streams and tags, and what it is conditional on. */
interface Op {
  readonly events: readonly { readonly stream: string; readonly tag: string | undefined }[];
  readonly condition: readonly string[] | undefined;
  readonly expect: boolean;
}

const opArb: fc.Arbitrary<Op> = fc.record({
  events: fc.array(
    fc.record({
      stream: fc.constantFrom("a", "b", "c"),
      tag: fc.option(fc.constantFrom("t1", "t2"), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  condition: fc.option(fc.subarray(["a", "b", "c", "t1", "t2"], { minLength: 1 }), { nil: undefined }),
  expect: fc.boolean(),
});

interface Outcome {
  readonly op: Op;
  readonly after: number;
  readonly expected: number | undefined;
  readonly result: AppendResult | null;
  readonly error: unknown;
}

const keysOf = (e: StoredEvent) => [e.streamId, ...(e.tags ?? [])];

describe.runIf(why === null)("PostgreSQL: random concurrent appends from several handles", () => {
  test(`every accepted append held in log order, every refused one was refused rightly (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(opArb, { maxLength: 6 }), { minLength: 2, maxLength: 3 }),
        fc.nat(6),
        async (perHandle, neighbourAppends) => {
          const schema = freshSchema();
          const handles = await Promise.all(
            perHandle.map(() => PostgresEventLog.open({ connectionString: PG_URL, schema })),
          );
          // A log in another schema of the same database appends meanwhile: its publishers are
          // transactions of the cluster like any other, and must never cost an append here its place.
          const neighbour = await PostgresEventLog.open({ connectionString: PG_URL, schema: freshSchema() });
          const seen: number[] = [];
          const sub = (handles[0] as PostgresEventLog).subscribe(1, (batch) => {
            seen.push(...batch.map((e) => e.seq));
          });
          try {
            let n = 0;
            const neighbourDone = (async () => {
              for (let i = 0; i < neighbourAppends; i++) await neighbour.append([ev("next-door", i)]);
            })();
            const outcomes = (
              await Promise.all(
                perHandle.map(async (ops, h) => {
                  const log = handles[h] as PostgresEventLog;
                  const mine: Outcome[] = [];
                  for (const op of ops) {
                    const after = await log.lastSeq();
                    const stream = op.events[0]?.stream as string;
                    const expected = op.expect ? await log.streamVersion(stream) : undefined;
                    const batch = op.events.map((e) => ev(e.stream, n++, e.tag ? [e.tag] : undefined));
                    try {
                      const result = await log.append(batch, {
                        ...(op.condition ? { condition: { after, keys: op.condition } } : {}),
                        ...(expected !== undefined ? { expected: { [stream]: expected } } : {}),
                      });
                      mine.push({ op, after, expected, result, error: null });
                    } catch (error) {
                      mine.push({ op, after, expected, result: null, error });
                    }
                  }
                  return mine;
                }),
              )
            ).flat();
            await neighbourDone;
            expect(await neighbour.lastSeq()).toBe(neighbourAppends);
            const log = await handles[0]?.read();
            const events = log as StoredEvent[];
            expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
            for (const o of outcomes) {
              const stream = o.op.events[0]?.stream as string;
              if (o.result) {
                expect(o.result.firstSeq).toBeGreaterThan(0);
                const before = events.slice(0, o.result.firstSeq - 1);
                // Its events are where it was told, whole and in order.
                expect(events.slice(o.result.firstSeq - 1, o.result.lastSeq).map((e) => e.streamId)).toEqual(
                  o.op.events.map((e) => e.stream),
                );
                // Nothing between the position it decided at and its events has a key it read.
                for (const e of before.slice(o.after))
                  for (const k of keysOf(e)) expect(o.op.condition ?? []).not.toContain(k);
                if (o.expected !== undefined)
                  expect(before.filter((e) => e.streamId === stream)).toHaveLength(o.expected);
                // Stream versions: its last event in each stream is that stream's nth.
                for (const [s, v] of Object.entries(o.result.streamVersions))
                  expect(events.slice(0, o.result.lastSeq).filter((e) => e.streamId === s)).toHaveLength(v);
              } else if (o.error instanceof AppendConditionError) {
                const at = events[o.error.seq - 1] as StoredEvent;
                expect(o.error.seq).toBeGreaterThan(o.after);
                expect(keysOf(at)).toContain(o.error.key);
                expect(o.op.condition).toContain(o.error.key);
              } else {
                expect(o.error).toBeInstanceOf(ExpectedVersionConflictError);
                const e = o.error as ExpectedVersionConflictError;
                expect(e.actual).not.toBe(o.expected);
              }
            }
            await until(async () => seen.length >= events.length);
            expect(seen).toEqual(events.map((e) => e.seq));
          } finally {
            await sub.close();
            for (const h of handles) await h.close();
            await neighbour.close();
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 300_000);
});
