/**
 * The PostgreSQL backend, for many processes and hosts sharing one log (schema version 6: see
 * `xidOrder.ts`).
 *
 * - **Order without gaps, without a global lock.** An event is stored under its transaction's xid8 and
 *   its place in it; readers read only what is published: final transactions (every older xid has ended),
 *   numbered 1, 2, 3… in xid order. A transaction held open holds back what comes after it; it is never
 *   skipped. Appends that touch different keys hold no lock in common, and none holds a lock through a
 *   WAL flush.
 * - **Expected versions and append conditions** hold across connections and hosts: an append locks the
 *   keys it writes (exclusive) and reads (shared) before its transaction gets an xid, so of two appends
 *   on one key, the second waits, sees the first and comes after it in the log.
 * - **Durability.** An append is answered once its events are published by a synchronous commit (which
 *   flushes the WAL past them): a published event is durable.
 * - **Subscriptions** use LISTEN/NOTIFY: each publication notifies, and subscribers read from where they
 *   are. No polling loop.
 * - **Faults.** A failed connection fails the appends in flight with `StoreUnavailableError` (their
 *   transaction is rolled back by the server: none is half-applied); the pool reconnects for the next
 *   call, and the listener reconnects with backoff, then wakes subscribers to catch up.
 */
import pg from "pg";
import {
  type AppendOptions,
  type AppendResult,
  dataJsonOf,
  type EventHandler,
  type EventLog,
  type NewStoredEvent,
  type StoredEvent,
  type Subscription,
  validateBatch,
  validateOptions,
} from "../EventLog.js";
import {
  AppendConditionError,
  ExpectedVersionConflictError,
  LogClosedError,
  LogNotFoundError,
  StoreError,
} from "../errors.js";
import { Notifier, subscribeByReading } from "../Notifier.js";
import { MIGRATIONS } from "./migrations.js";
import { PostgresBlobStore } from "./PostgresBlobStore.js";
import { PostgresSnapshotStore } from "./PostgresSnapshotStore.js";
import {
  isConnectionError,
  postgresFailure,
  postgresLocation,
  readOnlyError,
  StoreUnavailableError,
} from "./postgresFailure.js";
import { WRITE_PARAMETERS } from "./xidOrder.js";

export interface PostgresEventLogOptions {
  readonly connectionString: string;
  /** The schema the tables live in (created if missing). Default `strata`. */
  readonly schema?: string;
  /** Connections in the pool. Default 4. */
  readonly poolSize?: number;
  /**
   * Only read: nothing is created, migrated or written (the connections are read-only, appends and
   * the blob and snapshot stores beside the log refuse with `ReadOnly`). A schema without a log is a
   * `LogNotFoundError`; a log an older strata wrote must be opened for writing once, to migrate it.
   */
  readonly readOnly?: boolean;
  /** Create the schema and its tables when there is no log (default: unless `readOnly`). */
  readonly create?: boolean;
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

interface PendingAppend {
  readonly events: readonly NewStoredEvent[];
  readonly options: AppendOptions;
  readonly resolve: (r: AppendResult) => void;
  readonly reject: (e: unknown) => void;
}

export class PostgresEventLog implements EventLog {
  readonly schema: string;
  /** Where the log is, for messages: the connection string without its password, and the schema. */
  readonly location: string;
  readonly readOnly: boolean;
  readonly #pool: pg.Pool;
  readonly #options: PostgresEventLogOptions;
  readonly #notifier = new Notifier();
  readonly #channel: string;
  #listener: pg.Client | null = null;
  /** Set once something subscribes: a log nobody subscribes to does not listen (nor wake per append). */
  #listening: Promise<void> | null = null;
  #closed = false;
  #queue: PendingAppend[] = [];
  #flushing: Promise<void> | null = null;
  readonly #appendSql: string;

  private constructor(options: PostgresEventLogOptions) {
    this.#options = options;
    this.schema = options.schema ?? "strata";
    if (!IDENT.test(this.schema))
      throw new StoreError("InvalidSchema", `schema name ${this.schema} is not a plain identifier`);
    this.location = postgresLocation(options.connectionString, this.schema);
    this.readOnly = options.readOnly === true;
    this.#channel = `${this.schema}_events`;
    this.#appendSql = `CALL ${this.schema}.strata_append(${WRITE_PARAMETERS.map((p, i) => `$${i + 1}::${p.split(" ")[1]}`).join(", ")}, $${WRITE_PARAMETERS.length + 1}, NULL)`;
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 4,
      // Read-only: the server itself refuses any write on these connections.
      ...(this.readOnly ? { options: "-c default_transaction_read_only=on" } : {}),
    });
    // An idle client whose server went away emits here; the pool drops it and reconnects later.
    this.#pool.on("error", () => {});
  }

  /**
   * Connects and runs pending migrations (it listens for appends once something subscribes); read-only,
   * only checks that the log is there and up to date. A server that cannot be reached is a
   * `StoreUnavailableError`; one that refuses this client (password, role, database, rights) a
   * `StorageError` naming `location` and what the server said.
   */
  static async open(options: PostgresEventLogOptions): Promise<PostgresEventLog> {
    const log = new PostgresEventLog(options);
    try {
      if (log.readOnly) await log.#checkReadable();
      else {
        if (options.create === false) await log.#migrations();
        await log.#migrate();
        await log.#checkXids();
        await log.#publishLeftovers();
      }
    } catch (e) {
      await log.#pool.end().catch(() => {});
      throw postgresFailure(e, log.location);
    }
    return log;
  }

  /** The migrations the log has had; a schema without a log is a `LogNotFoundError`. */
  async #migrations(): Promise<Set<number>> {
    const r = await this.#pool.query(
      `SELECT to_regclass($1) IS NOT NULL AS log, EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2) AS schema`,
      [`${this.schema}.strata_migrations`, this.schema],
    );
    const found = r.rows[0] as { log: boolean; schema: boolean };
    if (!found.log)
      throw new LogNotFoundError(
        this.location,
        found.schema
          ? `there is no strata log here (schema ${this.schema} has no strata tables)`
          : `there is no strata log here (the database has no schema ${this.schema})`,
      );
    const versions = await this.#pool.query(`SELECT version FROM ${this.schema}.strata_migrations`);
    return new Set(versions.rows.map((row) => Number(row.version)));
  }

  /** Read-only: the log is there, and at the layout this code reads. */
  async #checkReadable(): Promise<void> {
    const done = await this.#migrations();
    const missing = MIGRATIONS.filter((m) => !done.has(m.version)).map((m) => m.version);
    if (missing.length > 0)
      throw new StoreError(
        "LogOutdated",
        `${this.location}: the log was written by an older strata (it lacks schema version${missing.length > 1 ? "s" : ""} ${missing.join(", ")}), and a read-only open migrates nothing: open it once for writing (any strata command that writes) to upgrade it`,
      );
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

  /**
   * The log's order is by xid8: a log restored from a dump into another cluster (pg_dump, pg_restore)
   * may hold xids this cluster has not reached, and new appends would sort before its history. Refused.
   */
  async #checkXids(): Promise<void> {
    const r = await this.#pool.query(
      `SELECT h.last_tx::text AS last, pg_snapshot_xmax(pg_current_snapshot())::text AS next,
              h.last_tx >= pg_snapshot_xmax(pg_current_snapshot()) AS ahead
       FROM ${this.schema}.strata_head h WHERE h.id = 1`,
    );
    const row = r.rows[0] as { last: string; next: string; ahead: boolean } | undefined;
    if (row?.ahead)
      throw new StoreError(
        "XidAhead",
        `the log in schema ${this.schema} was written up to transaction ${row.last}, but this PostgreSQL cluster is only at ${row.next}: it was restored from a logical dump into another cluster. Its order is by transaction id, so it cannot take appends here; restore it from a physical backup (pg_basebackup) instead`,
      );
  }

  /**
   * Publishes what an append committed but did not publish (its process or the server stopped in
   * between, or it was written with `strata_write` in a transaction of the caller's), so readers see it.
   */
  async #publishLeftovers(): Promise<void> {
    const r = await this.#pool.query(
      `SELECT max(e.tx)::text AS tx FROM ${this.schema}.strata_events e, ${this.schema}.strata_head h
       WHERE h.id = 1 AND e.tx > h.last_tx AND e.tx < pg_snapshot_xmin(pg_current_snapshot())`,
    );
    const tx = (r.rows[0] as { tx: string | null } | undefined)?.tx;
    if (tx)
      await this.#pool.query(
        `SELECT ${this.schema}.strata_place(json_build_object('until', $1::text, 'slots', '[]'::json), $2)`,
        [tx, this.#channel],
      );
  }

  /**
   * Listens for publications, once: resolves when listening (or, if the server cannot be reached, when
   * the first attempt failed: it keeps trying, and wakes the subscribers when it succeeds).
   */
  #startListening(): Promise<void> {
    this.#listening ??= this.#listen().catch(() => this.#listenAgain());
    return this.#listening;
  }

  /** A dedicated connection LISTENing for publications; listens again with backoff when it breaks. */
  async #listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#options.connectionString });
    client.on("notification", () => this.#notifier.notify());
    const reconnect = () => {
      if (this.#closed || this.#listener !== client) return;
      this.#listener = null;
      this.#listenAgain();
    };
    client.on("error", reconnect);
    client.on("end", reconnect);
    await client.connect();
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    await client.query(`LISTEN ${this.#channel}`);
    this.#listener = client;
  }

  #listenAgain(): void {
    let delay = 50;
    const attempt = async () => {
      if (this.#closed) return;
      try {
        await this.#listen();
        this.#notifier.notify(); // catch up on anything published while deaf
      } catch {
        delay = Math.min(delay * 2, 2_000);
        setTimeout(attempt, delay);
      }
    };
    setTimeout(attempt, delay);
  }

  #check(): void {
    if (this.#closed) throw new LogClosedError();
  }

  async #query(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
    try {
      return await this.#pool.query(sql, params);
    } catch (e) {
      throw postgresFailure(e, this.location);
    }
  }

  async lastSeq(): Promise<number> {
    this.#check();
    const r = await this.#query(`SELECT last_seq FROM ${this.schema}.strata_head WHERE id = 1`);
    return Number(r.rows[0]?.last_seq ?? 0);
  }

  async append(events: readonly NewStoredEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    this.#check();
    if (this.readOnly) throw readOnlyError(this.location);
    const invalid = validateBatch(events) ?? validateOptions(options);
    if (invalid) throw invalid;
    return new Promise((resolve, reject) => {
      this.#queue.push({ events, options, resolve, reject });
      if (!this.#flushing) this.#flushing = this.#flush();
    });
  }

  /**
   * Group commit: appends made while one is in flight wait, then go together in one call and one
   * transaction (`strata_append`), so they share one WAL flush; each is still checked against its own
   * condition and expected versions, in the order they were made.
   */
  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#appendBatches(this.#queue.splice(0), true);
    } finally {
      this.#flushing = null;
    }
  }

  async #appendBatches(group: readonly PendingAppend[], retryAlone: boolean): Promise<void> {
    type Slot =
      | { first: number; last: number }
      | { empty: number }
      | { conflict: { streamId: string; expected: string; actual: number } }
      | { broken: { key: string } };
    let answer: {
      base: string | number | null;
      versions: Record<string, number> | null;
      head: string | number;
      slots: Slot[];
      broken: (string | number)[] | null;
    };
    try {
      const r = await this.#pool.query({
        name: `strata_append_${this.schema}`,
        text: this.#appendSql,
        values: [...writeArguments(group), this.#channel],
      });
      answer = (r.rows[0] as { p_result: typeof answer }).p_result;
    } catch (e) {
      // SX500: the events were committed but not given their seqs; trying again would store them twice.
      const committed = (e as { code?: string }).code === "SX500";
      if (isConnectionError(e) || committed || !retryAlone || group.length === 1) {
        const error = isConnectionError(e)
          ? new StoreUnavailableError(e)
          : committed
            ? new StoreError("AppendUnsettled", (e as Error).message)
            : e;
        for (const p of group) p.reject(error);
        return;
      }
      // Something in one append the server refuses (a value out of a column's range, say) must not fail
      // the others: the group rolled back, so each is tried again on its own.
      for (const p of group) await this.#appendBatches([p], false);
      return;
    }
    const base = answer.base === null ? null : Number(answer.base);
    // The version each stream has reached, walking the transaction's events in order (its first event
    // in a stream takes answer.versions[stream] there).
    const reached = new Map<string, number>();
    let broken = 0;
    group.forEach((p, i) => {
      const r = answer.slots[i];
      if (!r) p.reject(new StoreError("Internal", "strata_append returned fewer results than appends"));
      else if ("conflict" in r)
        p.reject(
          new ExpectedVersionConflictError(r.conflict.streamId, r.conflict.expected, r.conflict.actual),
        );
      else if ("broken" in r)
        p.reject(
          new AppendConditionError(
            p.options.condition?.after ?? 0,
            Number(answer.broken?.[broken++]),
            r.broken.key,
          ),
        );
      else if ("empty" in r) {
        const lastSeq = base === null ? Number(answer.head) : base + r.empty - 1;
        p.resolve({ firstSeq: lastSeq + 1, lastSeq, streamVersions: {} });
      } else {
        const streamVersions: Record<string, number> = {};
        for (const e of p.events) {
          const version = (reached.get(e.streamId) ?? (answer.versions?.[e.streamId] ?? 1) - 1) + 1;
          reached.set(e.streamId, version);
          streamVersions[e.streamId] = version;
        }
        p.resolve({
          firstSeq: (base as number) + r.first - 1,
          lastSeq: (base as number) + r.last - 1,
          streamVersions,
        });
      }
    });
  }

  /** Events with seq ≥ `fromSeq`: published transactions from the one holding it, joined to their events. */
  async read(fromSeq = 1, limit = Number.POSITIVE_INFINITY): Promise<StoredEvent[]> {
    this.#check();
    const bounded = Number.isFinite(limit);
    const r = await this.#query(
      `SELECT c.first_seq + e.pos - 1 AS seq, e.stream_id, e.type, e.schema_version, e.recorded_at, e.data, e.tags
       FROM ${this.schema}.strata_commits c JOIN ${this.schema}.strata_events e ON e.tx = c.tx
       WHERE c.last_seq >= $1 AND e.pos >= $1 - c.first_seq + 1
       ORDER BY c.last_seq, e.pos ${bounded ? "LIMIT $2" : ""}`,
      bounded ? [fromSeq, limit] : [fromSeq],
    );
    return r.rows.map(rowToEvent);
  }

  /**
   * A stream's published events from version `fromVersion`: each published transaction's events in the
   * stream (`strata_stream_commits`) are its versions `first_version`, `first_version + 1`… in pos order.
   */
  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    this.#check();
    const r = await this.#query(
      `SELECT c.first_seq + e.pos - 1 AS seq, e.stream_id, e.type, e.schema_version, e.recorded_at, e.data, e.tags
       FROM ${this.schema}.strata_stream_commits sc
       JOIN ${this.schema}.strata_commits c ON c.tx = sc.tx
       CROSS JOIN LATERAL (
         SELECT ev.*, sc.first_version + row_number() OVER (ORDER BY ev.pos) - 1 AS version
         FROM ${this.schema}.strata_events ev WHERE ev.stream_id = sc.stream_id AND ev.tx = sc.tx
       ) e
       WHERE sc.stream_id = $1 AND sc.last_version >= $2 AND e.version >= $2
       ORDER BY sc.last_version, e.pos`,
      [streamId, fromVersion],
    );
    return r.rows.map(rowToEvent);
  }

  /** The stream's version as readers see it: its published events'. */
  async streamVersion(streamId: string): Promise<number> {
    this.#check();
    const r = await this.#query(
      `SELECT sc.last_version AS version FROM ${this.schema}.strata_stream_commits sc
       WHERE sc.stream_id = $1 ORDER BY sc.last_version DESC LIMIT 1`,
      [streamId],
    );
    return Number(r.rows[0]?.version ?? 0);
  }

  /**
   * Reads from `fromSeq`, then waits for notifications of publications. The first read waits until this
   * log listens, so nothing published between that read and the listening is missed.
   */
  subscribe(fromSeq: number, handler: EventHandler): Subscription {
    this.#check();
    const listening = this.#startListening();
    const read = async (from: number, limit: number) => {
      await listening;
      return this.read(from, limit);
    };
    return subscribeByReading(read, this.#notifier, fromSeq, handler);
  }

  /** The snapshots kept beside this log (same connections and schema). */
  snapshots(): PostgresSnapshotStore {
    return new PostgresSnapshotStore(this.#pool, this.schema, this.readOnly ? this.location : null);
  }

  /** The file contents kept beside this log (same connections and schema). */
  blobs(): PostgresBlobStore {
    return new PostgresBlobStore(this.#pool, this.schema, this.readOnly ? this.location : null);
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

/**
 * The arguments of `strata_write` (see `WRITE_PARAMETERS`) for a group of appends: the keys to lock
 * (those read exclusive, those only written shared), each batch's options as flat arrays, and the
 * events as columns.
 */
function writeArguments(group: readonly PendingAppend[]): unknown[] {
  const exclusive = new Map<string, boolean>();
  // A key read (a condition's, a stream whose version is expected) is locked exclusive, a key only
  // written shared: writers of one key never wait for each other, a reader and a writer do.
  const lock = (key: string, read: boolean) => exclusive.set(key, read || (exclusive.get(key) ?? false));
  const sizes: number[] = [];
  const afters: (number | null)[] = [];
  const conditionBatches: number[] = [];
  const conditionKeys: string[] = [];
  const expectedBatches: number[] = [];
  const expectedStreams: string[] = [];
  const expectedVersions: string[] = [];
  const streams: string[] = [];
  const types: string[] = [];
  const schemaVersions: number[] = [];
  const recordedAt: number[] = [];
  const data: string[] = [];
  const tags: (string | null)[] = [];
  group.forEach((p, i) => {
    const batch = i + 1;
    sizes.push(p.events.length);
    const condition = p.options.condition;
    afters.push(condition ? condition.after : null);
    for (const key of condition?.keys ?? []) {
      conditionBatches.push(batch);
      conditionKeys.push(key);
      lock(key, true);
    }
    for (const [stream, version] of Object.entries(p.options.expected ?? {})) {
      expectedBatches.push(batch);
      expectedStreams.push(stream);
      expectedVersions.push(String(version));
      lock(stream, true);
    }
    for (const e of p.events) {
      streams.push(e.streamId);
      types.push(e.type);
      schemaVersions.push(e.schemaVersion);
      recordedAt.push(e.recordedAt);
      data.push(dataJsonOf(e));
      const t = e.tags && e.tags.length > 0 ? e.tags : null;
      tags.push(t && JSON.stringify(t));
      lock(e.streamId, false);
      for (const tag of t ?? []) lock(tag, false);
    }
  });
  return [
    [...exclusive.keys()],
    [...exclusive.values()],
    sizes,
    afters,
    conditionBatches,
    conditionKeys,
    expectedBatches,
    expectedStreams,
    expectedVersions,
    streams,
    types,
    schemaVersions,
    recordedAt,
    data,
    tags,
  ];
}
