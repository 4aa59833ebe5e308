/**
 * The PostgreSQL server the store's tests use (`STRATA_PG_URL`, default what `.ci/run` prepares), and
 * fresh schemas on it, dropped after the file's tests. Under CI=true an unreachable server fails the
 * file; elsewhere its tests are skipped with the reason printed.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll } from "vitest";

export const PG_URL = process.env.STRATA_PG_URL ?? "postgres://postgres:strata@127.0.0.1:5432/strata_test";

/** Why the server cannot be used (null: it can). Throws under CI=true. */
export async function postgresUnavailable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  let why: string | null = null;
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (e) {
    why = `cannot connect to ${PG_URL.replace(/:[^:@/]*@/, ":***@")}: ${(e as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
  if (why !== null) {
    if (process.env.CI === "true") throw new Error(`the PostgreSQL tests must run in CI, but ${why}`);
    console.warn(`skipping the PostgreSQL tests: ${why}`);
  }
  return why;
}

/** A function giving fresh schema names, each dropped (with everything in it) after the file's tests. */
export function freshSchemas(): () => string {
  const schemas: string[] = [];
  afterAll(async () => {
    if (schemas.length === 0) return;
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await client.end();
  });
  return () => {
    const s = `strata_t_${randomBytes(6).toString("hex")}`;
    schemas.push(s);
    return s;
  };
}

/** A connection of the test's own (a client of the database beside the logs), ended by `end`. */
export async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  return client;
}
