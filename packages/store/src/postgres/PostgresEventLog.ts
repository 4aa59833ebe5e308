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
  type AppendOptions,
  type AppendResult,
  type EventHandler,
  type EventLog,
  type NewStoredEvent,
  type StoredEvent,
  type Subscription,
  validateBatch,
  validateOptions,
} from "../EventLog.js";
import { AppendConditionError, ExpectedVersionConflictError, LogClosedError, StoreError } from "../errors.js";
import { Notifier, subscribeByReading } from "../Notifier.js";
import { MIGRATIONS } from "./migrations.js";
import { PostgresBlobStore } from "./PostgresBlobStore.js";
import { PostgresSnapshotStore } from "./PostgresSnapshotStore.js";

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
  const event: StoredEvent & { tags?: readonly string[] } = {
    seq: Number(r.seq),
    streamId: r.stream_id as string,
    type: r.type as string,
    schemaVersion: Number(r.schema_version),
    recordedAt: Number(r.recorded_at),
    data: r.data,
  };
  if (Array.isArray(r.tags)) event.tags = r.tags as string[];
  return event;
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
  readonly options: AppendOptions;
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

  async append(events: readonly NewStoredEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    this.#check();
    const invalid = validateBatch(events) ?? validateOptions(options);
    if (invalid) throw invalid;
    return new Promise((resolve, reject) => {
      this.#queue.push({ events, options, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#flush();
    });
  }

  /**
   * Group commit: appends made while one is in flight wait, then go together in one statement and one
   * transaction (`strata_append_batches`), so they share one WAL flush; each is still checked against
   * its own condition and expected versions, in the order they were made.
   */
  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#appendBatches(this.#queue.splice(0), true);
    } finally {
      this.#flushing = null;
    }
  }

  async #appendBatches(group: readonly PendingAppend[], retryAlone: boolean): Promise<void> {
    const batches = group.map((p) => ({
      events: p.events.map((e) => ({
        streamId: e.streamId,
        type: e.type,
        schemaVersion: e.schemaVersion,
        recordedAt: e.recordedAt,
        data: e.data,
        ...(e.tags && e.tags.length > 0 ? { tags: e.tags } : {}),
      })),
      expected: Object.fromEntries(Object.entries(p.options.expected ?? {}).map(([k, v]) => [k, String(v)])),
      condition: p.options.condition ?? null,
    }));
    type Slot =
      | AppendResult
      | { conflict: { streamId: string; expected: string; actual: number } }
      | { broken: { seq: string | number; key: string } };
    let results: Slot[];
    try {
      const r = await this.#pool.query(
        `SELECT ${this.schema}.strata_append_batches($1::json, $2) AS results`,
        [JSON.stringify(batches), this.#channel],
      );
      results = (r.rows[0] as { results: Slot[] }).results;
    } catch (e) {
      if (isConnectionError(e) || !retryAlone || group.length === 1) {
        const error = isConnectionError(e) ? new StoreUnavailableError(e) : e;
        for (const p of group) p.reject(error);
        return;
      }
      // Something in one append the server refuses (a value out of a column's range, say) must not fail
      // the others: the group rolled back, so each is tried again on its own.
      for (const p of group) await this.#appendBatches([p], false);
      return;
    }
    group.forEach((p, i) => {
      const r = results[i];
      if (r && "conflict" in r)
        p.reject(
          new ExpectedVersionConflictError(r.conflict.streamId, r.conflict.expected, r.conflict.actual),
        );
      else if (r && "broken" in r)
        p.reject(
          new AppendConditionError(p.options.condition?.after ?? 0, Number(r.broken.seq), r.broken.key),
        );
      else if (r)
        p.resolve({
          firstSeq: Number(r.firstSeq),
          lastSeq: Number(r.lastSeq),
          streamVersions: r.streamVersions ?? {},
        });
      else p.reject(new StoreError("Internal", "strata_append_batches returned fewer results than appends"));
    });
  }

  async read(fromSeq = 1, limit = Number.POSITIVE_INFINITY): Promise<StoredEvent[]> {
    this.#check();
    const r = await this.#query(
      `SELECT seq, stream_id, type, schema_version, recorded_at, data, tags FROM ${this.schema}.strata_events
       WHERE seq >= $1 ORDER BY seq ${Number.isFinite(limit) ? "LIMIT $2" : ""}`,
      Number.isFinite(limit) ? [fromSeq, limit] : [fromSeq],
    );
    return r.rows.map(rowToEvent);
  }

  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    this.#check();
    const r = await this.#query(
      `SELECT seq, stream_id, type, schema_version, recorded_at, data, tags FROM ${this.schema}.strata_events
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

  /** The snapshots kept beside this log (same connections and schema). */
  snapshots(): PostgresSnapshotStore {
    return new PostgresSnapshotStore(this.#pool, this.schema);
  }

  /** The file contents kept beside this log (same connections and schema). */
  blobs(): PostgresBlobStore {
    return new PostgresBlobStore(this.#pool, this.schema);
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
