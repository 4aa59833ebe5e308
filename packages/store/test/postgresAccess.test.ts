/**
 * Opening a PostgreSQL log read-only, or on a server that refuses the client: a read-only open never
 * creates, migrates nor writes anything (a missing log is `LogNotFoundError`, as for a directory), and
 * reads and follows what writers append; a wrong password, a missing database or role is a
 * `StorageError` naming the location without its password, an unreachable host `StoreUnavailableError`.
 */
import { createHash } from "node:crypto";
import {
  LogNotFoundError,
  PostgresEventLog,
  StorageError,
  type StoredEvent,
  StoreUnavailableError,
} from "@strata/store";
import { describe, expect, test } from "vitest";
import { MIGRATIONS } from "../src/postgres/migrations.js";
import { adminClient, freshSchemas, PG_URL, postgresUnavailable } from "./support/postgres.js";

const why = await postgresUnavailable();
const freshSchema = freshSchemas();

const ev = (streamId: string, n: number) => ({
  streamId,
  type: "pg.test",
  schemaVersion: 1,
  recordedAt: n,
  data: { n },
});
const sha = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** The database's schemas whose name starts with `prefix`. */
async function schemasLike(prefix: string): Promise<string[]> {
  const admin = await adminClient();
  try {
    const r = await admin.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", [`${prefix}%`]);
    return r.rows.map((row) => row.nspname as string);
  } finally {
    await admin.end();
  }
}

/** Rows of every table of `schema`, by table. */
async function rowCounts(schema: string): Promise<Record<string, number>> {
  const admin = await adminClient();
  try {
    const tables = await admin.query("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY 1", [
      schema,
    ]);
    const counts: Record<string, number> = {};
    for (const { tablename } of tables.rows as { tablename: string }[])
      counts[tablename] = Number(
        (await admin.query(`SELECT count(*) AS n FROM ${schema}.${tablename}`)).rows[0]?.n,
      );
    return counts;
  } finally {
    await admin.end();
  }
}

/** `PG_URL` with `change` applied to it. */
function urlWith(change: (url: URL) => void): string {
  const url = new URL(PG_URL);
  change(url);
  return url.toString();
}

describe.runIf(why === null)("a read-only open", () => {
  test("on a schema that is not there: LogNotFoundError naming it, and nothing is created", async () => {
    const schema = freshSchema();
    for (const options of [{ readOnly: true }, { create: false }]) {
      const error = await PostgresEventLog.open({ connectionString: PG_URL, schema, ...options }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(LogNotFoundError);
      expect((error as LogNotFoundError).code).toBe("LogNotFound");
      expect((error as Error).message).toMatch(
        new RegExp(
          `schema=${schema}: there is no strata log here \\(the database has no schema ${schema}\\)`,
        ),
      );
      expect((error as Error).message).not.toContain(`:${new URL(PG_URL).password}@`);
    }
    expect(await schemasLike(schema)).toEqual([]);
    // A schema that holds no log is not one either.
    const admin = await adminClient();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    await expect(PostgresEventLog.open({ connectionString: PG_URL, schema, readOnly: true })).rejects.toThrow(
      /schema .* has no strata tables/,
    );
    expect(await rowCounts(schema)).toEqual({});
  });

  test("reads what a writer stored, follows its appends, and refuses to write anything (log, blobs, snapshots)", async () => {
    const schema = freshSchema();
    const writer = await PostgresEventLog.open({ connectionString: PG_URL, schema });
    const reader = await PostgresEventLog.open({ connectionString: PG_URL, schema, readOnly: true });
    try {
      expect(reader.readOnly).toBe(true);
      expect(writer.readOnly).toBe(false);
      await writer.append([ev("a", 1), ev("b", 2)]);
      const bytes = Buffer.from("contents\n");
      await writer.blobs().put([{ digest: sha(bytes), bytes }]);
      await writer.snapshots().save({ position: 2, kind: "k", state: { n: 2 } });
      const before = await rowCounts(schema);

      expect((await reader.read()).map((e) => e.streamId)).toEqual(["a", "b"]);
      expect(await reader.lastSeq()).toBe(2);
      expect(await reader.streamVersion("a")).toBe(1);
      expect(Buffer.from((await reader.blobs().get(sha(bytes))) as Uint8Array).toString()).toBe("contents\n");
      expect((await reader.snapshots().load("k")).snapshot?.state).toEqual({ n: 2 });

      await expect(reader.append([ev("c", 3)])).rejects.toMatchObject({ code: "ReadOnly" });
      const other = Buffer.from("other\n");
      await expect(reader.blobs().put([{ digest: sha(other), bytes: other }])).rejects.toMatchObject({
        code: "ReadOnly",
      });
      await expect(
        reader.snapshots().save({ position: 2, kind: "k", state: { n: 3 } }),
      ).rejects.toMatchObject({
        code: "ReadOnly",
      });
      expect(await rowCounts(schema)).toEqual(before);

      // A subscriber on the read-only handle sees the writer's appends as they come.
      const seen: StoredEvent[] = [];
      const sub = reader.subscribe(1, (events) => {
        seen.push(...events);
      });
      await writer.append([ev("c", 3)]);
      for (let i = 0; i < 200 && seen.length < 3; i++) await new Promise((r) => setTimeout(r, 25));
      await sub.close();
      expect(seen.map((e) => e.seq)).toEqual([1, 2, 3]);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  test("a log an older strata wrote is refused by name (a read-only open migrates nothing)", async () => {
    const schema = freshSchema();
    const writer = await PostgresEventLog.open({ connectionString: PG_URL, schema });
    await writer.append([ev("a", 1)]);
    await writer.close();
    const last = MIGRATIONS.at(-1)?.version as number;
    const admin = await adminClient();
    await admin.query(`DELETE FROM ${schema}.strata_migrations WHERE version = $1`, [last]);
    await admin.end();
    await expect(
      PostgresEventLog.open({ connectionString: PG_URL, schema, readOnly: true }),
    ).rejects.toMatchObject({
      code: "LogOutdated",
      message: expect.stringMatching(new RegExp(`lacks schema version ${last}.*open it once for writing`)),
    });
    expect((await rowCounts(schema)).strata_migrations).toBe(MIGRATIONS.length - 1);
  });
});

describe.runIf(why === null)("a server that refuses the client", () => {
  const password = new URL(PG_URL).password;
  test.each([
    [
      "a wrong password",
      (u: URL) => {
        u.password = "not-the-password";
      },
      /^28/,
      /password authentication failed/,
    ],
    [
      "a role that does not exist",
      (u: URL) => {
        u.username = "no_such_role_x";
      },
      /^28/,
      /no_such_role_x/,
    ],
    [
      "a database that does not exist",
      (u: URL) => {
        u.pathname = "/no_such_db_x";
      },
      /^3D000$/,
      /no_such_db_x/,
    ],
  ])("%s is a StorageError naming the location, without the password", async (_what, change, errno, said) => {
    const connectionString = urlWith(change);
    for (const readOnly of [false, true]) {
      const error = await PostgresEventLog.open({
        connectionString,
        schema: "strata_nowhere",
        readOnly,
      }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StorageError);
      const e = error as StorageError;
      expect(e.errno).toMatch(errno);
      expect(e.message).toMatch(said);
      expect(e.message).toMatch(/^cannot open postgres:\/\/[^:@/]+@[^/]+\/[^?]+\?schema=strata_nowhere: /);
      expect(e.message).not.toContain("not-the-password");
      if (password) expect(e.message).not.toContain(`:${password}@`);
    }
  });

  test("a host that cannot be reached is StoreUnavailableError", async () => {
    const connectionString = urlWith((u) => {
      u.hostname = "127.0.0.1";
      u.port = "1";
    });
    await expect(
      PostgresEventLog.open({ connectionString, schema: "strata_nowhere" }),
    ).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
