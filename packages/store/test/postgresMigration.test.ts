/**
 * Logs written by older versions of the PostgreSQL schema open with this one and keep working. Each
 * case builds a schema at version 1 to 5 from that version's own migrations, writes a random history
 * the way that version's Strata wrote it (its own append function, or, at version 1, the statements
 * under the head lock), then opens it: the events, seqs, stream versions and keys are all there, and
 * appends, expected versions and conditions go on from them.
 */
import { PostgresEventLog, type StoredEvent } from "@strata/store";
import fc from "fast-check";
import type pg from "pg";
import { describe, expect, test } from "vitest";
import { MIGRATIONS } from "../src/postgres/migrations.js";
import { adminClient, freshSchemas, PG_URL, postgresUnavailable } from "./support/postgres.js";

const why = await postgresUnavailable();
const freshSchema = freshSchemas();
const RUNS = Number(process.env.STRATA_PG_MIGRATION_RUNS ?? 20);

interface OldAppend {
  readonly stream: string;
  readonly size: number;
  readonly tag: string | undefined;
}

/** The schema as version `version` of Strata left it, with nothing in it. */
async function oldSchema(client: pg.Client, schema: string, version: number): Promise<void> {
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(
    `CREATE TABLE ${schema}.strata_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  for (const m of MIGRATIONS.filter((m) => m.version <= version)) {
    await client.query(m.sql(schema));
    await client.query(`INSERT INTO ${schema}.strata_migrations (version) VALUES ($1)`, [m.version]);
  }
}

/** Appends as version `version` did. */
async function oldAppend(
  client: pg.Client,
  schema: string,
  version: number,
  events: readonly Omit<StoredEvent, "seq">[],
): Promise<void> {
  const channel = `${schema}_events`;
  if (version === 1) {
    await client.query("BEGIN");
    const head = await client.query(`SELECT last_seq FROM ${schema}.strata_head WHERE id = 1 FOR UPDATE`);
    let last = Number(head.rows[0].last_seq);
    for (const e of events) {
      const v = await client.query(`SELECT version FROM ${schema}.strata_streams WHERE stream_id = $1`, [
        e.streamId,
      ]);
      const next = Number(v.rows[0]?.version ?? 0) + 1;
      last += 1;
      await client.query(
        `INSERT INTO ${schema}.strata_events (seq, stream_id, stream_version, type, schema_version, recorded_at, data)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [last, e.streamId, next, e.type, e.schemaVersion, e.recordedAt, JSON.stringify(e.data)],
      );
      await client.query(
        `INSERT INTO ${schema}.strata_streams VALUES ($1, $2) ON CONFLICT (stream_id) DO UPDATE SET version = $2`,
        [e.streamId, next],
      );
    }
    await client.query(`UPDATE ${schema}.strata_head SET last_seq = $1 WHERE id = 1`, [last]);
    await client.query("COMMIT");
    return;
  }
  if (version === 2) {
    await client.query(`SELECT * FROM ${schema}.strata_append($1, $2, $3, $4, $5::json[], $6, $7, $8)`, [
      events.map((e) => e.streamId),
      events.map((e) => e.type),
      events.map((e) => e.schemaVersion),
      events.map((e) => e.recordedAt),
      events.map((e) => JSON.stringify(e.data)),
      [],
      [],
      channel,
    ]);
    return;
  }
  const batches = JSON.stringify([{ events, expected: {}, condition: null }]);
  const fn = version === 3 ? "strata_append_many" : "strata_append_batches";
  await client.query(`SELECT ${schema}.${fn}($1::json, $2)`, [batches, channel]);
}

const oldAppendArb: fc.Arbitrary<OldAppend> = fc.record({
  stream: fc.constantFrom("x", "y", "z"),
  size: fc.integer({ min: 1, max: 3 }),
  tag: fc.option(fc.constantFrom("t1", "t2"), { nil: undefined }),
});

describe.runIf(why === null)("a log of an older schema version opens and keeps working", () => {
  test(`versions 1 to 5, random histories (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(oldAppendArb, { maxLength: 8 }),
        async (version, history) => {
          const schema = freshSchema();
          const admin = await adminClient();
          const stored: StoredEvent[] = [];
          const lastOf = new Map<string, number>();
          try {
            await oldSchema(admin, schema, version);
            for (const [i, a] of history.entries()) {
              const tags = version >= 4 && a.tag ? [a.tag] : undefined;
              const batch = Array.from({ length: a.size }, (_, j) => ({
                streamId: a.stream,
                type: "old.event",
                schemaVersion: 1,
                recordedAt: i * 10 + j,
                data: { i, j, text: "ü✓" },
                ...(tags ? { tags } : {}),
              }));
              await oldAppend(admin, schema, version, batch);
              for (const e of batch) {
                stored.push({ ...e, seq: stored.length + 1 });
                lastOf.set(e.streamId, stored.length);
                for (const t of tags ?? []) lastOf.set(t, stored.length);
              }
            }
          } finally {
            await admin.end();
          }
          const log = await PostgresEventLog.open({ connectionString: PG_URL, schema });
          try {
            expect(await log.lastSeq()).toBe(stored.length);
            expect(await log.read()).toEqual(stored);
            expect(await log.read(2, 2)).toEqual(stored.slice(1, 3));
            for (const s of ["x", "y", "z"]) {
              const mine = stored.filter((e) => e.streamId === s);
              expect(await log.streamVersion(s)).toBe(mine.length);
              expect(await log.readStream(s)).toEqual(mine);
            }
            // Conditions see the old events' keys, at their old seqs.
            for (const [key, seq] of lastOf) {
              await expect(
                log.append([{ streamId: "probe", type: "t", schemaVersion: 1, recordedAt: 0, data: null }], {
                  condition: { after: seq - 1, keys: [key] },
                }),
              ).rejects.toMatchObject({ code: "AppendCondition", seq, key });
            }
            // Appends go on from them: the next seq, the streams' next versions.
            const xs = stored.filter((e) => e.streamId === "x").length;
            const next = { streamId: "x", type: "new.event", schemaVersion: 1, recordedAt: 99, data: [1] };
            const r = await log.append([next], {
              expected: { x: xs },
              condition: { after: stored.length, keys: [...lastOf.keys()] },
            });
            expect(r).toEqual({
              firstSeq: stored.length + 1,
              lastSeq: stored.length + 1,
              streamVersions: { x: xs + 1 },
            });
            expect(await log.readStream("x", xs + 1)).toEqual([{ ...next, seq: stored.length + 1 }]);
            expect(await log.read(stored.length)).toEqual([
              ...stored.slice(-1),
              { ...next, seq: stored.length + 1 },
            ]);
          } finally {
            await log.close();
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 300_000);
});
