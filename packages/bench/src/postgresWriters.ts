/**
 * Measure 10: appends to the PostgreSQL backend from 8 concurrent writers (8 logs, one connection
 * each, as 8 processes would have), one event per append, against raw INSERTs of the same rows through
 * the same client library (pg) from 8 connections. The backend's appends keep seq gapless and check
 * expected versions under a lock on the head row; raw INSERTs do neither.
 * Needs a server: STRATA_PG_URL (default postgres://postgres:strata@127.0.0.1:5432/strata_test).
 */
import { type NewStoredEvent, PostgresEventLog } from "@strata/store";
import pg from "pg";
import { type Measure, type Result, type RunOptions, sized } from "./Measure.js";
import { fmtRate, median } from "./timing.js";
import { writeHistory } from "./workloads.js";

/** The server the PostgreSQL measures use (STRATA_PG_URL, or what .ci/run prepares). */
export const PG_URL = process.env.STRATA_PG_URL ?? "postgres://postgres:strata@127.0.0.1:5432/strata_test";
const WRITERS = 8;
const SCHEMA = "strata_bench";

/** Why there is no PostgreSQL to measure (null: there is). */
export async function postgresMissing(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return null;
  } catch (e) {
    return `no PostgreSQL at ${PG_URL.replace(/:[^:@/]*@/, ":***@")} (${(e as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

export const postgresWriters: Measure = {
  id: "10",
  measure: "appends to the PostgreSQL backend from 8 concurrent writers (8 logs, as 8 processes)",
  baseline: "raw INSERTs of the same rows through the same client library",
  target: { op: ">=", value: 0.5 },
  unavailable: postgresMissing,
  run: (o) => compare("processes", o),
};

export const postgresSharedWriters: Measure = {
  id: "10b",
  measure: "appends to the PostgreSQL backend from 8 concurrent writers sharing one log (group commit)",
  baseline: "raw INSERTs of the same rows through the same client library",
  target: { op: ">=", value: 0.5 },
  unavailable: postgresMissing,
  run: (o) => compare("shared", o),
};

async function compare(shape: "processes" | "shared", o: RunOptions): Promise<Result> {
  const count = sized(o, 2_000, 40);
  const events: NewStoredEvent[] = writeHistory(count)
    .log.read()
    .slice(-count)
    .map(({ seq: _seq, ...e }) => e);
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    const reset = async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
      await admin.query(`CREATE SCHEMA ${SCHEMA}`);
      await admin.query(
        `CREATE TABLE ${SCHEMA}.raw_events (seq bigserial PRIMARY KEY, stream_id text NOT NULL, type text NOT NULL, schema_version integer NOT NULL, recorded_at bigint NOT NULL, data json NOT NULL)`,
      );
    };
    const split = (w: number) => events.filter((_, i) => i % WRITERS === w);
    const ours = async () => {
      await reset();
      let logs: PostgresEventLog[];
      if (shape === "processes") {
        logs = await Promise.all(
          Array.from({ length: WRITERS }, () =>
            PostgresEventLog.open({ connectionString: PG_URL, schema: SCHEMA, poolSize: 1 }),
          ),
        );
      } else {
        const shared = await PostgresEventLog.open({ connectionString: PG_URL, schema: SCHEMA });
        logs = Array.from({ length: WRITERS }, () => shared);
      }
      const start = performance.now();
      await Promise.all(
        logs.map(async (log, w) => {
          for (const e of split(w)) await log.append([e]);
        }),
      );
      const took = performance.now() - start;
      await Promise.all([...new Set(logs)].map((l) => l.close()));
      return took;
    };
    const raw = async () => {
      await reset();
      const clients = Array.from({ length: WRITERS }, () => new pg.Client({ connectionString: PG_URL }));
      await Promise.all(clients.map((c) => c.connect()));
      const start = performance.now();
      await Promise.all(
        clients.map(async (c, w) => {
          for (const e of split(w))
            await c.query(
              `INSERT INTO ${SCHEMA}.raw_events (stream_id, type, schema_version, recorded_at, data) VALUES ($1, $2, $3, $4, $5)`,
              [e.streamId, e.type, e.schemaVersion, e.recordedAt, JSON.stringify(e.data)],
            );
        }),
      );
      const took = performance.now() - start;
      await Promise.all(clients.map((c) => c.end()));
      return took;
    };
    // Time only the appends (not opening, migrating or connecting): alternate rounds, medians.
    const oursTimes: number[] = [];
    const rawTimes: number[] = [];
    await ours();
    await raw();
    for (let r = 0; r < sized(o, 3, 1); r++) {
      oursTimes.push(await ours());
      rawTimes.push(await raw());
    }
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    const [mine, inserts] = [median(oursTimes), median(rawTimes)];
    return {
      ratio: inserts / mine,
      detail: `${fmtRate(events.length, mine, "events")} vs ${fmtRate(events.length, inserts, "events")}`,
    };
  } finally {
    await admin.end();
  }
}
