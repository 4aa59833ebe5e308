/**
 * Version 6 of the PostgreSQL schema: events ordered by their transaction, with no lock held through a
 * commit's WAL flush by writers that touch different keys.
 *
 * An event is stored as `(tx, pos)`: `tx` is its transaction's `pg_current_xact_id()` (xid8, which never
 * wraps), `pos` its place in the transaction (1, 2, …). The log's order is `(tx, pos)`. A transaction is
 * **final** once every transaction with a smaller xid has ended (`tx < pg_snapshot_xmin(...)`): nothing
 * can be committed below it any more. **Publication** numbers final transactions densely, in `(tx, pos)`
 * order, after the last published one: `strata_commits` holds each published transaction's first and
 * last seq, `strata_head` the last seq and its transaction. Readers read only what is published, so they
 * see seq 1, 2, 3… with no gap and nothing later inserted below a seq they saw — a transaction held open
 * holds back publication of everything after it until it ends; it is never skipped.
 *
 * An append (`CALL strata_append(batches, channel, null)`) is two transactions in one round trip:
 * 1. `strata_write`: takes advisory locks on its keys (X on each key an event has: stream ids and tags; S
 *    on each key only read: a condition's keys, a stream whose version is only checked), before the
 *    transaction has an xid, so of two appends that touch a key the later to lock gets the larger xid and
 *    comes later in the log ("lock, then xid"); checks each batch's condition (each key's last event, as
 *    `(tx, pos)`: a tag's is in `strata_keys`, a stream's is found by the `(stream_id, stream_version)`
 *    index) and its expected versions (a stream's version is its last event's); inserts. It
 *    commits without waiting for the WAL flush (`synchronous_commit = off`), so the locks are released at
 *    once and appends to one stream follow each other at CPU speed.
 * 2. `strata_settle` waits until the transaction is final (each appender holds an advisory lock on its own
 *    xid until it ends, which is what a waiter waits on); `strata_publish` publishes everything final under
 *    one lock, commits **synchronously** and notifies. That commit flushes the WAL past every transaction
 *    it publishes, so a published event is durable and an append is answered only once it is. Of the
 *    appends waiting meanwhile, most find their events published by the one before them: publication is a
 *    group commit.
 *
 * Migrating a log of versions 1–5 relabels its events without rewriting them: their `seq` becomes `pos`
 * of the pseudo-transaction `'2'` (below every real xid), published as one transaction from seq 1.
 */

/** The advisory-lock keys of one schema's log, as SQL expressions. */
function lockKeys(s: string) {
  return {
    /** The key of a stream id or tag: in the 64-bit key space, hashed with the schema. */
    key: (text: string) => `hashtextextended('${s}' || chr(31) || ${text}, 0)`,
    /** Every append takes it shared; one with more keys than `MAX_KEY_LOCKS` takes it alone, exclusive. */
    all: `hashtextextended('${s}' || chr(30) || 'all', 0)`,
    /** Publication, one at a time. */
    publish: `hashtextextended('${s}' || chr(30) || 'publish', 0)`,
  };
}

/**
 * The lock an appender holds on its own xid until it ends, in the two-int key space (which never meets
 * the 64-bit one): what `strata_settle` waits on.
 */
const XID_LOCK = (x: string) =>
  `((${x})::text::bigint >> 32)::integer # 1398034515, (((${x})::text::bigint & 4294967295) - 2147483648)::integer`;

/** Past this many keys, an append takes the log-wide lock alone instead (the lock table is finite). */
export const MAX_KEY_LOCKS = 64;

/**
 * The parameters of `strata_write` and `strata_append`, in order (the events as columns, one element per
 * event of the whole call; each batch's options as flat arrays naming the batch, 1-based).
 */
export const WRITE_PARAMETERS = [
  "p_locks text[]", // the keys to lock, each once
  "p_exclusive boolean[]", // per key: written (exclusive) or only read (shared)
  "p_sizes integer[]", // events per batch
  "p_afters bigint[]", // per batch: its condition's position, or null
  "p_condition_batches integer[]",
  "p_condition_keys text[]",
  "p_expected_batches integer[]",
  "p_expected_streams text[]",
  "p_expected_versions text[]",
  "p_streams text[]",
  "p_types text[]",
  "p_schema_versions integer[]",
  "p_recorded_at bigint[]",
  "p_data json[]",
  "p_tags json[]", // per event: a JSON array of its tags, or null
] as const;

const PARAMS = WRITE_PARAMETERS.join(", ");
const ARGS = WRITE_PARAMETERS.map((p) => p.split(" ")[0]).join(", ");

export function xidOrderMigration(s: string): string {
  const k = lockKeys(s);
  const lastOfStream = (stream: string) =>
    `(SELECT e.tx, e.pos, e.stream_version FROM ${s}.strata_events e WHERE e.stream_id = ${stream} ORDER BY e.stream_version DESC LIMIT 1)`;
  return `
    -- Relabel the events of the old schema: seq becomes pos of the pseudo-transaction '2'.
    DO $check$ BEGIN
      IF (SELECT count(*) FROM ${s}.strata_events) <> (SELECT last_seq FROM ${s}.strata_head WHERE id = 1)
         OR (SELECT coalesce(max(seq), 0) FROM ${s}.strata_events) <> (SELECT last_seq FROM ${s}.strata_head WHERE id = 1)
      THEN RAISE EXCEPTION 'schema ${s}: strata_events does not hold seqs 1 to strata_head.last_seq; it was not written by Strata';
      END IF;
    END $check$;
    DROP FUNCTION IF EXISTS ${s}.strata_append;
    DROP FUNCTION IF EXISTS ${s}.strata_append_many;
    DROP FUNCTION IF EXISTS ${s}.strata_append_batches;
    -- A stream's version is its last event's: the (stream_id, stream_version) index has it.
    DROP TABLE ${s}.strata_streams;
    ALTER TABLE ${s}.strata_events RENAME COLUMN seq TO pos;
    ALTER TABLE ${s}.strata_events ADD COLUMN tx xid8 NOT NULL DEFAULT '2';
    ALTER TABLE ${s}.strata_events ALTER COLUMN tx DROP DEFAULT;
    ALTER TABLE ${s}.strata_events DROP CONSTRAINT strata_events_pkey;
    ALTER TABLE ${s}.strata_events ADD PRIMARY KEY (tx, pos);
    CREATE TABLE ${s}.strata_commits (
      tx xid8 PRIMARY KEY, first_seq bigint NOT NULL, last_seq bigint NOT NULL UNIQUE
    );
    INSERT INTO ${s}.strata_commits (tx, first_seq, last_seq)
      SELECT '2', 1, h.last_seq FROM ${s}.strata_head h WHERE h.id = 1 AND h.last_seq > 0;
    ALTER TABLE ${s}.strata_head ADD COLUMN last_tx xid8 NOT NULL DEFAULT '2';
    ALTER TABLE ${s}.strata_head ALTER COLUMN last_tx DROP DEFAULT;
    -- Each tag's last event (a stream's is found by the index); the stream ids kept from before stay,
    -- and the later of the two counts.
    ALTER TABLE ${s}.strata_keys RENAME COLUMN last_seq TO last_pos;
    ALTER TABLE ${s}.strata_keys ADD COLUMN last_tx xid8 NOT NULL DEFAULT '2';
    ALTER TABLE ${s}.strata_keys ALTER COLUMN last_tx DROP DEFAULT;

    -- The first transaction of an append: lock, check, insert. Returns { tx, slots }, a slot per batch:
    -- { first, last, streamVersions } (positions in the transaction), { empty: pos so far },
    -- { conflict: {...} } or { broken: { key, tx, pos } }. Callable on its own (BEGIN; SELECT
    -- strata_write(...); COMMIT): its events are then published by the next append.
    CREATE FUNCTION ${s}.strata_write(${PARAMS}) RETURNS json
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_tx xid8;
      v_pos bigint := 0;
      v_slots json[] := '{}';
      v_lo integer := 1;
      v_n integer;
      v_ctx xid8;
      v_cpos bigint;
      v_broken json;
      v_conflict json;
      v_versions json;
    BEGIN
      IF pg_current_xact_id_if_assigned() IS NOT NULL THEN
        RAISE EXCEPTION 'strata_write must be the first write of its transaction (its locks must come before its xid)'
          USING ERRCODE = 'SX400';
      END IF;
      -- Locks, in one ascending pass, before this transaction has an xid.
      PERFORM CASE WHEN l.x THEN pg_advisory_xact_lock(l.k) ELSE pg_advisory_xact_lock_shared(l.k) END
      FROM (
        SELECT ${k.key("u.key")} AS k, u.x FROM unnest(p_locks, p_exclusive) AS u(key, x)
        WHERE coalesce(array_length(p_locks, 1), 0) <= ${MAX_KEY_LOCKS}
        UNION ALL SELECT ${k.all}, coalesce(array_length(p_locks, 1), 0) > ${MAX_KEY_LOCKS}
        ORDER BY 1, 2 DESC
      ) l;
      -- Every statement from here on sees what the holders of those locks committed.
      FOR v_b IN 1 .. coalesce(array_length(p_sizes, 1), 0) LOOP
        v_n := p_sizes[v_b];
        v_broken := NULL;
        IF p_afters[v_b] IS NOT NULL THEN
          IF p_afters[v_b] = 0 THEN
            v_ctx := '0'; v_cpos := 0;
          ELSE
            SELECT c.tx, p_afters[v_b] - c.first_seq + 1 INTO v_ctx, v_cpos
            FROM ${s}.strata_commits c WHERE c.last_seq >= p_afters[v_b] ORDER BY c.last_seq LIMIT 1;
            IF NOT FOUND THEN
              -- Past the published log: everything published is before it, nothing else is.
              SELECT h.last_tx, 9223372036854775807 INTO v_ctx, v_cpos FROM ${s}.strata_head h WHERE h.id = 1;
            END IF;
          END IF;
          -- Each key's last event (as a tag, or as a stream), then the earliest of those after the position.
          SELECT json_build_object('key', q.key, 'tx', q.tx, 'pos', q.pos) INTO v_broken
          FROM (
            SELECT DISTINCT ON (u.key) u.key, u.tx, u.pos FROM (
              SELECT kk.key, kk.last_tx AS tx, kk.last_pos AS pos FROM ${s}.strata_keys kk
              WHERE kk.key = ANY (ARRAY(SELECT c.key FROM unnest(p_condition_batches, p_condition_keys) AS c(b, key) WHERE c.b = v_b))
              UNION ALL
              SELECT c.key, l.tx, l.pos FROM unnest(p_condition_batches, p_condition_keys) AS c(b, key),
                LATERAL ${lastOfStream("c.key")} l
              WHERE c.b = v_b
            ) u ORDER BY u.key, u.tx DESC, u.pos DESC
          ) q
          WHERE (q.tx, q.pos) > (v_ctx, v_cpos)
          ORDER BY q.tx, q.pos LIMIT 1;
          IF v_broken IS NOT NULL THEN
            v_slots := v_slots || json_build_object('broken', v_broken);
            v_lo := v_lo + v_n;
            CONTINUE;
          END IF;
        END IF;
        IF v_b = ANY (p_expected_batches) THEN
          SELECT json_build_object('streamId', x.stream, 'expected', x.want, 'actual', x.actual) INTO v_conflict
          FROM (
            SELECT t.stream, t.want, t.ord, coalesce((SELECT l.stream_version FROM ${lastOfStream("t.stream")} l), 0) AS actual
            FROM unnest(p_expected_batches, p_expected_streams, p_expected_versions) WITH ORDINALITY AS t(b, stream, want, ord)
            WHERE t.b = v_b
          ) x
          WHERE NOT (x.want = 'any' OR (x.want = 'no-stream' AND x.actual = 0)
                     OR (x.want = 'stream-exists' AND x.actual > 0) OR x.want = x.actual::text)
          ORDER BY x.ord LIMIT 1;
          IF v_conflict IS NOT NULL THEN
            v_slots := v_slots || json_build_object('conflict', v_conflict);
            v_lo := v_lo + v_n;
            CONTINUE;
          END IF;
        END IF;
        IF v_n = 0 THEN
          v_slots := v_slots || json_build_object('empty', v_pos);
          CONTINUE;
        END IF;
        IF v_tx IS NULL THEN
          v_tx := pg_current_xact_id();
          PERFORM pg_advisory_xact_lock(${XID_LOCK("v_tx")});
        END IF;
        WITH ev AS (
          SELECT t.* FROM unnest(p_streams[v_lo:v_lo + v_n - 1], p_types[v_lo:v_lo + v_n - 1],
                                 p_schema_versions[v_lo:v_lo + v_n - 1], p_recorded_at[v_lo:v_lo + v_n - 1],
                                 p_data[v_lo:v_lo + v_n - 1], p_tags[v_lo:v_lo + v_n - 1])
                 WITH ORDINALITY AS t(stream_id, type, schema_version, recorded_at, data, tags, ord)
        ), numbered AS (
          SELECT ev.*, coalesce(top.stream_version, 0)
                       + row_number() OVER (PARTITION BY ev.stream_id ORDER BY ev.ord) AS version
          FROM ev LEFT JOIN LATERAL ${lastOfStream("ev.stream_id")} top ON true
        ), inserted AS (
          INSERT INTO ${s}.strata_events (tx, pos, stream_id, stream_version, type, schema_version, recorded_at, data, tags)
          SELECT v_tx, v_pos + n.ord, n.stream_id, n.version, n.type, n.schema_version, n.recorded_at, n.data,
                 CASE WHEN n.tags IS NOT NULL THEN ARRAY(SELECT json_array_elements_text(n.tags)) END
          FROM numbered n
          RETURNING pos, stream_id, stream_version, tags
        ), keyed AS (
          INSERT INTO ${s}.strata_keys (key, last_tx, last_pos)
          SELECT t.key, v_tx, max(i.pos) FROM inserted i, unnest(i.tags) AS t(key) GROUP BY t.key
          ON CONFLICT (key) DO UPDATE SET last_tx = EXCLUDED.last_tx, last_pos = EXCLUDED.last_pos
          RETURNING key
        )
        SELECT json_object_agg(v.stream_id, v.version) INTO v_versions
        FROM (SELECT i.stream_id, max(i.stream_version) AS version FROM inserted i GROUP BY i.stream_id) v;
        v_slots := v_slots || json_build_object('first', v_pos + 1, 'last', v_pos + v_n, 'streamVersions', v_versions);
        v_pos := v_pos + v_n;
        v_lo := v_lo + v_n;
      END LOOP;
      RETURN json_build_object('tx', v_tx, 'slots', array_to_json(v_slots));
    END
    $fn$;

    -- Waits until no transaction with an xid below p_below is in progress.
    CREATE FUNCTION ${s}.strata_settle(p_below xid8) RETURNS void
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_u xid8;
      v_nap float8 := 0.0005;
    BEGIN
      LOOP
        SELECT min(x) INTO v_u FROM pg_snapshot_xip(pg_current_snapshot()) AS x WHERE x < p_below;
        EXIT WHEN v_u IS NULL;
        -- An appender holds this lock until it ends; another transaction (a writer of some other
        -- table, in any database of the cluster) does not, and is polled. The lock is taken in a
        -- subtransaction rolled back at once, so it is never held: an appender that has its xid but
        -- has not locked it yet must still be able to.
        BEGIN
          PERFORM pg_advisory_xact_lock_shared(${XID_LOCK("v_u")});
          RAISE EXCEPTION USING ERRCODE = 'SX001';
        EXCEPTION WHEN SQLSTATE 'SX001' THEN NULL;
        END;
        IF pg_xact_status(v_u) = 'in progress' THEN
          PERFORM pg_sleep(v_nap);
          v_nap := least(v_nap * 2, 0.05);
        END IF;
      END LOOP;
    END
    $fn$;

    -- Publishes every final transaction (up to p_upto at least, which must be final), then notifies.
    CREATE FUNCTION ${s}.strata_publish(p_upto xid8, p_channel text) RETURNS void
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_last bigint;
    BEGIN
      IF (SELECT h.last_tx FROM ${s}.strata_head h WHERE h.id = 1) >= p_upto THEN RETURN; END IF;
      PERFORM pg_advisory_xact_lock(${k.publish});
      IF (SELECT h.last_tx FROM ${s}.strata_head h WHERE h.id = 1) >= p_upto THEN RETURN; END IF;
      PERFORM pg_advisory_xact_lock(${XID_LOCK("pg_current_xact_id()")});
      WITH h AS (
        SELECT hh.last_seq, hh.last_tx FROM ${s}.strata_head hh WHERE hh.id = 1
      ), t AS (
        SELECT e.tx, count(*) AS n FROM ${s}.strata_events e, h
        WHERE e.tx > h.last_tx AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
        GROUP BY e.tx
      ), numbered AS (
        SELECT t.tx, t.n, h.last_seq + sum(t.n) OVER (ORDER BY t.tx) AS last FROM t, h
      ), ins AS (
        INSERT INTO ${s}.strata_commits (tx, first_seq, last_seq)
        SELECT nn.tx, nn.last - nn.n + 1, nn.last FROM numbered nn
        RETURNING tx, last_seq
      ), top AS (
        SELECT i.tx, i.last_seq FROM ins i ORDER BY i.last_seq DESC LIMIT 1
      ), moved AS (
        UPDATE ${s}.strata_head hh SET last_seq = top.last_seq, last_tx = top.tx FROM top WHERE hh.id = 1
        RETURNING hh.last_seq
      )
      SELECT m.last_seq INTO v_last FROM moved m;
      IF v_last IS NOT NULL THEN PERFORM pg_notify(p_channel, v_last::text); END IF;
    END
    $fn$;

    -- An append: strata_write, committed without waiting for the flush; then, settled and published
    -- (a synchronous commit): { tx, base (the seq of its first event), head, slots }, and the seq of
    -- each broken condition's event in its slot.
    CREATE PROCEDURE ${s}.strata_append(${PARAMS}, p_channel text, INOUT p_result json DEFAULT NULL)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_w json;
      v_tx xid8;
      v_until xid8;
    BEGIN
      PERFORM set_config('synchronous_commit', 'off', true);
      v_w := ${s}.strata_write(${ARGS});
      COMMIT;
      BEGIN
        v_tx := (v_w->>'tx')::xid8;
        SELECT max(q.t) INTO v_until FROM (
          SELECT v_tx AS t
          UNION ALL SELECT (sl->'broken'->>'tx')::xid8 FROM json_array_elements(v_w->'slots') sl
        ) q;
        IF v_until IS NOT NULL THEN
          PERFORM ${s}.strata_settle(v_until);
          PERFORM ${s}.strata_publish(v_until, p_channel);
        END IF;
        SELECT json_build_object(
          'base', (SELECT c.first_seq FROM ${s}.strata_commits c WHERE c.tx = v_tx),
          'head', (SELECT h.last_seq FROM ${s}.strata_head h WHERE h.id = 1),
          'slots', json_agg(CASE WHEN x.sl->'broken' IS NULL THEN x.sl ELSE json_build_object('broken', json_build_object(
            'key', x.sl->'broken'->'key',
            'seq', (SELECT c.first_seq + (x.sl->'broken'->>'pos')::bigint - 1 FROM ${s}.strata_commits c
                    WHERE c.tx = (x.sl->'broken'->>'tx')::xid8))) END ORDER BY x.i))
        INTO p_result
        FROM json_array_elements(v_w->'slots') WITH ORDINALITY AS x(sl, i);
      EXCEPTION WHEN OTHERS OR query_canceled THEN
        RAISE EXCEPTION 'the append was committed (transaction %), but it could not be given its place in the log: %', v_tx, SQLERRM
          USING ERRCODE = 'SX500';
      END;
    END
    $fn$;
  `;
}
