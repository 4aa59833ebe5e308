/**
 * Snapshots in PostgreSQL, beside the log (`strata_snapshots`, migration 5): one row per snapshot, its
 * text as `encodeSnapshot` writes it, checked on load as the file store checks it.
 */
import type pg from "pg";
import {
  decodeSnapshot,
  encodeSnapshot,
  type LoadedSnapshot,
  SNAPSHOTS_KEPT,
  type Snapshot,
  type SnapshotStorage,
} from "../snapshots.js";
import { readOnlyError } from "./postgresFailure.js";

export class PostgresSnapshotStore implements SnapshotStorage {
  readonly #pool: pg.Pool;
  readonly #table: string;
  /** The log's location when it was opened read-only (`save` refuses), else null. */
  readonly #readOnly: string | null;

  /** Use `PostgresEventLog.snapshots()`: the store shares the log's connections and schema. */
  constructor(pool: pg.Pool, schema: string, readOnly: string | null = null) {
    this.#pool = pool;
    this.#table = `${schema}.strata_snapshots`;
    this.#readOnly = readOnly;
  }

  async save<S>(snapshot: Snapshot<S>): Promise<void> {
    if (this.#readOnly !== null) throw readOnlyError(this.#readOnly);
    await this.#pool.query(
      `INSERT INTO ${this.#table} (kind, position, body) VALUES ($1, $2, $3) ON CONFLICT (kind, position) DO UPDATE SET body = EXCLUDED.body`,
      [snapshot.kind, snapshot.position, encodeSnapshot(snapshot)],
    );
    await this.#pool.query(
      `DELETE FROM ${this.#table} WHERE kind = $1 AND position < (
         SELECT min(position) FROM (SELECT position FROM ${this.#table} WHERE kind = $1 ORDER BY position DESC LIMIT $2) newest)`,
      [snapshot.kind, SNAPSHOTS_KEPT],
    );
  }

  async load<S>(kind: string, maxPosition = Number.POSITIVE_INFINITY): Promise<LoadedSnapshot<S>> {
    const r = await this.#pool.query(
      `SELECT position, body FROM ${this.#table} WHERE kind = $1 AND position <= $2 ORDER BY position DESC`,
      [kind, Number.isFinite(maxPosition) ? maxPosition : Number.MAX_SAFE_INTEGER],
    );
    const skipped: { file: string; reason: string }[] = [];
    for (const row of r.rows as { position: string; body: string }[]) {
      try {
        return { snapshot: decodeSnapshot<S>(row.body, kind, Number(row.position)), skipped };
      } catch (e) {
        skipped.push({ file: `${this.#table} (${kind}, ${row.position})`, reason: (e as Error).message });
      }
    }
    return { snapshot: null, skipped };
  }
}
