/**
 * The live engine: a log, the state folded from it, and the injected clock and id source.
 *
 * `execute(command)`: first fires whatever is due at the clock's time (`tick`), fills the ids the
 * command needs from the id source, `decide`s, appends the events to the log and `evolve`s the state.
 * The state is always exactly `replay(log.read())`. A command has one of three outcomes
 * ({@link CommandResult}, `outcome`):
 * - `accepted` (`ok: true`): its events were appended;
 * - `refused` (`ok: false`): nothing was appended, `error` says why. Every refusal is this one;
 * - `failed` (`ok: false`, with `events`): the command ran, failed part-way, and its events **were
 *   appended** before the error is reported. Docker answers this way when a removal fails (the
 *   container is recorded `dead`, the `rm` answers 500) or the runtime refuses a start (the exit code
 *   127/126/128 is recorded, the `start` answers 400/500), and a filesystem call fails after it
 *   changed the layer (a projection's `refine` says so). A wrapper that appends the events itself
 *   (a durable log) must append these events and still report the failure.
 */
import type { Clock, IdSource } from "../clock.js";
import { type Command, commandProblem } from "../commands/commands.js";
import { StrataError } from "../errors.js";
import type { ImageStore } from "../events/daemonEvents.js";
import type { EventEnvelope, NewEvent } from "../events/envelope.js";
import { InMemoryEventLog } from "../log/InMemoryEventLog.js";
import { decide, decideTick, nextDeadline } from "./decide.js";
import { type EngineState, imageStoreOf } from "./EngineState.js";
import { fillIds } from "./fillIds.js";
import { type Projection, refinedOutcome, runtimeOf } from "./Projection.js";
import { applyProjected, replayProjected } from "./replay.js";
import { startWait, type WaitCondition, type WaitResult } from "./wait.js";

/**
 * The outcome of {@link Engine.execute}: `accepted` (events appended), `refused` (nothing appended) or
 * `failed` (events appended **and** an error: the command failed part-way, see the class comment).
 * `ok` is true only for `accepted`.
 */
export type CommandResult =
  | {
      readonly ok: true;
      readonly outcome: "accepted";
      readonly command: Command;
      readonly events: readonly EventEnvelope[];
    }
  | {
      readonly ok: false;
      readonly outcome: "refused";
      readonly command: Command;
      readonly error: StrataError;
    }
  | {
      readonly ok: false;
      readonly outcome: "failed";
      readonly command: Command;
      readonly error: StrataError;
      /** What happened before the failure; already appended to the log. */
      readonly events: readonly EventEnvelope[];
    };

export interface EngineOptions<S = undefined> {
  readonly clock: Clock;
  readonly ids: IdSource;
  /** The log to use (default: a new in-memory log). Existing events are replayed on construction. */
  readonly log?: InMemoryEventLog;
  /** A projection folded beside the engine's state (the fs package's union views, for example). */
  readonly projection?: Projection<S>;
  /**
   * Told how far the replay of the log's existing events has got, every 1,000 events and at the end
   * (for a progress bar; the replay itself is the same with or without it).
   */
  readonly onReplay?: (done: number, total: number) => void;
  /**
   * The image store (default `classic`, Docker's graphdriver store; `containerd` is Docker 29's default
   * on fresh installs). Recorded in the log (`daemon.configured`, appended by the constructor when the
   * log records another store), so a replay applies the same rules. Switching a log that has images to
   * the other store is refused: the constructor throws the `ConflictError`.
   */
  readonly imageStore?: ImageStore;
}

const MAX_TICK_STEPS = 100_000;

export class Engine<S = undefined> {
  readonly log: InMemoryEventLog;
  readonly #clock: Clock;
  readonly #ids: IdSource;
  readonly #projection: Projection<S> | undefined;
  #state: EngineState;
  #projected: S;

  constructor(options: EngineOptions<S>) {
    this.#clock = options.clock;
    this.#ids = options.ids;
    this.#projection = options.projection;
    this.log = options.log ?? new InMemoryEventLog();
    const events = this.log.read();
    const both = replayProjected(
      this.#projection,
      options.onReplay ? reporting(events, options.onReplay) : events,
    );
    this.#state = both.core;
    this.#projected = both.projection;
    if (options.imageStore !== undefined && options.imageStore !== imageStoreOf(this.#state)) {
      // Recorded like any command, but without firing the timers that are due (no `tick` here).
      const r = decide(
        this.#state,
        { type: "daemon.configure", imageStore: options.imageStore },
        this.#clock.now(),
      );
      if (r.outcome === "refused") throw r.error;
      this.#commit(r.events);
    }
  }

  /** The current state (frozen). */
  get state(): EngineState {
    return this.#state;
  }

  /** The projection's current state (undefined without a projection). */
  get projected(): S {
    return this.#projected;
  }

  /** The clock the engine reads. */
  get clock(): Clock {
    return this.#clock;
  }

  /** Fills the ids a command creates things with, from the id source. */
  prepare(command: Command): Command {
    return fillIds(command, this.#ids);
  }

  /**
   * Runs one command at the clock's current time.
   *
   * @example
   * const r = engine.execute({ type: "container.start", container: "web" });
   * if (!r.ok) console.error(r.error.message);
   */
  execute(command: Command): CommandResult {
    const invalid = commandProblem(command);
    if (invalid) return { ok: false, outcome: "refused", command, error: invalid };
    this.tick();
    const now = this.#clock.now();
    let prepared = this.prepare(command);
    const p = this.#projection;
    try {
      if (p?.prepare) prepared = p.prepare(this.#projected, this.#state, prepared);
      const result = decide(this.#state, prepared, now, runtimeOf(p, this.#projected, this.#state));
      if (result.outcome === "refused")
        return { ok: false, outcome: "refused", command: prepared, error: result.error };
      const { events, error } = refinedOutcome(
        p?.refine ? p.refine(this.#projected, this.#state, prepared, result.events, now) : result.events,
      );
      const failure = result.outcome === "failed" ? result.error : error;
      if (failure !== null)
        return {
          ok: false,
          outcome: "failed",
          command: prepared,
          error: failure,
          events: this.#commit(events),
        };
      return { ok: true, outcome: "accepted", command: prepared, events: this.#commit(events) };
    } catch (e) {
      if (e instanceof StrataError) return { ok: false, outcome: "refused", command: prepared, error: e };
      throw e;
    }
  }

  /**
   * Fires everything due at or before the clock's time, in deadline order, each at its own deadline
   * (a stop's SIGKILL, a policy restart, a delayed removal). Returns the events appended.
   */
  tick(): readonly EventEnvelope[] {
    const now = this.#clock.now();
    const appended: EventEnvelope[] = [];
    for (let step = 0; step < MAX_TICK_STEPS; step++) {
      let due: { id: string; at: number } | null = null;
      for (const [id, record] of Object.entries(this.#state.containers)) {
        const at = nextDeadline(record);
        if (at !== null && at <= now && (due === null || at < due.at)) due = { id, at };
      }
      if (due === null) return appended;
      const runtime = runtimeOf(this.#projection, this.#projected, this.#state);
      const events = decideTick(this.#state, due.id, due.at, runtime);
      if (events.length === 0)
        throw new Error(`tick: container ${due.id} had a deadline at ${due.at} but nothing fired`);
      appended.push(...this.#commit(events));
    }
    throw new Error(`tick: more than ${MAX_TICK_STEPS} timer steps at ${now}`);
  }

  /**
   * Docker's `wait`: resolves with the container's exit code when `condition` is met.
   * - `not-running`: at once for a container that is not running (its stored exit code), else at the
   *   next time its waiters are woken: PID 1 exits (also when a restart policy restarts it), a pending
   *   restart is cancelled, or the container is removed;
   * - `next-exit`: always the next of those;
   * - `removed`: when the container is gone (the exit code it died with); at once for a `dead` one.
   * A failed removal wakes every waiter with `error` set (Docker's 200 with `Error.Message`). An unknown
   * condition is a 400 `invalid condition: "x"`, checked before the container is looked up.
   */
  wait(ref: string, condition: WaitCondition = "not-running"): Promise<WaitResult> {
    let start: ReturnType<typeof startWait>;
    try {
      start = startWait(this.#state, ref, condition);
    } catch (e) {
      return Promise.reject(e);
    }
    if ("done" in start) return Promise.resolve(start.done);
    return new Promise((resolve) => {
      const unsubscribe = this.log.subscribe((batch) => {
        for (const e of batch) {
          const done = start.watch(e);
          if (done) {
            unsubscribe();
            resolve(done);
            return;
          }
        }
      });
    });
  }

  #commit(events: readonly NewEvent[]): readonly EventEnvelope[] {
    // Evolve first on a copy so a rejected event (a bug) leaves log and state untouched.
    const nextSeq = this.log.lastSeq;
    const preview = events.map((e, i) => ({ ...e, seq: nextSeq + i + 1 }) as EventEnvelope);
    const next = applyProjected(
      this.#projection,
      { core: this.#state, projection: this.#projected },
      preview,
    );
    const stored = this.log.append(events);
    this.#state = next.core;
    this.#projected = next.projection;
    return stored;
  }
}

/** `events`, telling `onReplay` every 1,000 events and after the last. */
function* reporting(
  events: readonly EventEnvelope[],
  onReplay: (done: number, total: number) => void,
): Generator<EventEnvelope> {
  for (const [i, e] of events.entries()) {
    yield e;
    if ((i + 1) % 1000 === 0 && i + 1 < events.length) onReplay(i + 1, events.length);
  }
  onReplay(events.length, events.length);
}
