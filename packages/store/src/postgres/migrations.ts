/**
 * The PostgreSQL schema, created by numbered migrations recorded in `strata_migrations`. Every table
 * lives in the schema the log was opened with, so several logs can share one database.
 *
 * - `strata_events`: one row per event; `seq` is the global position, `(stream_id, stream_version)` is
 *   unique. `data` is `json` (not `jsonb`), so bodies come back exactly as written.
 * - `strata_streams`: each stream's version, for expected-version checks.
 * - `strata_head`: one row holding the last seq. Appends lock it (`FOR UPDATE`) for the length of their
 *   transaction, so seqs are assigned and committed in order: readers never see a gap.
 */
export const MIGRATIONS: readonly { readonly version: number; readonly sql: (schema: string) => string }[] = [
  {
    version: 1,
    sql: (s) => `
      CREATE TABLE ${s}.strata_events (
        seq bigint PRIMARY KEY,
        stream_id text NOT NULL,
        stream_version integer NOT NULL,
        type text NOT NULL,
        schema_version integer NOT NULL,
        recorded_at bigint NOT NULL,
        data json NOT NULL,
        UNIQUE (stream_id, stream_version)
      );
      CREATE TABLE ${s}.strata_streams (stream_id text PRIMARY KEY, version integer NOT NULL);
      CREATE TABLE ${s}.strata_head (id integer PRIMARY KEY CHECK (id = 1), last_seq bigint NOT NULL);
      INSERT INTO ${s}.strata_head VALUES (1, 0);
    `,
  },
];
