/**
 * The PostgreSQL schema, created by numbered migrations recorded in `strata_migrations`. Every table
 * lives in the schema the log was opened with, so several logs can share one database.
 *
 * - `strata_events`: one row per event; `seq` is the global position, `(stream_id, stream_version)` is
 *   unique. `data` is `json` (not `jsonb`), so bodies come back exactly as written.
 * - `strata_streams`: each stream's version, for expected-version checks.
 * - `strata_head`: one row holding the last seq. Appends lock it (`FOR UPDATE`) for the length of their
 *   transaction, so seqs are assigned and committed in order: readers never see a gap.
 * - `strata_append(...)` (version 2): the whole append in one statement, so the head row is locked for
 *   one round trip and the commit, not for nine round trips. It checks expected versions (raising
 *   SQLSTATE `SX409` with the stream, expected and actual version as JSON in DETAIL), inserts the events
 *   with their stream versions, moves the streams and the head, and notifies listeners.
 * - `strata_append_many(batches json, channel)` (version 3): several appends in one statement and one
 *   transaction (group commit: one WAL flush for all of them), each checked against its own expected
 *   versions in order; a conflicting one is reported in its slot of the result and appends nothing, the
 *   others go ahead.
 * - Version 4: events have `tags` (a text array, null when none); `strata_keys` holds each key's last
 *   seq (a key is a stream id or a tag; filled from the events already there), and
 *   `strata_append_batches(batches json, channel)` is the one append function: for each batch in order,
 *   under the head lock, it checks the append condition (`{ after, keys }`: no key of the condition may
 *   have a seq after `after`) and the expected versions against what the earlier batches of the same
 *   call left, inserts the events set-wise with their tags and stream versions, and moves the streams,
 *   the keys and the head. A batch that fails reports `{ conflict }` or `{ broken: { seq, key } }` in its
 *   slot and appends nothing; the others go ahead.
 * - Version 5: what travels with the log. `strata_blobs` (digest, size, number of parts) and
 *   `strata_blob_parts` (the bytes, in parts of at most 4 MiB) hold file contents by sha256, stored
 *   before the events that name them; `strata_snapshots` holds snapshots (kind, position, text).
 * - Version 6: events ordered by their transaction, with no lock held through a commit (xidOrder.ts).
 * - Version 7: the publication functions again, with a publisher's lock that names its log, and a
 *   publisher that publishes until its own append is published (xidOrder.ts, `publicationFunctions`).
 */
import { publicationFunctions, xidOrderMigration } from "./xidOrder.js";

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
  {
    version: 2,
    sql: (s) => `
      CREATE FUNCTION ${s}.strata_append(
        p_stream_ids text[], p_types text[], p_schema_versions integer[], p_recorded_at bigint[], p_data json[],
        p_expected_streams text[], p_expected text[], p_channel text
      ) RETURNS TABLE (first_seq bigint, last_seq bigint, stream_versions json)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_last bigint;
        v_actual integer;
        v_want text;
        v_n integer := coalesce(array_length(p_stream_ids, 1), 0);
      BEGIN
        SELECT h.last_seq INTO v_last FROM ${s}.strata_head h WHERE h.id = 1 FOR UPDATE;
        FOR i IN 1 .. coalesce(array_length(p_expected_streams, 1), 0) LOOP
          SELECT st.version INTO v_actual FROM ${s}.strata_streams st WHERE st.stream_id = p_expected_streams[i];
          v_actual := coalesce(v_actual, 0);
          v_want := p_expected[i];
          IF NOT (v_want = 'any' OR (v_want = 'no-stream' AND v_actual = 0)
                  OR (v_want = 'stream-exists' AND v_actual > 0) OR v_want = v_actual::text) THEN
            RAISE EXCEPTION 'expected version conflict' USING ERRCODE = 'SX409',
              DETAIL = json_build_object('streamId', p_expected_streams[i], 'expected', v_want, 'actual', v_actual)::text;
          END IF;
        END LOOP;
        IF v_n = 0 THEN
          RETURN QUERY SELECT v_last + 1, v_last, '{}'::json;
          RETURN;
        END IF;
        WITH batch AS (
          SELECT t.ord, t.stream_id, t.type, t.schema_version, t.recorded_at, t.data,
                 coalesce(st.version, 0) + row_number() OVER (PARTITION BY t.stream_id ORDER BY t.ord) AS version
          FROM unnest(p_stream_ids, p_types, p_schema_versions, p_recorded_at, p_data)
               WITH ORDINALITY AS t(stream_id, type, schema_version, recorded_at, data, ord)
          LEFT JOIN ${s}.strata_streams st ON st.stream_id = t.stream_id
        ), inserted AS (
          INSERT INTO ${s}.strata_events (seq, stream_id, stream_version, type, schema_version, recorded_at, data)
          SELECT v_last + b.ord, b.stream_id, b.version, b.type, b.schema_version, b.recorded_at, b.data FROM batch b
          RETURNING stream_id, stream_version
        ), tops AS (
          SELECT i.stream_id, max(i.stream_version) AS version FROM inserted i GROUP BY i.stream_id
        ), moved AS (
          INSERT INTO ${s}.strata_streams (stream_id, version) SELECT t.stream_id, t.version FROM tops t
          ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version
          RETURNING stream_id, version
        )
        SELECT json_object_agg(m.stream_id, m.version) INTO stream_versions FROM moved m;
        UPDATE ${s}.strata_head SET last_seq = v_last + v_n WHERE id = 1;
        PERFORM pg_notify(p_channel, (v_last + v_n)::text);
        first_seq := v_last + 1;
        last_seq := v_last + v_n;
        RETURN NEXT;
      END
      $fn$;
    `,
  },
  {
    version: 3,
    sql: (s) => `
      CREATE FUNCTION ${s}.strata_append_many(p_batches json, p_channel text) RETURNS json
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_last bigint;
        v_results json[] := '{}';
        v_batch json;
        v_exp record;
        v_event json;
        v_actual integer;
        v_conflict json;
        v_versions jsonb := '{}';
        v_touched jsonb;
        v_first bigint;
        v_stream text;
        v_version integer;
      BEGIN
        SELECT h.last_seq INTO v_last FROM ${s}.strata_head h WHERE h.id = 1 FOR UPDATE;
        FOR v_batch IN SELECT value FROM json_array_elements(p_batches) LOOP
          v_conflict := NULL;
          FOR v_exp IN SELECT key, value FROM json_each_text(v_batch->'expected') LOOP
            v_actual := coalesce((v_versions->>v_exp.key)::integer,
              (SELECT st.version FROM ${s}.strata_streams st WHERE st.stream_id = v_exp.key), 0);
            IF NOT (v_exp.value = 'any' OR (v_exp.value = 'no-stream' AND v_actual = 0)
                    OR (v_exp.value = 'stream-exists' AND v_actual > 0) OR v_exp.value = v_actual::text) THEN
              v_conflict := json_build_object('streamId', v_exp.key, 'expected', v_exp.value, 'actual', v_actual);
              EXIT;
            END IF;
          END LOOP;
          IF v_conflict IS NOT NULL THEN
            v_results := v_results || json_build_object('conflict', v_conflict);
            CONTINUE;
          END IF;
          v_first := v_last + 1;
          v_touched := '{}';
          FOR v_event IN SELECT value FROM json_array_elements(v_batch->'events') LOOP
            v_stream := v_event->>'streamId';
            v_version := coalesce((v_versions->>v_stream)::integer,
              (SELECT st.version FROM ${s}.strata_streams st WHERE st.stream_id = v_stream), 0) + 1;
            v_versions := v_versions || jsonb_build_object(v_stream, v_version);
            v_touched := v_touched || jsonb_build_object(v_stream, v_version);
            v_last := v_last + 1;
            INSERT INTO ${s}.strata_events (seq, stream_id, stream_version, type, schema_version, recorded_at, data)
            VALUES (v_last, v_stream, v_version, v_event->>'type', (v_event->>'schemaVersion')::integer,
                    (v_event->>'recordedAt')::bigint, v_event->'data');
          END LOOP;
          v_results := v_results || json_build_object('firstSeq', v_first, 'lastSeq', v_last, 'streamVersions', v_touched);
        END LOOP;
        INSERT INTO ${s}.strata_streams (stream_id, version)
        SELECT key, value::text::integer FROM jsonb_each(v_versions)
        ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version;
        UPDATE ${s}.strata_head SET last_seq = v_last WHERE id = 1;
        PERFORM pg_notify(p_channel, v_last::text);
        RETURN array_to_json(v_results);
      END
      $fn$;
    `,
  },
  {
    version: 4,
    sql: (s) => `
      ALTER TABLE ${s}.strata_events ADD COLUMN tags text[];
      CREATE TABLE ${s}.strata_keys (key text PRIMARY KEY, last_seq bigint NOT NULL);
      INSERT INTO ${s}.strata_keys (key, last_seq)
        SELECT stream_id, max(seq) FROM ${s}.strata_events GROUP BY stream_id;
      CREATE FUNCTION ${s}.strata_append_batches(p_batches json, p_channel text) RETURNS json
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_last bigint;
        v_results json[] := '{}';
        v_batch json;
        v_exp record;
        v_actual integer;
        v_conflict json;
        v_broken json;
        v_n integer;
        v_versions json;
      BEGIN
        SELECT h.last_seq INTO v_last FROM ${s}.strata_head h WHERE h.id = 1 FOR UPDATE;
        FOR v_batch IN SELECT value FROM json_array_elements(p_batches) LOOP
          v_broken := NULL;
          IF json_typeof(v_batch->'condition') = 'object' THEN
            SELECT json_build_object('seq', k.last_seq, 'key', k.key) INTO v_broken
            FROM ${s}.strata_keys k
            WHERE k.key IN (SELECT json_array_elements_text(v_batch->'condition'->'keys'))
              AND k.last_seq > (v_batch->'condition'->>'after')::bigint
            ORDER BY k.last_seq LIMIT 1;
          END IF;
          IF v_broken IS NOT NULL THEN
            v_results := v_results || json_build_object('broken', v_broken);
            CONTINUE;
          END IF;
          v_conflict := NULL;
          FOR v_exp IN SELECT key, value FROM json_each_text(v_batch->'expected') LOOP
            SELECT st.version INTO v_actual FROM ${s}.strata_streams st WHERE st.stream_id = v_exp.key;
            v_actual := coalesce(v_actual, 0);
            IF NOT (v_exp.value = 'any' OR (v_exp.value = 'no-stream' AND v_actual = 0)
                    OR (v_exp.value = 'stream-exists' AND v_actual > 0) OR v_exp.value = v_actual::text) THEN
              v_conflict := json_build_object('streamId', v_exp.key, 'expected', v_exp.value, 'actual', v_actual);
              EXIT;
            END IF;
          END LOOP;
          IF v_conflict IS NOT NULL THEN
            v_results := v_results || json_build_object('conflict', v_conflict);
            CONTINUE;
          END IF;
          v_n := json_array_length(v_batch->'events');
          IF v_n = 0 THEN
            v_results := v_results || json_build_object('firstSeq', v_last + 1, 'lastSeq', v_last, 'streamVersions', '{}'::json);
            CONTINUE;
          END IF;
          WITH batch AS (
            SELECT x.ord, x.ev->>'streamId' AS stream_id, x.ev
            FROM json_array_elements(v_batch->'events') WITH ORDINALITY AS x(ev, ord)
          ), numbered AS (
            SELECT b.ord, b.stream_id, b.ev,
                   coalesce(st.version, 0) + row_number() OVER (PARTITION BY b.stream_id ORDER BY b.ord) AS version
            FROM batch b LEFT JOIN ${s}.strata_streams st ON st.stream_id = b.stream_id
          ), inserted AS (
            INSERT INTO ${s}.strata_events (seq, stream_id, stream_version, type, schema_version, recorded_at, data, tags)
            SELECT v_last + n.ord, n.stream_id, n.version, n.ev->>'type', (n.ev->>'schemaVersion')::integer,
                   (n.ev->>'recordedAt')::bigint, n.ev->'data',
                   CASE WHEN json_typeof(n.ev->'tags') = 'array'
                        THEN ARRAY(SELECT json_array_elements_text(n.ev->'tags')) END
            FROM numbered n
            RETURNING seq, stream_id, stream_version, tags
          ), tops AS (
            SELECT i.stream_id, max(i.stream_version) AS version FROM inserted i GROUP BY i.stream_id
          ), moved AS (
            INSERT INTO ${s}.strata_streams (stream_id, version) SELECT t.stream_id, t.version FROM tops t
            ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version
            RETURNING stream_id, version
          ), keyed AS (
            INSERT INTO ${s}.strata_keys (key, last_seq)
            SELECT k.key, max(k.seq) FROM (
              SELECT i.stream_id AS key, i.seq FROM inserted i
              UNION ALL SELECT unnest(i.tags), i.seq FROM inserted i WHERE i.tags IS NOT NULL
            ) k GROUP BY k.key
            ON CONFLICT (key) DO UPDATE SET last_seq = EXCLUDED.last_seq
            RETURNING key
          )
          SELECT json_object_agg(m.stream_id, m.version) INTO v_versions FROM moved m;
          v_results := v_results || json_build_object('firstSeq', v_last + 1, 'lastSeq', v_last + v_n, 'streamVersions', v_versions);
          v_last := v_last + v_n;
        END LOOP;
        UPDATE ${s}.strata_head SET last_seq = v_last WHERE id = 1;
        PERFORM pg_notify(p_channel, v_last::text);
        RETURN array_to_json(v_results);
      END
      $fn$;
    `,
  },
  {
    version: 5,
    sql: (s) => `
      CREATE TABLE ${s}.strata_blobs (digest text PRIMARY KEY, size bigint NOT NULL, parts integer NOT NULL);
      CREATE TABLE ${s}.strata_blob_parts (
        digest text NOT NULL, part integer NOT NULL, bytes bytea NOT NULL, PRIMARY KEY (digest, part)
      );
      CREATE TABLE ${s}.strata_snapshots (
        kind text NOT NULL, position bigint NOT NULL, body text NOT NULL, PRIMARY KEY (kind, position)
      );
    `,
  },
  { version: 6, sql: xidOrderMigration },
  { version: 7, sql: publicationFunctions },
];
