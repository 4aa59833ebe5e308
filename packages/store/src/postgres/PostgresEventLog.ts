/**
 * The PostgreSQL backend, for many processes and hosts sharing one log.
 *
 * - **Order without gaps.** An append locks the single `strata_head` row, assigns the next seqs,
 *   checks expected versions against `strata_streams`, inserts, and commits; the lock serialises
 *   appends, so a reader can only see seq n+1 once seq n is committed.
 * - **Expected versions** hold across connections and hosts: they are checked under the same lock.
 * - **Subscriptions** use LISTEN/NOTIFY: each append notifies in its transaction (delivered at commit),
 *   and subscribers read from where they are. No polling loop.
 * - **Faults.** A failed connection fails the appends in flight with `StoreUnavailableError` (their
 *   transaction is rolled back by the server: none is half-applied); the pool reconnects for the next
 *   call, and the listener reconnects with backoff, then wakes subscribers to catch up.
 */
import pg from "pg";
import {
  type AppendResult,
  type EventHandler,
  type EventLog,
  type ExpectedVersion,
  type NewStoredEvent,
  type StoredEvent,
  type Subscription,
  validateBatch,
} from "../EventLog.js";
import { ExpectedVersionConflictError, LogClosedError, StoreError } from "../errors.js";
import { Notifier, subscribeByReading } from "../Notifier.js";
import { MIGRATIONS } from "./migrations.js";

/** The database could not be reached, or the connection broke during the call. */
export class StoreUnavailableError extends StoreError {
  constructor(cause: unknown) {
    super("StoreUnavailable", `PostgreSQL is unavailable: ${(cause as Error)?.message ?? String(cause)}`);
    this.cause = cause;
  }
}

export interface PostgresEventLogOptions {
  readonly connectionString: string;
  /** The schema the tables live in (created if missing). Default `strata`. */
  readonly schema?: string;
  /** Connections in the pool. Default 4. */
  readonly poolSize?: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

function rowToEvent(r: Record<string, unknown>): StoredEvent {
  return {
    seq: Number(r.seq),
    streamId: r.stream_id as string,
    type: r.type as string,
    schemaVersion: Number(r.schema_version),
    recordedAt: Number(r.recorded_at),
    data: r.data,
  };
}

function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? "";
  const message = (e as Error)?.message ?? "";
  return (
    ["ECONNREFUSED", "ECONNRESET", "EPIPE", "57P01", "57P02", "57P03", "08000", "08003", "08006"].includes(
      code,
    ) ||
    /Connection terminated|connection.*(closed|ended)|Client has encountered a connection error/i.test(
      message,
    )
  );
}

interface PendingAppend {
  readonly events: readonly NewStoredEvent[];
  readonly expected: Readonly<Record<string, ExpectedVersion>>;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}

export class PostgresEventLog implements EventLog {
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #options: PostgresEventLogOptions;
  readonly #notifier = new Notifier();
  readonly #channel: string;
  #listener: pg.Client | null = null;
  #closed = false;
  #queue: PendingAppend[] = [];
  #flushing: Promise<void> | null = null;

  private constructor(options: PostgresEventLogOptions) {
    this.#options = options;
    this.schema = options.schema ?? "strata";
    if (!IDENT.test(this.schema))
      throw new StoreError("InvalidSchema", `schema name ${this.schema} is not a plain identifier`);
    this.#channel = `${this.schema}_events`;
    this.#pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 4 });
    // An idle client whose server went away emits here; the pool drops it and reconnects later.
    this.#pool.on("error", () => {});
  }

  /** Connects, runs pending migrations and starts listening for appends. */
  static async open(options: PostgresEventLogOptions): Promise<PostgresEventLog> {
    const log = new PostgresEventLog(options);
    try {
      await log.#migrate();
      await log.#listen();
    } catch (e) {
      await log.#pool.end().catch(() => {});
      throw isConnectionError(e) ? new StoreUnavailableError(e) : e;
    }
    return log;
  }

  async #migrate(): Promise<void> {
    const client = await this.#pool.connect();
    const onError = () => {};
    client.on("error", onError);
    try {
      await client.query("SELECT pg_advisory_lock(hashtext($1))", [`strata-migrate-${this.schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.schema}.strata_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const done = new Set(
        (await client.query(`SELECT version FROM ${this.schema}.strata_migrations`)).rows.map((r) =>
          Number(r.version),
        ),
      );
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query("BEGIN");
        try {
          await client.query(m.sql(this.schema));
          await client.query(`INSERT INTO ${this.schema}.strata_migrations (version) VALUES ($1)`, [
            m.version,
          ]);
          await client.query("COMMIT");
        } catch (e) {
          await client.query("ROLLBACK");
          throw e;
        }
      }
    } finally {
      await client
        .query("SELECT pg_advisory_unlock(hashtext($1))", [`strata-migrate-${this.schema}`])
        .catch(() => {});
      client.off("error", onError);
      client.release();
    }
  }

  /** A dedicated connection LISTENing for appends; reconnects with backoff when it breaks. */
  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#options.connectionString });
    client.on("notification", () => this.#notifier.notify());
    const reconnect = () => {
      if (this.#closed || this.#listener !== client) return;
      this.#listener = null;
      let delay = 50;
      const attempt = async () => {
        if (this.#closed) return;
        try {
          await this.#listen();
          this.#notifier.notify(); // catch up on anything appended while deaf
        } catch {
          delay = Math.min(delay * 2, 2_000);
          setTimeout(attempt, delay);
        }
      };
      setTimeout(attempt, delay);
    };
    client.on("error", reconnect);
    client.on("end", reconnect);
    await client.connect();
    await client.query(`LISTEN ${this.#channel}`);
    this.#listener = client;
  }

  #check(): void {
    if (this.#closed) throw new LogClosedError();
  }

  async #query(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
    try {
      return await this.#pool.query(sql, params);
    } catch (e) {
      throw isConnectionError(e) ? new StoreUnavailableError(e) : e;
    }
  }

  async lastSeq(): Promise<number> {
    this.#check();
    const r = await this.#query(`SELECT last_seq FROM ${this.schema}.strata_head WHERE id = 1`);
    return Number(r.rows[0]?.last_seq ?? 0);
  }

  async append(
    events: readonly NewStoredEvent[],
    expected: Readonly<Record<string, ExpectedVersion>> = {},
  ): Promise<AppendResult> {
    this.#check();
    const invalid = validateBatch(events);
    if (invalid) throw invalid;
    return new Promise((resolve, reject) => {
      this.#queue.push({ events, expected, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#flush();
    });
  }

  /**
   * Group commit: appends made while one is in flight wait, then go together in one statement and one
   * transaction (`strata_append_many`), so they share one WAL flush; each is still checked against its
   * own expected versions, in the order they were made.
   */
  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue.splice(0);
        if (group.length === 1) {
          const [one] = group as [PendingAppend];
          await this.#appendOne(one.events, one.expected).then(one.resolve, one.reject);
        } else await this.#appendMany(group);
      }
    } finally {
      this.#flushing = null;
    }
  }

  async #appendMany(group: readonly PendingAppend[]): Promise<void> {
    const batches = group.map((p) => ({
      events: p.events.map((e) => ({
        streamId: e.streamId,
        type: e.type,
        schemaVersion: e.schemaVersion,
        recordedAt: e.recordedAt,
        data: e.data,
      })),
      expected: Object.fromEntries(Object.entries(p.expected).map(([k, v]) => [k, String(v)])),
    }));
    let results: (AppendResult | { conflict: { streamId: string; expected: string; actual: number } })[];
    try {
      const r = await this.#pool.query(`SELECT ${this.schema}.strata_append_many($1::json, $2) AS results`, [
        JSON.stringify(batches),
        this.#channel,
      ]);
      results = (r.rows[0] as { results: typeof results }).results;
    } catch (e) {
      if (isConnectionError(e)) {
        const error = new StoreUnavailableError(e);
        for (const p of group) p.reject(error);
        return;
      }
      // Something in one append the server refuses (a value out of a column's range, say) must not fail
      // the others: the group rolled back, so each is tried again on its own.
      for (const p of group) await this.#appendOne(p.events, p.expected).then(p.resolve, p.reject);
      return;
    }
    group.forEach((p, i) => {
      const r = results[i];
      if (r && "conflict" in r)
        p.reject(
          new ExpectedVersionConflictError(r.conflict.streamId, r.conflict.expected, r.conflict.actual),
        );
      else if (r) p.resolve({ firstSeq: r.firstSeq, lastSeq: r.lastSeq, streamVersions: r.streamVersions });
      else p.reject(new StoreError("Internal", "strata_append_many returned fewer results than appends"));
    });
  }

  /** One append as one statement (strata_append, migration 2): the head row is locked for one round trip and the commit. */
  async #appendOne(
    events: readonly NewStoredEvent[],
    expected: Readonly<Record<string, ExpectedVersion>>,
  ): Promise<AppendResult> {
    const wanted = Object.entries(expected);
    try {
      const r = await this.#pool.query(
        `SELECT first_seq, last_seq, stream_versions FROM ${this.schema}.strata_append($1, $2, $3, $4, $5::json[], $6, $7, $8)`,
        [
          events.map((e) => e.streamId),
          events.map((e) => e.type),
          events.map((e) => e.schemaVersion),
          events.map((e) => e.recordedAt),
          events.map((e) => JSON.stringify(e.data)),
          wanted.map(([s]) => s),
          wanted.map(([, v]) => String(v)),
          this.#channel,
        ],
      );
      const row = r.rows[0] as {
        first_seq: string;
        last_seq: string;
        stream_versions: Record<string, number>;
      };
      return {
        firstSeq: Number(row.first_seq),
        lastSeq: Number(row.last_seq),
        streamVersions: row.stream_versions ?? {},
      };
    } catch (e) {
      if ((e as { code?: string }).code === "SX409") {
        const d = JSON.parse((e as { detail: string }).detail) as {
          streamId: string;
          expected: string;
          actual: number;
        };
        throw new ExpectedVersionConflictError(d.streamId, d.expected, d.actual);
      }
      throw isConnectionError(e) ? new StoreUnavailableError(e) : e;
    }
  }

  async read(fromSeq = 1, limit = Number.POSITIVE_INFINITY): Promise<StoredEvent[]> {
    this.#check();
    const r = await this.#query(
      `SELECT seq, stream_id, type, schema_version, recorded_at, data FROM ${this.schema}.strata_events
       WHERE seq >= $1 ORDER BY seq ${Number.isFinite(limit) ? "LIMIT $2" : ""}`,
      Number.isFinite(limit) ? [fromSeq, limit] : [fromSeq],
    );
    return r.rows.map(rowToEvent);
  }

  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    this.#check();
    const r = await this.#query(
      `SELECT seq, stream_id, type, schema_version, recorded_at, data FROM ${this.schema}.strata_events
       WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version`,
      [streamId, fromVersion],
    );
    return r.rows.map(rowToEvent);
  }

  async streamVersion(streamId: string): Promise<number> {
    this.#check();
    const r = await this.#query(`SELECT version FROM ${this.schema}.strata_streams WHERE stream_id = $1`, [
      streamId,
    ]);
    return Number(r.rows[0]?.version ?? 0);
  }

  subscribe(fromSeq: number, handler: EventHandler): Subscription {
    this.#check();
    return subscribeByReading((from, limit) => this.read(from, limit), this.#notifier, fromSeq, handler);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#flushing) await this.#flushing;
    this.#closed = true;
    this.#notifier.notify();
    const listener = this.#listener;
    this.#listener = null;
    await listener?.end().catch(() => {});
    await this.#pool.end().catch(() => {});
  }
}
