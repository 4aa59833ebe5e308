/**
 * Version 6 of the PostgreSQL schema: events ordered by their transaction, with no lock held through a
 * commit's WAL flush, and no lock in common between appends that only write the same keys.
 *
 * An event is stored as `(tx, pos)`: `tx` is its transaction's `pg_current_xact_id()` (xid8, which never
 * wraps), `pos` its place in the transaction (1, 2, …). The log's order is `(tx, pos)`. A transaction is
 * **final** once every transaction with a smaller xid has ended (`tx < pg_snapshot_xmin(...)`): nothing
 * can be committed below it any more. **Publication** numbers final transactions densely, in `(tx, pos)`
 * order, after the last published one: `strata_commits` holds each published transaction's first and
 * last seq, `strata_stream_commits` the versions its events take in each of its streams, `strata_head`
 * the last seq and its transaction. Readers read only what is published, so they see seq 1, 2, 3… with
 * no gap and nothing later inserted below a seq they saw — a transaction held open holds back publication
 * of everything after it until it ends; it is never skipped.
 *
 * An append (`CALL strata_append(...)`) is two transactions in one round trip:
 * 1. `strata_write` takes advisory locks on its keys before its transaction has an xid: **shared** on each
 *    key it only writes (its events' stream ids and tags), **exclusive** on each key it reads (a
 *    condition's keys, a stream whose version it expects). So appends that only write a key never wait
 *    for each other, and of a reader and a writer of one key the later to lock waits for the other, then
 *    gets the larger xid and comes later in the log ("lock, then xid"). It then checks each batch's
 *    condition (each key's last event, as `(tx, pos)`: a tag's in `strata_tags`, a stream's by the
 *    `(stream_id, tx, pos)` index) and expected versions, and inserts. It commits without waiting for the
 *    WAL flush (`synchronous_commit = off`), so its locks are released at once.
 * 2. `strata_place` waits until the transaction is final (each appender holds an advisory lock on its own
 *    xid until it ends, which is what the wait waits on), then has it published: as a WAL group commit,
 *    whoever finds no publication in progress publishes everything final and commits **synchronously**,
 *    and the others wait for it and look again. That commit flushes the WAL past every transaction it
 *    publishes, so a published event is durable, and an append is answered only once it is published.
 *
 * Migrating a log of versions 1–5 relabels its events without rewriting them: their `seq` becomes `pos`
 * of the pseudo-transaction `'2'` (below every real xid), published as one transaction from seq 1.
 */

/** The advisory-lock keys of one schema's log, as SQL expressions. */
export function lockKeys(s: string) {
  return {
    /** The key of a stream id or tag: in the 64-bit key space, hashed with the schema. */
    key: (text: string) => `hashtextextended('${s}' || chr(31) || ${text}, 0)`,
    /** Every append takes it shared; one with more keys than `MAX_KEY_LOCKS` takes it alone, exclusive. */
    all: `hashtextextended('${s}' || chr(30) || 'all', 0)`,
    /** Publication, one at a time: tried, never waited for. */
    publish: `hashtextextended('${s}' || chr(30) || 'publish', 0)`,
    /** Held by the publisher with `publish`: what the appenders waiting for a publication wait on. */
    publishing: `hashtextextended('${s}' || chr(30) || 'publishing', 0)`,
    /**
     * Held by a publisher of this log on its own xid `x` until it ends: settling does not wait for it
     * (it writes no event, and whoever publishes next waits for its end through the publish lock). It
     * names the log: a publisher of another log (another schema, any database of the cluster) is a
     * transaction like any other, waited for until it ends, since it holds back the snapshot's xmin.
     */
    publisher: (x: string) => `hashtextextended('${s}' || chr(30) || 'publisher' || (${x})::text, 0)`,
  };
}

/**
 * The lock an appender holds on its own xid until it ends, in the two-int key space (which never meets
 * the 64-bit one): what settling waits on. A publisher of the log holds `lockKeys(s).publisher` instead.
 */
const XID_LOCK = (x: string) =>
  `((${x})::text::bigint >> 32)::integer # 1398034515, (((${x})::text::bigint & 4294967295) - 2147483648)::integer`;

/** Runs `body` (which takes a lock) in a subtransaction rolled back at once: waits, holds nothing. */
const waitOnly = (body: string) => `
        BEGIN
          ${body}
          RAISE EXCEPTION USING ERRCODE = 'SX001';
        EXCEPTION WHEN SQLSTATE 'SX001' THEN NULL;
        END;`;

/** Past this many keys, an append takes the log-wide lock alone instead (the lock table is finite). */
export const MAX_KEY_LOCKS = 64;

/**
 * The parameters of `strata_write` and `strata_append`, in order (the events as columns, one element per
 * event of the whole call; each batch's options as flat arrays naming the batch, 1-based).
 */
export const WRITE_PARAMETERS = [
  "p_locks text[]", // the keys to lock, each once
  "p_exclusive boolean[]", // per key: read (exclusive) or only written (shared)
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
/**
 * The functions plan each statement once (generic plans: their shapes never depend on the values), and
 * always by an index (a plan made while a table was small must not scan it whole once it has grown).
 */
const PLPGSQL = "LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan SET enable_seqscan = off";

export function xidOrderMigration(s: string): string {
  const k = lockKeys(s);
  /**
   * A key's last event, as (tx, pos): as a stream (its committed events not published yet, a short range
   * of the (tx, pos) index, else its last published transaction's), and as a tag. Each query has one
   * index to use whatever the statistics say (the plans are generic).
   */
  const lastAsStream = (key: string) => `(
    (SELECT e.tx, e.pos FROM ${s}.strata_events e, ${s}.strata_head h
     WHERE h.id = 1 AND e.tx > h.last_tx AND e.stream_id = ${key} ORDER BY e.tx DESC, e.pos DESC LIMIT 1)
    UNION ALL
    (SELECT sc.tx, sc.last_pos FROM ${s}.strata_stream_commits sc
     WHERE sc.stream_id = ${key} ORDER BY sc.last_version DESC LIMIT 1)
    ORDER BY 1 DESC, 2 DESC LIMIT 1)`;
  const lastAsTag = (key: string) =>
    `(SELECT g.tx, g.pos FROM ${s}.strata_tags g WHERE g.key = ${key} ORDER BY g.tx DESC, g.pos DESC LIMIT 1)`;
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
    ALTER TABLE ${s}.strata_events RENAME COLUMN seq TO pos;
    ALTER TABLE ${s}.strata_events ADD COLUMN tx xid8 NOT NULL DEFAULT '2';
    ALTER TABLE ${s}.strata_events ALTER COLUMN tx DROP DEFAULT;
    ALTER TABLE ${s}.strata_events DROP CONSTRAINT strata_events_pkey;
    ALTER TABLE ${s}.strata_events ADD PRIMARY KEY (tx, pos);

    -- Each published transaction: its seqs, and the version its first event in each stream takes
    -- there (null for the events of the old schema).
    CREATE TABLE ${s}.strata_commits (
      tx xid8 PRIMARY KEY, first_seq bigint NOT NULL, last_seq bigint NOT NULL UNIQUE, versions json
    );
    INSERT INTO ${s}.strata_commits (tx, first_seq, last_seq)
      SELECT '2', 1, h.last_seq FROM ${s}.strata_head h WHERE h.id = 1 AND h.last_seq > 0;
    ALTER TABLE ${s}.strata_head ADD COLUMN last_tx xid8 NOT NULL DEFAULT '2';
    ALTER TABLE ${s}.strata_head ALTER COLUMN last_tx DROP DEFAULT;

    -- A stream's versions: of the events of transaction tx in the stream (in pos order), the first is
    -- first_version and the last, at last_pos, last_version. Published with the transaction.
    CREATE TABLE ${s}.strata_stream_commits (
      stream_id text NOT NULL, tx xid8 NOT NULL, first_version integer NOT NULL, last_version integer NOT NULL,
      last_pos bigint NOT NULL, PRIMARY KEY (stream_id, last_version)
    );
    INSERT INTO ${s}.strata_stream_commits (stream_id, tx, first_version, last_version, last_pos)
      SELECT e.stream_id, '2', 1, max(e.stream_version), max(e.pos) FROM ${s}.strata_events e GROUP BY e.stream_id;
    ALTER TABLE ${s}.strata_events DROP COLUMN stream_version;
    DROP TABLE ${s}.strata_streams;
    CREATE INDEX strata_events_stream ON ${s}.strata_events (stream_id, tx, pos);

    -- Each tag's events (insert-only, so writers of one tag never wait for each other). The last seq
    -- of each key of the old schema (stream ids too: harmless, a stream's own events are found anyway).
    CREATE TABLE ${s}.strata_tags (key text NOT NULL, tx xid8 NOT NULL, pos bigint NOT NULL, PRIMARY KEY (key, tx, pos));
    INSERT INTO ${s}.strata_tags (key, tx, pos) SELECT kk.key, '2', kk.last_seq FROM ${s}.strata_keys kk;
    DROP TABLE ${s}.strata_keys;

    -- The first transaction of an append: lock, check, insert. Returns { tx, until, slots }, a slot per
    -- batch: { first, last } (its positions in the transaction), { empty: pos so far },
    -- { conflict: {...} } or { broken: { key, tx, pos } }; until: the newest transaction whose events
    -- the answer names. Callable on its own (BEGIN; SELECT strata_write(...); COMMIT): its events are
    -- then published by the next append.
    CREATE FUNCTION ${s}.strata_write(${PARAMS}) RETURNS json
    ${PLPGSQL} AS $fn$
    DECLARE
      v_tx xid8;
      v_until xid8;
      v_pos bigint := 0;
      v_slots json[] := '{}';
      v_lo integer := 1;
      v_n integer;
      v_ctx xid8;
      v_cpos bigint;
      v_broken json;
      v_broken_any boolean := false;
      v_conflict json;
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
          -- Each key's last event (as a stream or as a tag), then the earliest of those after the position.
          SELECT json_build_object('key', q.key, 'tx', q.tx, 'pos', q.pos) INTO v_broken
          FROM (
            SELECT c.key, l.tx, l.pos FROM unnest(p_condition_batches, p_condition_keys) AS c(b, key),
              LATERAL (SELECT * FROM ${lastAsStream("c.key")} ls UNION ALL SELECT * FROM ${lastAsTag("c.key")} lt
                       ORDER BY 1 DESC, 2 DESC LIMIT 1) l
            WHERE c.b = v_b
          ) q
          WHERE (q.tx, q.pos) > (v_ctx, v_cpos)
          ORDER BY q.tx, q.pos LIMIT 1;
          IF v_broken IS NOT NULL THEN
            v_slots := v_slots || json_build_object('broken', v_broken);
            v_broken_any := true;
            v_until := greatest(v_until, (v_broken->>'tx')::xid8);
            v_lo := v_lo + v_n;
            CONTINUE;
          END IF;
        END IF;
        IF v_b = ANY (p_expected_batches) THEN
          -- A stream's version: its published version and its committed events not published yet.
          SELECT json_build_object('streamId', x.stream, 'expected', x.want, 'actual', x.actual) INTO v_conflict
          FROM (
            SELECT t.stream, t.want, t.ord,
                   coalesce((SELECT sc.last_version FROM ${s}.strata_stream_commits sc
                             WHERE sc.stream_id = t.stream ORDER BY sc.last_version DESC LIMIT 1), 0)
                   + (SELECT count(*) FROM ${s}.strata_events e WHERE e.stream_id = t.stream AND e.tx > h.last_tx)
                   AS actual
            FROM unnest(p_expected_batches, p_expected_streams, p_expected_versions) WITH ORDINALITY AS t(b, stream, want, ord),
                 ${s}.strata_head h
            WHERE t.b = v_b AND h.id = 1
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
          v_until := greatest(v_until, v_tx);
        END IF;
        INSERT INTO ${s}.strata_events (tx, pos, stream_id, type, schema_version, recorded_at, data, tags)
        SELECT v_tx, v_pos + t.ord, t.stream_id, t.type, t.schema_version, t.recorded_at, t.data,
               CASE WHEN t.tags IS NOT NULL THEN ARRAY(SELECT json_array_elements_text(t.tags)) END
        FROM unnest(p_streams[v_lo:v_lo + v_n - 1], p_types[v_lo:v_lo + v_n - 1],
                    p_schema_versions[v_lo:v_lo + v_n - 1], p_recorded_at[v_lo:v_lo + v_n - 1],
                    p_data[v_lo:v_lo + v_n - 1], p_tags[v_lo:v_lo + v_n - 1])
             WITH ORDINALITY AS t(stream_id, type, schema_version, recorded_at, data, tags, ord);
        IF array_remove(p_tags[v_lo:v_lo + v_n - 1]::text[], NULL) <> '{}' THEN
          INSERT INTO ${s}.strata_tags (key, tx, pos)
          SELECT g.key, v_tx, max(v_pos + t.ord)
          FROM unnest(p_tags[v_lo:v_lo + v_n - 1]) WITH ORDINALITY AS t(tags, ord),
               json_array_elements_text(t.tags) AS g(key)
          GROUP BY g.key;
        END IF;
        v_slots := v_slots || json_build_object('first', v_pos + 1, 'last', v_pos + v_n);
        v_pos := v_pos + v_n;
        v_lo := v_lo + v_n;
      END LOOP;
      RETURN json_build_object('tx', v_tx, 'until', v_until, 'slots', array_to_json(v_slots),
                               'broken', CASE WHEN v_broken_any THEN true END);
    END
    $fn$;

${publicationFunctions(s)}
    -- An append: strata_write, committed without waiting for the flush, then strata_place.
    CREATE PROCEDURE ${s}.strata_append(${PARAMS}, p_channel text, INOUT p_result json DEFAULT NULL)
    LANGUAGE plpgsql AS $fn$
    DECLARE
      v_w json;
    BEGIN
      PERFORM set_config('synchronous_commit', 'off', true);
      v_w := ${s}.strata_write(${ARGS});
      COMMIT;
      BEGIN
        p_result := ${s}.strata_place(v_w, p_channel);
      EXCEPTION WHEN OTHERS OR query_canceled THEN
        RAISE EXCEPTION 'the append was committed (transaction %), but it could not be given its place in the log: %', v_w->>'tx', SQLERRM
          USING ERRCODE = 'SX500';
      END;
    END
    $fn$;
  `;
}

/**
 * Version 7: `strata_publish` and `strata_place` again, with the publisher's lock naming the log. In
 * version 6 a publisher of any log of the cluster held one key per xid, so settling an append skipped a
 * publisher of another schema still committing, whose xid held the snapshot's xmin below the append's
 * transaction; the publication that followed could not reach it, and the append was answered with no
 * seq (its events published by the next append). Now such a transaction is waited for, and a publisher
 * publishes until its own transaction is published.
 */
export function publicationFunctions(s: string): string {
  const k = lockKeys(s);
  return `
    -- Publishes every final transaction after the last published one, then notifies (the caller
    -- holds the publication locks).
    CREATE OR REPLACE FUNCTION ${s}.strata_publish(p_channel text) RETURNS void
    ${PLPGSQL} AS $fn$
    DECLARE
      v_last bigint;
    BEGIN
      PERFORM pg_advisory_xact_lock(${k.publisher("pg_current_xact_id()")});
      WITH h AS (
        SELECT hh.last_seq, hh.last_tx FROM ${s}.strata_head hh WHERE hh.id = 1
      ), st AS (
        -- The final transactions not published yet: one range of the (tx, pos) index.
        SELECT e.tx, e.stream_id, count(*) AS n, max(e.pos) AS last_pos FROM ${s}.strata_events e, h
        WHERE e.tx > h.last_tx AND e.tx < pg_snapshot_xmin(pg_current_snapshot())
        GROUP BY e.tx, e.stream_id
      ), t AS (
        SELECT st.tx, sum(st.n) AS n FROM st GROUP BY st.tx
      ), numbered AS (
        SELECT t.tx, t.n, h.last_seq + sum(t.n) OVER (ORDER BY t.tx) AS last FROM t, h
      ), versioned AS (
        SELECT st.stream_id, st.tx, st.n, st.last_pos,
               coalesce(prev.v, 0) + sum(st.n) OVER (PARTITION BY st.stream_id ORDER BY st.tx) AS last
        FROM st LEFT JOIN LATERAL (
          SELECT sc.last_version AS v FROM ${s}.strata_stream_commits sc
          WHERE sc.stream_id = st.stream_id ORDER BY sc.last_version DESC LIMIT 1
        ) prev ON true
      ), ins AS (
        INSERT INTO ${s}.strata_commits (tx, first_seq, last_seq, versions)
        SELECT nn.tx, nn.last - nn.n + 1, nn.last,
               (SELECT json_object_agg(vv.stream_id, vv.last - vv.n + 1) FROM versioned vv WHERE vv.tx = nn.tx)
        FROM numbered nn
        RETURNING tx, last_seq
      ), sins AS (
        INSERT INTO ${s}.strata_stream_commits (stream_id, tx, first_version, last_version, last_pos)
        SELECT vv.stream_id, vv.tx, vv.last - vv.n + 1, vv.last, vv.last_pos FROM versioned vv
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

    -- After strata_write committed: waits until its transaction (and that of each broken condition's
    -- event) is final, has it published, and answers { base (the seq of its first event), versions (the
    -- version of its first event in each stream), head, slots, broken (the seq of each broken
    -- condition's event, in slot order) }.
    CREATE OR REPLACE FUNCTION ${s}.strata_place(p_written json, p_channel text) RETURNS json
    ${PLPGSQL} AS $fn$
    DECLARE
      v_tx xid8 := (p_written->>'tx')::xid8;
      v_until xid8 := (p_written->>'until')::xid8;
      v_u xid8;
      v_skip xid8 := '0';
      v_publisher boolean;
      v_nap float8 := 0.0005;
    BEGIN
      IF v_until IS NOT NULL THEN
        -- Settle: wait until no transaction older than v_until is in progress. A publisher (it writes
        -- no event) is not waited for. An appender holds its xid's lock until it ends; another
        -- transaction (a writer of some other table, in any database of the cluster) does not, and is
        -- polled. Locks are only waited on, never held: an appender that has its xid but has not locked
        -- it yet must still be able to.
        LOOP
          SELECT min(x) INTO v_u FROM pg_snapshot_xip(pg_current_snapshot()) AS x WHERE x < v_until AND x > v_skip;
          EXIT WHEN v_u IS NULL;
          ${waitOnly(`v_publisher := NOT pg_try_advisory_xact_lock_shared(${k.publisher("v_u")});
          IF NOT v_publisher THEN PERFORM pg_advisory_xact_lock_shared(${XID_LOCK("v_u")}); END IF;`)}
          IF v_publisher THEN
            v_skip := v_u;
          ELSIF pg_xact_status(v_u) = 'in progress' THEN
            PERFORM pg_sleep(v_nap);
            v_nap := least(v_nap * 2, 0.05);
          END IF;
        END LOOP;
        -- Publish, as a WAL group commit: whoever finds no publication in progress publishes everything
        -- final; the others wait for it to end, all together, and look again. The publisher holds two
        -- locks: "publish", only ever tried (so waiters never stand in its way), and "publishing", which
        -- the waiters only wait on.
        -- A publisher publishes until v_until is published, so the answer always has its seqs: once the
        -- settle is over and the publish lock is held, every older transaction has ended and one pass
        -- does it; should one not have, it looks again after a pause rather than answer without them.
        LOOP
          EXIT WHEN (SELECT h.last_tx FROM ${s}.strata_head h WHERE h.id = 1) >= v_until;
          IF pg_try_advisory_xact_lock(${k.publish}) THEN
            PERFORM pg_advisory_xact_lock(${k.publishing});
            PERFORM ${s}.strata_publish(p_channel);
            IF (SELECT h.last_tx FROM ${s}.strata_head h WHERE h.id = 1) < v_until THEN
              PERFORM pg_sleep(v_nap);
              v_nap := least(v_nap * 2, 0.05);
            END IF;
            CONTINUE;
          END IF;
          ${waitOnly(`PERFORM pg_advisory_xact_lock_shared(${k.publishing});`)}
        END LOOP;
      END IF;
      RETURN (
        SELECT json_build_object(
          'base', c.first_seq, 'versions', c.versions, 'head', h.last_seq, 'slots', p_written->'slots',
          'broken', CASE WHEN p_written->'broken' IS NOT NULL THEN (
            SELECT json_agg(bc.first_seq + (x.sl->'broken'->>'pos')::bigint - 1 ORDER BY x.i)
            FROM json_array_elements(p_written->'slots') WITH ORDINALITY AS x(sl, i)
            JOIN ${s}.strata_commits bc ON bc.tx = (x.sl->'broken'->>'tx')::xid8) END)
        FROM ${s}.strata_head h LEFT JOIN ${s}.strata_commits c ON c.tx = v_tx
        WHERE h.id = 1
      );
    END
    $fn$;

  `;
}
