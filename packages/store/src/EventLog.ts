/**
 * # The event log contract
 *
 * An `EventLog` is an append-only, totally ordered sequence of events, grouped in streams (a stream is
 * the events of one container, image or layer). Every backend (in memory, file, PostgreSQL) implements
 * this contract and runs the same conformance suite (`@strata/store/testsuite`).
 *
 * ## Guarantees
 * - **Order.** Every event gets a global position `seq`: 1, 2, 3… without gaps as seen by readers. A
 *   reader never sees seq n+1 before seq n.
 * - **Atomic batches.** `append` stores a whole batch or nothing. Its events get consecutive seqs.
 * - **Optimistic concurrency.** `append` takes the stream versions the caller expects (a stream's version
 *   is the number of its events; see {@link ExpectedVersion}). If any does not match, the append fails
 *   with `ExpectedVersionConflictError` and appends nothing. Two writers that expect the same version:
 *   exactly one wins.
 * - **Append conditions (consistency across streams).** An event has **keys**: its stream id and its
 *   `tags` (for example `name:web`, the container name it takes or frees). `append` may carry an
 *   {@link AppendCondition} `{ after, keys }`: "append only if no event stored after position `after`
 *   has any of these keys" — the facts the caller's decision read, as of the position it read them at
 *   (a Dynamic Consistency Boundary). If one has, the append fails with `AppendConditionError` and
 *   appends nothing; the caller catches up and decides again. Writers whose decisions read different
 *   keys never refuse each other; of two that read the same key, exactly one wins. The check and the
 *   append are one atomic step, across processes and hosts for the backends that have several writers.
 * - **Durability.** When `append` resolves, the events are durable for the backend's kind: in memory,
 *   until the process ends; on file, fsynced to disk; on PostgreSQL, committed.
 * - **Immutability.** A stored event never changes and is never removed.
 *
 * ## Errors
 * `ExpectedVersionConflictError` (nothing appended), `InvalidEventError` (a malformed event; nothing
 * appended), `EventTooLargeError` (an event over {@link MAX_EVENT_BYTES}; nothing appended),
 * `StorageError` (the operating system refused a write: no space, read-only, permissions; nothing
 * appended), `LogClosedError` (after `close`), backend errors such as `CorruptLogError` (file: damage in
 * the middle of the log, named by file, offset and seq) and `LogLockedError` (file: another process
 * writes the same log).
 *
 * ## Cost
 * - `append`: one durable write per group of concurrent appends (group commit), plus O(batch).
 * - `read(from, limit)`: O(events returned) after locating `from` (O(log n) segment search on file).
 * - `readStream`: O(stream length) with an index (memory, PostgreSQL); the file backend lists a stream's
 *   seqs from its in-memory index when first asked.
 * - `subscribe`: no polling loop; listeners are woken by the appends (in process) or by notifications
 *   (PostgreSQL LISTEN/NOTIFY).
 */

import { AppendConditionError, EventTooLargeError, InvalidEventError } from "./errors.js";

/** An event as the caller gives it to `append`: everything but its position. */
export interface NewStoredEvent<D = unknown> {
  readonly streamId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly recordedAt: number;
  readonly data: D;
  /**
   * More keys of the event beside its stream id, for append conditions (stored and given back as they
   * were; an event without tags has no `tags` field).
   */
  readonly tags?: readonly string[];
}

/** An event in the log. */
export interface StoredEvent<D = unknown> extends NewStoredEvent<D> {
  readonly seq: number;
}

/**
 * What a caller expects of a stream before appending to it:
 * - a number: the stream has exactly that many events (0: it does not exist yet);
 * - `"no-stream"`: the stream has no events;
 * - `"stream-exists"`: it has at least one;
 * - `"any"`: no check.
 */
export type ExpectedVersion = number | "no-stream" | "stream-exists" | "any";

/**
 * "Append only if no event stored after position `after` has any of `keys`" (an event's keys are its
 * stream id and its tags). `after` is the last seq the caller's decision had seen.
 */
export interface AppendCondition {
  readonly after: number;
  readonly keys: readonly string[];
}

/** What an append is conditional on (both may be given; each must hold). */
export interface AppendOptions {
  /** Stream versions the caller expects (streams not named are not checked). */
  readonly expected?: Readonly<Record<string, ExpectedVersion>>;
  readonly condition?: AppendCondition;
}

/** The keys of an event: its stream id, then its tags. */
export function keysOf(event: Pick<NewStoredEvent, "streamId" | "tags">): readonly string[] {
  return event.tags && event.tags.length > 0 ? [event.streamId, ...event.tags] : [event.streamId];
}

/**
 * The error for `condition`, if an event after its position has one of its keys (`lastSeqOf` gives a
 * key's last seq, 0 if none); null if it holds. Every backend with a key index checks this way.
 */
export function firstBreak(
  condition: AppendCondition | undefined,
  lastSeqOf: (key: string) => number,
): AppendConditionError | null {
  if (!condition) return null;
  let worst: { key: string; seq: number } | null = null;
  for (const key of condition.keys) {
    const seq = lastSeqOf(key);
    if (seq > condition.after && (worst === null || seq < worst.seq)) worst = { key, seq };
  }
  return worst ? new AppendConditionError(condition.after, worst.seq, worst.key) : null;
}

/** Whether a stream at `actual` events satisfies `expected`. */
export function matchesExpectedVersion(expected: ExpectedVersion, actual: number): boolean {
  if (expected === "any") return true;
  if (expected === "no-stream") return actual === 0;
  if (expected === "stream-exists") return actual > 0;
  return actual === expected;
}

/** What an append answers. */
export interface AppendResult {
  /** Seq of the first and last event appended (for an empty batch: the log's last seq and firstSeq = lastSeq + 1). */
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** The version of each stream written to, after the append. */
  readonly streamVersions: Readonly<Record<string, number>>;
}

/** A running subscription. */
export interface Subscription {
  /** Stops delivery; resolves once no more calls to the handler will start. */
  close(): Promise<void>;
}

/** Receives events in order, one batch at a time; the next batch waits for the returned promise. */
export type EventHandler = (events: readonly StoredEvent[]) => void | Promise<void>;

export interface EventLog {
  /** True when the log was opened read-only: appends refuse with `ReadOnly`, nothing is written. */
  readonly readOnly?: boolean;
  /** The seq of the last event (0 for an empty log). */
  lastSeq(): Promise<number>;
  /**
   * Appends a batch atomically, if `options` hold: `expected` maps stream ids to the versions they must
   * be at; `condition` says which keys must have no event after a position.
   */
  append(events: readonly NewStoredEvent[], options?: AppendOptions): Promise<AppendResult>;
  /** Events with seq ≥ `fromSeq` (default 1), in order, at most `limit` (default: all). */
  read(fromSeq?: number, limit?: number): Promise<StoredEvent[]>;
  /** The events of one stream, in order, from stream version `fromVersion` (1-based, default 1). */
  readStream(streamId: string, fromVersion?: number): Promise<StoredEvent[]>;
  /** The version of a stream (its number of events; 0 if it does not exist). */
  streamVersion(streamId: string): Promise<number>;
  /**
   * Delivers every event with seq ≥ `fromSeq` — those already stored, then new ones as they are
   * appended — in order, without gaps or repeats.
   */
  subscribe(fromSeq: number, handler: EventHandler): Subscription;
  /** Releases files, locks and connections. Further calls fail with `LogClosedError`. */
  close(): Promise<void>;
}

/**
 * The largest event every backend stores: the bytes of its data as JSON plus its stream id and type
 * (64 MiB less room for the record's own fields). A larger event is `EventTooLargeError`, before anything
 * is written.
 */
export const MAX_EVENT_BYTES = 64 * 1024 * 1024 - 64 * 1024;

/** The longest stream id, type or tag, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 4096;

/** The most tags one event may have. */
export const MAX_TAGS = 256;

const dataJsonCache = new WeakMap<object, string>();

/**
 * The JSON text of an event's data, as `validateBatch` computed it (so a backend that stores JSON does
 * not stringify the data twice).
 */
export function dataJsonOf(event: NewStoredEvent): string {
  const cached = dataJsonCache.get(event);
  if (cached !== undefined) return cached;
  return JSON.stringify(event.data) ?? "null";
}

/** The largest schema version (a 32-bit signed integer: what every backend can store). */
export const MAX_SCHEMA_VERSION = 2 ** 31 - 1;

/**
 * A stream id or type every backend stores and gives back exactly: not empty, no NUL (PostgreSQL text
 * cannot hold one), no lone surrogate (it would not survive UTF-8).
 */
function isName(value: unknown): value is string {
  return (
    typeof value === "string" &&
    value !== "" &&
    !value.includes("\u0000") &&
    !LONE_SURROGATE.test(value) &&
    Buffer.byteLength(value) <= MAX_NAME_BYTES
  );
}
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Checks an append's options: the error, or null. */
export function validateOptions(options: AppendOptions): InvalidEventError | null {
  const c = options.condition;
  if (c === undefined) return null;
  if (!Number.isSafeInteger(c.after) || c.after < 0)
    return new InvalidEventError(-1, "condition.after must be a seq (a whole number >= 0)");
  if (!Array.isArray(c.keys) || !c.keys.every(isName))
    return new InvalidEventError(-1, "condition.keys must be non-empty, well-formed strings");
  return null;
}

/**
 * Checks a batch's shape and size before it is stored: the first malformed or oversized event, as an
 * error, or null.
 */
export function validateBatch(
  events: readonly NewStoredEvent[],
): InvalidEventError | EventTooLargeError | null {
  for (const [i, e] of events.entries()) {
    if (!isName(e.streamId))
      return new InvalidEventError(
        i,
        `streamId must be a non-empty, well-formed string without NUL, at most ${MAX_NAME_BYTES} bytes`,
      );
    if (!isName(e.type))
      return new InvalidEventError(
        i,
        `type must be a non-empty, well-formed string without NUL, at most ${MAX_NAME_BYTES} bytes`,
      );
    if (
      !Number.isSafeInteger(e.schemaVersion) ||
      e.schemaVersion < 1 ||
      e.schemaVersion > MAX_SCHEMA_VERSION
    ) {
      return new InvalidEventError(i, `schemaVersion must be an integer from 1 to ${MAX_SCHEMA_VERSION}`);
    }
    if (!Number.isSafeInteger(e.recordedAt) || e.recordedAt < 0)
      return new InvalidEventError(i, "recordedAt must be an integer >= 0");
    if (e.tags !== undefined) {
      if (!Array.isArray(e.tags) || e.tags.length > MAX_TAGS || !e.tags.every(isName))
        return new InvalidEventError(
          i,
          `tags must be an array of at most ${MAX_TAGS} non-empty, well-formed strings without NUL, at most ${MAX_NAME_BYTES} bytes each`,
        );
    }
    const json = JSON.stringify(e.data) ?? "null";
    const tagChars = e.tags?.reduce((n, t) => n + t.length, 0) ?? 0;
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only a long text needs its bytes counted.
    if ((json.length + e.streamId.length + e.type.length + tagChars) * 3 > MAX_EVENT_BYTES) {
      const bytes =
        Buffer.byteLength(json) +
        Buffer.byteLength(e.streamId) +
        Buffer.byteLength(e.type) +
        (e.tags?.reduce((n, t) => n + Buffer.byteLength(t), 0) ?? 0);
      if (bytes > MAX_EVENT_BYTES) return new EventTooLargeError(i, bytes, MAX_EVENT_BYTES);
    }
    if (typeof e === "object" && e !== null) dataJsonCache.set(e, json);
  }
  return null;
}
