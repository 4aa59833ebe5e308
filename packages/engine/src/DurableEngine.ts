/**
 * The engine over a durable log: what an application embeds, what `strata` and `strata serve` run.
 *
 * `execute(command)`:
 * 1. catches up with what other writers (processes, hosts) appended since it last looked;
 * 2. plans the command on that state (`plan` in @strata/core): the timers due first, then the command,
 *    as one batch, with the keys the decision read;
 * 3. makes the blobs the batch names durable (`blobs.sync()`), then appends the batch on the condition
 *    that no event after the position it planned at changed a key the decision read;
 * 4. only then moves its state, and answers with everything it appended.
 * If the condition does not hold (another writer took the name, removed the image, started the
 * container...), nothing was appended: it catches up and plans again, so the answer is the one the
 * command gets on the log as it now is (Docker's conflict when the name is taken). An append that
 * fails leaves the state as it was. Commands of one engine run one at a time.
 *
 * Time: with the system clock, a timer fires what is due (a stop's SIGKILL, a restart's backoff, a
 * delayed removal) at its deadline while the engine is open, so `wait` resolves on time; a timer whose
 * append fails tries again after a delay that doubles each time (100 ms to 30 s). An engine opened with
 * `follow` also folds in what others append as they append it.
 *
 * Read-only (`readOnly`, or a log opened read-only): the engine only reads. It never appends: `execute`
 * and `snapshot` refuse with `ReadOnly`, and timers fire nothing (what falls due is left to a writer).
 */
import {
  applyProjected,
  type Clock,
  type Command,
  ConflictError,
  type EngineState,
  type EventEnvelope,
  earliestDeadline,
  fillIds,
  type IdSource,
  initialState,
  NotFoundError,
  type Plan,
  type PlannedEvent,
  type ProjectedState,
  type Projection,
  parseEvent,
  plan,
  randomIds,
  StrataError,
  startWait,
  systemClock,
  type WaitCondition,
  type WaitResult,
} from "@strata/core";
import {
  type BlobStore,
  blobsNamedBy,
  type FsState,
  fsProjection,
  initialFsState,
  type UnionView,
} from "@strata/fs";
import {
  AppendConditionError,
  type EventLog,
  type NewStoredEvent,
  type SnapshotStorage,
  type StoredEvent,
  StoreError,
  type Subscription,
} from "@strata/store";
import { EngineMoment } from "./EngineMoment.js";
import {
  decodeEngineSnapshot,
  ENGINE_SNAPSHOT_KIND,
  encodeEngineSnapshot,
  eventFingerprint,
} from "./engineSnapshot.js";
import { ReplicatedBlobStore } from "./ReplicatedBlobStore.js";

export interface DurableEngineOptions {
  /** The durable log (memory, file, PostgreSQL: any `EventLog`). */
  readonly log: EventLog;
  /** Where file contents live; durable before the events naming them are appended. */
  readonly blobs: BlobStore;
  /** Where snapshots are kept (none: every open replays the whole log). */
  readonly snapshots?: SnapshotStorage | null;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Default: random ids. */
  readonly ids?: IdSource;
  /** Fire due timers at their deadline in real time (default: with the system clock, unless read-only). */
  readonly timers?: boolean;
  /**
   * Only read: never append (see the class comment). Default: whether the log was opened read-only
   * (`log.readOnly`).
   */
  readonly readOnly?: boolean;
  /** Fold in what other writers append as they append it (default: only while a `wait` waits). */
  readonly follow?: boolean;
  /** Give up after this many conflicting attempts (default 25). */
  readonly maxAttempts?: number;
  /**
   * Save a snapshot after this many events since the last one (default 10,000; 0: only on demand).
   * Saving is skipped for a log opened read-only (`saveSnapshots: false`).
   */
  readonly snapshotEvery?: number;
  /** Save snapshots at all (default: when `snapshots` is given). */
  readonly saveSnapshots?: boolean;
  /** Told how far the replay of the log has got, on open (for a progress bar). */
  readonly onReplay?: (done: number, total: number) => void;
  /** Told what went wrong that did not stop the engine (a snapshot skipped, a timer that failed). */
  readonly onWarning?: (message: string) => void;
}

/**
 * What `execute` answers: the shape of core's `CommandResult`, with everything appended (the timers due
 * included, even when the command was refused) and how many times it was planned.
 * - `accepted` (`ok`): its events were appended;
 * - `refused`: none of the command's were (the timers due may still have fired), `error` says why;
 * - `failed`: it failed part-way, its events were appended, and `error` says what failed.
 */
export type ExecuteResult =
  | (ExecuteCommon & { readonly ok: true; readonly outcome: "accepted"; readonly error?: undefined })
  | (ExecuteCommon & {
      readonly ok: false;
      readonly outcome: "refused" | "failed";
      readonly error: StrataError;
    });

interface ExecuteCommon {
  /** The command as decided (ids filled). */
  readonly command: Command;
  /** Everything appended, in order, timers included. */
  readonly events: readonly EventEnvelope[];
  /** How many times it was planned (more than 1: other writers got in first). */
  readonly attempts: number;
}

const READ_CHUNK = 10_000;

export class DurableEngine {
  readonly log: EventLog;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly #ids: IdSource;
  readonly #projection: Projection<FsState>;
  readonly #maxAttempts: number;
  readonly #timers: boolean;
  readonly #warn: (message: string) => void;
  readonly #snapshots: SnapshotStorage | null;
  readonly #snapshotEvery: number;
  readonly #saveSnapshots: boolean;
  readonly #readOnly: boolean;
  /** Timer appends that failed in a row: the next try waits `timerRetryDelay` of it. */
  #timerFailures = 0;
  /** The position of the newest snapshot saved or opened from (0: none). */
  #snapshotAt = 0;
  #states: ProjectedState<FsState> = { core: initialState(), projection: initialFsState() };
  #queue: Promise<unknown> = Promise.resolve();
  /** A catch-up queued and not started yet, which later callers join (see `catchUp`). */
  #waitingCatchUp: Promise<number> | null = null;
  #listeners = new Set<(events: readonly EventEnvelope[]) => void>();
  #timer: ReturnType<typeof setTimeout> | null = null;
  #timerAt: number | null = null;
  #following: Subscription | null = null;
  /** Waits that need others' appends folded in as they come; `follow` keeps following with none. */
  #followers = 0;
  #alwaysFollow = false;
  #closed = false;

  private constructor(options: DurableEngineOptions) {
    this.log = options.log;
    this.blobs = options.blobs;
    this.clock = options.clock ?? systemClock;
    this.#ids = options.ids ?? randomIds;
    this.#projection = fsProjection({ blobs: this.blobs });
    this.#maxAttempts = options.maxAttempts ?? 25;
    this.#timers = options.timers ?? this.clock === systemClock;
    this.#warn = options.onWarning ?? (() => {});
    this.#snapshots = options.snapshots ?? null;
    this.#snapshotEvery = options.snapshotEvery ?? 10_000;
    this.#readOnly = options.readOnly ?? options.log.readOnly === true;
    this.#saveSnapshots = !this.#readOnly && (options.saveSnapshots ?? this.#snapshots !== null);
  }

  /**
   * Opens an engine on a durable log: replays it (each event checked against the catalogue; an error
   * names its seq) and starts the timers.
   *
   * @example
   * const engine = await DurableEngine.open({ log: await FileEventLog.open("data/events"), blobs: new DiskBlobStore("data/blobs") });
   */
  static async open(options: DurableEngineOptions): Promise<DurableEngine> {
    const engine = new DurableEngine(options);
    const total = await engine.log.lastSeq();
    await engine.#startFromSnapshot(total);
    await engine.#catchUp(options.onReplay ? (done) => options.onReplay?.(done, total) : undefined);
    options.onReplay?.(total, total);
    await engine.#maybeSnapshot();
    if (options.follow) {
      engine.#alwaysFollow = true;
      engine.#follow();
    }
    engine.#arm();
    return engine;
  }

  /**
   * The lifecycle state now (frozen): as of the last event this engine folded in. Others' appends are
   * folded in by `execute`, `catchUp()`, async reads, and continuously with `follow`.
   */
  get state(): EngineState {
    return this.#states.core;
  }

  /** The fs projection now: layer trees and union views. */
  get projected(): FsState {
    return this.#states.projection;
  }

  /** The seq of the last event folded in. */
  get seq(): number {
    return this.#states.core.seq;
  }

  /** The states now, with their views. */
  now(): EngineMoment {
    return new EngineMoment(this.#states.core, this.#states.projection, this.blobs);
  }

  /** The union view of an image or container now. */
  view(ref: string): UnionView {
    return this.now().view(ref);
  }

  /**
   * The states as they were right after event `seq` (0: before the first), read from the log; a seq
   * the log does not have is a `NotFoundError`.
   */
  async at(seq: number): Promise<EngineMoment> {
    const last = await this.log.lastSeq();
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > last)
      throw new NotFoundError(
        "no-such-event",
        `No such event: ${seq} (the log has events 1 to ${last}; 0 is before the first)`,
      );
    if (seq === this.seq) return this.now();
    let states: ProjectedState<FsState> = { core: initialState(), projection: initialFsState() };
    for (let from = 1; from <= seq; from += READ_CHUNK) {
      const events = (await this.log.read(from, Math.min(READ_CHUNK, seq - from + 1))).map(toEnvelope);
      await this.#fetchBlobs(events);
      states = applyProjected(this.#projection, states, events);
    }
    return new EngineMoment(states.core, states.projection, this.blobs);
  }

  /**
   * A file's bytes, now (after catching up with other writers) or at a past seq, fetched from beside the
   * log if this host lacks them.
   */
  async readFile(ref: string, path: string, options: { at?: number } = {}): Promise<Uint8Array> {
    if (options.at === undefined) await this.catchUp();
    const moment = options.at === undefined ? this.now() : await this.at(options.at);
    const view = moment.view(ref);
    const digest = view.stat(path).digest;
    if (digest && this.blobs instanceof ReplicatedBlobStore) await this.blobs.fetch([digest]);
    return view.readFile(path);
  }

  /**
   * Runs a command (see the class comment): catches up, plans, appends on the condition that what the
   * decision read did not change, and answers with everything appended.
   *
   * @example
   * const r = await engine.execute({ type: "container.create", image: "base:1", name: "web" });
   * if (!r.ok) console.error(r.error?.message);
   */
  execute(command: Command): Promise<ExecuteResult> {
    if (this.#readOnly) return Promise.reject(this.#readOnlyError("execute commands"));
    return this.#serially(() => this.#execute(command));
  }

  /**
   * Fires the timers due now (the real-time driver does this on its own); read-only, fires nothing and
   * answers [].
   */
  async tick(): Promise<readonly EventEnvelope[]> {
    if (this.#readOnly) return [];
    return (await this.#serially(() => this.#execute(null))).events;
  }

  /** Whether the engine only reads (see the class comment). */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /**
   * Folds in what other writers appended since the engine last looked; returns how many events.
   * Callers that ask while a catch-up is waiting its turn share it: it reads the log after all of them
   * asked, which is all each needs (sixteen readers at once cost one read of the log, not sixteen).
   */
  catchUp(): Promise<number> {
    if (this.#waitingCatchUp) return this.#waitingCatchUp;
    const run = this.#serially(() => {
      this.#waitingCatchUp = null;
      return this.#catchUp();
    });
    this.#waitingCatchUp = run;
    const settled = () => {
      if (this.#waitingCatchUp === run) this.#waitingCatchUp = null;
    };
    run.then(settled, settled);
    return run;
  }

  /** Calls `listener` with every batch of events the engine folds in (its own and others'). */
  onEvents(listener: (events: readonly EventEnvelope[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Docker's `wait`: resolves with the exit code when `condition` holds — at once, or when an event
   * folded in (this engine's, its timers', or another writer's) wakes it.
   */
  async wait(ref: string, condition: WaitCondition = "not-running"): Promise<WaitResult> {
    await this.catchUp();
    const start = startWait(this.state, ref, condition);
    if ("done" in start) return start.done;
    this.#followers += 1;
    this.#follow();
    try {
      return await new Promise<WaitResult>((resolve) => {
        const off = this.onEvents((batch) => {
          for (const e of batch) {
            const done = start.watch(e);
            if (done) {
              off();
              resolve(done);
              return;
            }
          }
        });
      });
    } finally {
      this.#followers -= 1;
      this.#unfollow();
    }
  }

  /**
   * Saves a snapshot of the states now (the lifecycle state and the fs projection, at the engine's
   * position), so the next open replays only what comes after. Returns its position (null: no store).
   */
  snapshot(): Promise<number | null> {
    if (this.#readOnly) return Promise.reject(this.#readOnlyError("save snapshots"));
    return this.#serially(() => this.#saveSnapshot());
  }

  /** Stops the timers and the following, waits for the command in progress, and closes the log. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#queue.catch(() => {});
    await this.#following?.close();
    this.#following = null;
    await this.log.close();
  }

  // --- inside ---

  /** Runs `f` after every earlier command of this engine. */
  #serially<T>(f: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      if (this.#closed) throw new StrataError("Closed", 503, "engine-closed", "the engine is closed");
      return f();
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async #execute(command: Command | null): Promise<ExecuteResult> {
    const filled = command === null ? null : fillIds(command, this.#ids);
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      await this.#catchUp();
      const p = plan(this.#projection, this.#states, filled, this.clock.now());
      if (p.events.length === 0) return answer(p, [], attempt, filled);
      await this.blobs.sync?.();
      const after = this.seq;
      let appended: { firstSeq: number; lastSeq: number };
      try {
        appended = await this.log.append(p.events.map(toStored), { condition: { after, keys: p.reads } });
      } catch (e) {
        if (e instanceof AppendConditionError) continue; // another writer changed what we read
        throw e;
      }
      const stored = p.events.map((e, i) => ({ ...e.event, seq: appended.firstSeq + i }) as EventEnvelope);
      if (appended.firstSeq === after + 1) {
        this.#states = p.after;
        this.#emit(stored);
      } else {
        // Others appended in between (nothing we read): fold their events and ours, in log order.
        await this.#catchUp();
      }
      this.#arm();
      await this.#maybeSnapshot();
      return answer(p, stored, attempt, filled);
    }
    throw new ConflictError(
      "too-many-conflicts",
      `gave up after ${this.#maxAttempts} attempts: other writers kept changing what this command depends on`,
    );
  }

  async #catchUp(onProgress?: (done: number) => void): Promise<number> {
    let folded = 0;
    for (;;) {
      const stored = await this.log.read(this.seq + 1, READ_CHUNK);
      if (stored.length === 0) break;
      const events = stored.map(toEnvelope);
      await this.#fetchBlobs(events);
      this.#states = applyProjected(this.#projection, this.#states, events);
      folded += events.length;
      this.#emit(events);
      onProgress?.(this.seq);
    }
    if (folded > 0) this.#arm();
    return folded;
  }

  /**
   * Starts from the newest snapshot at or before `last` that is valid for this log: a damaged one, one
   * of another layout, or one taken from another history (the event at its position differs) is skipped
   * with a warning and the next older one tried; with none, the engine starts from the empty state.
   */
  async #startFromSnapshot(last: number): Promise<void> {
    if (!this.#snapshots || last === 0) return;
    let max = last;
    while (max > 0) {
      const loaded = await this.#snapshots.load<unknown>(ENGINE_SNAPSHOT_KIND, max);
      for (const s of loaded.skipped) this.#warn(`snapshot ${s.file} skipped: ${s.reason}`);
      const snapshot = loaded.snapshot;
      if (!snapshot) return;
      try {
        const decoded = decodeEngineSnapshot(snapshot.state, snapshot.position);
        const [at] = await this.log.read(snapshot.position, 1);
        if (!at || at.seq !== snapshot.position || eventFingerprint(at) !== decoded.event)
          throw new Error(
            "the log's event at its position is not the one it was taken after (another history)",
          );
        this.#states = { core: decoded.core, projection: decoded.fs };
        this.#snapshotAt = snapshot.position;
        return;
      } catch (e) {
        this.#warn(`snapshot at position ${snapshot.position} skipped: ${(e as Error).message}`);
        max = snapshot.position - 1;
      }
    }
  }

  async #maybeSnapshot(): Promise<void> {
    if (!this.#saveSnapshots || this.#snapshotEvery <= 0) return;
    if (this.seq - this.#snapshotAt < this.#snapshotEvery) return;
    try {
      await this.#saveSnapshot();
    } catch (e) {
      this.#warn(`a snapshot could not be saved: ${(e as Error).message}`);
    }
  }

  async #saveSnapshot(): Promise<number | null> {
    if (!this.#snapshots || this.seq === 0) return null;
    const [last] = await this.log.read(this.seq, 1);
    if (!last) return null;
    await this.#snapshots.save({
      position: this.seq,
      kind: ENGINE_SNAPSHOT_KIND,
      state: encodeEngineSnapshot(this.#states.core, this.#states.projection, last),
    });
    this.#snapshotAt = this.seq;
    return this.seq;
  }

  async #fetchBlobs(events: readonly EventEnvelope[]): Promise<void> {
    if (this.blobs instanceof ReplicatedBlobStore) await this.blobs.fetch(events.flatMap(blobsNamedBy));
  }

  #emit(events: readonly EventEnvelope[]): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(events);
      } catch (e) {
        this.#warn(`an event listener failed: ${(e as Error).message}`);
      }
    }
  }

  #readOnlyError(what: string): StoreError {
    return new StoreError("ReadOnly", `this engine was opened read-only: it does not ${what}`);
  }

  /**
   * Sets the real-time timer for the earliest deadline (if the engine runs timers), or later after
   * failed tries (`timerRetryDelay`), so a log that refuses appends is not asked again at once.
   */
  #arm(): void {
    if (!this.#timers || this.#readOnly || this.#closed) return;
    const at = earliestDeadline(this.state);
    if (at === this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = at;
    if (at === null) return;
    const delay = Math.max(at - this.clock.now(), timerRetryDelay(this.#timerFailures));
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = null;
        this.tick().then(
          () => {
            this.#timerFailures = 0;
            this.#arm();
          },
          (e: unknown) => {
            this.#timerFailures += 1;
            if (!this.#closed)
              this.#warn(
                `a timer could not fire: ${(e as Error).message} (trying again in ${timerRetryDelay(this.#timerFailures)} ms)`,
              );
            this.#arm();
          },
        );
      },
      Math.max(0, Math.min(delay, 2 ** 31 - 1)),
    );
  }

  /** Folds in others' appends as they are appended. */
  #follow(): void {
    if (this.#following || this.#closed) return;
    // A delivery that races close() has nothing left to fold: it ends quietly instead of rejecting.
    this.#following = this.log.subscribe(this.seq + 1, () =>
      this.#closed
        ? Promise.resolve()
        : this.catchUp().then(
            () => {},
            (e: unknown) => {
              if (!this.#closed) throw e;
            },
          ),
    );
  }

  #unfollow(): void {
    // Followed for waits only: stop when none is left.
    if (this.#alwaysFollow || this.#followers > 0 || !this.#following) return;
    const sub = this.#following;
    this.#following = null;
    void sub.close();
  }
}

/** How long a timer waits after `failures` failed tries in a row: 0, then 100 ms doubling to 30 s. */
function timerRetryDelay(failures: number): number {
  return failures === 0 ? 0 : Math.min(100 * 2 ** (failures - 1), 30_000);
}

function answer(
  p: Plan<FsState>,
  events: readonly EventEnvelope[],
  attempts: number,
  command: Command | null,
): ExecuteResult {
  const common = { command: (p.command ?? command) as Command, events, attempts };
  if (p.outcome === "accepted" || p.error === null) return { ...common, ok: true, outcome: "accepted" };
  return { ...common, ok: false, outcome: p.outcome, error: p.error };
}

function toStored(e: PlannedEvent): NewStoredEvent {
  const { streamId, schemaVersion, recordedAt, type, data } = e.event;
  return { streamId, type, schemaVersion, recordedAt, data, ...(e.tags.length > 0 ? { tags: e.tags } : {}) };
}

function toEnvelope(e: StoredEvent): EventEnvelope {
  return parseEvent(e, `seq ${e.seq}`);
}
