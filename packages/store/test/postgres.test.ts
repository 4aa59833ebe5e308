/**
 * The PostgreSQL backend against a real server over loopback: the shared conformance suite, two
 * connections racing on the same expected version for many rounds, subscriptions woken by
 * LISTEN/NOTIFY, and a server restart in the middle of a run.
 *
 * The server is the one `.ci/run` installs and starts (Debian's postgresql, cluster 15/main, password
 * set for the postgres user). Under CI=true the suite fails when it cannot connect; elsewhere it is
 * skipped with the reason printed.
 */
import { createHash, randomBytes } from "node:crypto";
import { ExpectedVersionConflictError, PostgresEventLog, StoreUnavailableError } from "@strata/store";
import { runEventLogSuite, runSnapshotSuite } from "@strata/store/testsuite";
import pg from "pg";
import { afterAll, describe, expect, test } from "vitest";
import { privatePostgresUnavailable, startPrivatePostgres } from "../../../test-support/privatePostgres.js";
import { freshSchemas, PG_URL, postgresUnavailable } from "./support/postgres.js";

const URL_ = PG_URL;
const why = await postgresUnavailable();
const freshSchema = freshSchemas();

if (why === null) {
  runEventLogSuite(
    "postgres",
    async () => {
      const schema = freshSchema();
      return {
        log: await PostgresEventLog.open({ connectionString: URL_, schema }),
        reopen: () => PostgresEventLog.open({ connectionString: URL_, schema }),
        another: () => PostgresEventLog.open({ connectionString: URL_, schema }),
        cleanup: async () => {},
      };
    },
    { durable: true, sharedWriters: true, runs: 25 },
  );
}

if (why === null) {
  const opened: PostgresEventLog[] = [];
  afterAll(async () => {
    for (const log of opened) await log.close();
  });
  runSnapshotSuite("postgres", async () => {
    const log = await PostgresEventLog.open({ connectionString: URL_, schema: freshSchema() });
    opened.push(log);
    return log.snapshots();
  });

  describe("file contents beside the log (PostgresBlobStore)", () => {
    const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
    test("what is put is read back exactly (parts of 4 MiB), twice is a no-op, and changed bytes are refused", async () => {
      const log = await PostgresEventLog.open({ connectionString: URL_, schema: freshSchema() });
      opened.push(log);
      const blobs = log.blobs();
      const small = Buffer.from("hello\n");
      const big = randomBytes(9 * 1024 * 1024 + 17);
      const empty = Buffer.alloc(0);
      await blobs.put([
        { digest: sha(small), bytes: small },
        { digest: sha(big), bytes: big },
        { digest: sha(empty), bytes: empty },
        { digest: sha(small), bytes: small },
      ]);
      await blobs.put([{ digest: sha(small), bytes: small }]);
      expect(await blobs.has([sha(small), sha(big), sha(empty), `sha256:${"0".repeat(64)}`])).toEqual(
        new Set([sha(small), sha(big), sha(empty)]),
      );
      expect(Buffer.from((await blobs.get(sha(big))) as Uint8Array).equals(big)).toBe(true);
      expect(Buffer.from((await blobs.get(sha(empty))) as Uint8Array).length).toBe(0);
      expect(await blobs.get(`sha256:${"0".repeat(64)}`)).toBeUndefined();
      // Another handle (another host) reads the same.
      const other = await PostgresEventLog.open({ connectionString: URL_, schema: log.schema });
      opened.push(other);
      expect(Buffer.from((await other.blobs().get(sha(small))) as Uint8Array).toString()).toBe("hello\n");
      const admin = new pg.Client({ connectionString: URL_ });
      await admin.connect();
      await admin.query(
        `UPDATE ${log.schema}.strata_blob_parts SET bytes = 'HELLO'::bytea WHERE digest = $1`,
        [sha(small)],
      );
      await admin.end();
      await expect(blobs.get(sha(small))).rejects.toThrow(/does not match its digest/);
    });
  });
}

const ev = (streamId: string, n: number) => ({
  streamId,
  type: "pg.test",
  schemaVersion: 1,
  recordedAt: n,
  data: { n },
});

describe.runIf(why === null)("PostgreSQL under concurrency and faults", () => {
  test("group commit: concurrent appends on one log share transactions, each checked on its own", async () => {
    const schema = freshSchema();
    const log = await PostgresEventLog.open({ connectionString: URL_, schema });
    // 60 appends at once: stream s<i%6> expects version "no-stream" for its first append and "any"
    // after, except every 7th, which expects a version it cannot have.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, (_, i) =>
        log.append([ev(`s${i % 6}`, i), ev(`s${i % 6}`, i + 1000)], {
          expected: { [`s${i % 6}`]: i % 7 === 3 ? 999 : i < 6 ? "no-stream" : "any" },
        }),
      ),
    );
    const refused = outcomes.flatMap((o, i) => (o.status === "rejected" ? [i] : []));
    expect(refused).toEqual(Array.from({ length: 60 }, (_, i) => i).filter((i) => i % 7 === 3));
    for (const i of refused)
      expect((outcomes[i] as PromiseRejectedResult).reason).toBeInstanceOf(ExpectedVersionConflictError);
    // In order, gap-free, each stream's versions consecutive, and each result names its own seqs.
    const successes = new Map<number, number>();
    const events = await log.read();
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    expect(events).toHaveLength(2 * (60 - refused.length));
    for (const [i, o] of outcomes.entries()) {
      if (o.status !== "fulfilled") continue;
      const mine = events.slice(o.value.firstSeq - 1, o.value.lastSeq);
      expect(mine.map((e) => e.recordedAt)).toEqual([i, i + 1000]);
      successes.set(i % 6, (successes.get(i % 6) ?? 0) + 1);
      expect(o.value.streamVersions).toEqual({ [`s${i % 6}`]: 2 * (successes.get(i % 6) as number) });
    }
    for (let s = 0; s < 6; s++) {
      const stream = await log.readStream(`s${s}`);
      expect(stream.length).toBe(await log.streamVersion(`s${s}`));
    }
    // Fewer transactions than appends: they were grouped.
    const admin = new pg.Client({ connectionString: URL_ });
    await admin.connect();
    const tx = await admin.query(`SELECT count(DISTINCT xmin::text) AS n FROM ${schema}.strata_events`);
    await admin.end();
    expect(Number(tx.rows[0].n)).toBeLessThan(60 - refused.length);
    await log.close();
  });

  test("group commit: when the group statement fails, each append is tried on its own", async () => {
    const schema = freshSchema();
    const log = await PostgresEventLog.open({ connectionString: URL_, schema });
    // The server refuses one append's row (a trigger, as a value out of a column's range would):
    // the group statement fails as a whole.
    const admin = new pg.Client({ connectionString: URL_ });
    await admin.connect();
    await admin.query(`
      CREATE FUNCTION ${schema}.refuse_seven() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.recorded_at = 7 THEN RAISE EXCEPTION 'seven is refused'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER refuse_seven BEFORE INSERT ON ${schema}.strata_events
        FOR EACH ROW EXECUTE FUNCTION ${schema}.refuse_seven();`);
    await admin.end();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        log.append([ev(`s${i % 3}`, i)], i === 9 ? { expected: { s0: 0 } } : {}),
      ),
    );
    // Each went on its own: all stored but #7 (refused by the server) and #9 (a wrong expected version).
    expect(outcomes.map((o) => o.status)).toEqual(
      Array.from({ length: 12 }, (_, i) => (i === 7 || i === 9 ? "rejected" : "fulfilled")),
    );
    expect(String((outcomes[7] as PromiseRejectedResult).reason)).toMatch(/seven is refused/);
    expect((outcomes[9] as PromiseRejectedResult).reason).toBeInstanceOf(ExpectedVersionConflictError);
    expect((await log.read()).map((e) => e.recordedAt)).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 10, 11]);
    await log.close();
  });

  test("two connections with the same expected version: exactly one wins each round, for 100 rounds; the log is gap-free", async () => {
    const schema = freshSchema();
    const a = await PostgresEventLog.open({ connectionString: URL_, schema });
    const b = await PostgresEventLog.open({ connectionString: URL_, schema });
    try {
      for (let round = 0; round < 100; round++) {
        const results = await Promise.allSettled([
          a.append([ev("race", round)], { expected: { race: round } }),
          b.append([ev("race", round)], { expected: { race: round } }),
        ]);
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toBeInstanceOf(
          ExpectedVersionConflictError,
        );
      }
      const seqs = (await a.read()).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);

  test("a subscriber on one connection sees what another connection appends (LISTEN/NOTIFY), in order", async () => {
    const schema = freshSchema();
    const writer = await PostgresEventLog.open({ connectionString: URL_, schema });
    const reader = await PostgresEventLog.open({ connectionString: URL_, schema });
    try {
      const seen: number[] = [];
      let done: () => void = () => {};
      const all = new Promise<void>((r) => (done = r));
      const sub = reader.subscribe(1, (batch) => {
        seen.push(...batch.map((e) => e.seq));
        if (seen.length >= 30) done();
      });
      for (let i = 0; i < 10; i++)
        await Promise.all([writer.append([ev("x", i)]), writer.append([ev("y", i), ev("y", i)])]);
      await all;
      await sub.close();
      expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    } finally {
      await writer.close();
      await reader.close();
    }
  }, 30_000);

  // The restart happens on a server of this test's own, so the other PostgreSQL tests running at the
  // same time (in other files) keep theirs.
  const cannotRestart = privatePostgresUnavailable();
  if (cannotRestart !== null && process.env.CI === "true")
    throw new Error(`the PostgreSQL restart test must run in CI, but: ${cannotRestart}`);
  const canRestart = cannotRestart === null;

  test.runIf(canRestart)(
    "a server restart mid-run: appends in flight fail clearly or succeed, none is half-applied, and the client reconnects",
    async () => {
      const server = await startPrivatePostgres();
      const schema = "strata_restart";
      const log = await PostgresEventLog.open({ connectionString: server.url, schema });
      const acked = new Set<number>();
      const failures: unknown[] = [];
      let stop = false;
      const writer = (async () => {
        for (let n = 0; !stop; n++) {
          try {
            // Batches of three: each must be stored whole or not at all.
            const r = await log.append([ev(`b${n}`, 0), ev(`b${n}`, 1), ev(`b${n}`, 2)]);
            acked.add(n);
            expect(r.lastSeq - r.firstSeq).toBe(2);
          } catch (e) {
            failures.push(e);
            await new Promise((r) => setTimeout(r, 20));
          }
        }
      })();
      const startTime = async () => {
        const c = new pg.Client({ connectionString: server.url });
        await c.connect();
        const r = await c.query("SELECT pg_postmaster_start_time()::text AS t");
        await c.end();
        return r.rows[0]?.t as string;
      };
      const startedBefore = await startTime();
      await new Promise((r) => setTimeout(r, 300));
      server.restart();
      // Keep writing until appends succeed again after the restart.
      const before = acked.size;
      const deadline = Date.now() + 20_000;
      while (acked.size < before + 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      stop = true;
      await writer;
      expect(acked.size).toBeGreaterThanOrEqual(before + 20);
      // The server really restarted; appends caught in it failed with a clear error (or none was in flight).
      expect(await startTime()).not.toBe(startedBefore);
      for (const f of failures) expect(f).toBeInstanceOf(StoreUnavailableError);
      const events = await log.read();
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      const perBatch = new Map<string, number>();
      for (const e of events) perBatch.set(e.streamId, (perBatch.get(e.streamId) ?? 0) + 1);
      for (const [stream, count] of perBatch) expect(count, `batch ${stream} is whole`).toBe(3);
      for (const n of acked) expect(perBatch.get(`b${n}`), `acknowledged batch b${n}`).toBe(3);
      await log.close();
      server.stop();
    },
    60_000,
  );
});
