/**
 * The live engine: a log, the state folded from it, and the injected clock and id source.
 *
 * `execute(command)`: first fires whatever is due at the clock's time (`tick`), fills the ids the
 * command needs from the id source, `decide`s, appends the events to the log and `evolve`s the state.
 * A refused command appends nothing. The state is always exactly `replay(log.read())`.
 */
import type { Clock, IdSource } from "../clock.js";
import type { Command } from "../commands/commands.js";
import { NotFoundError, StrataError } from "../errors.js";
import type { EventEnvelope, NewEvent } from "../events/envelope.js";
import { InMemoryEventLog } from "../log/InMemoryEventLog.js";
import { decide, decideTick, nextDeadline } from "./decide.js";
import type { EngineState } from "./EngineState.js";
import type { Projection } from "./Projection.js";
import { applyProjected, replayProjected } from "./replay.js";
import { findContainer } from "./resolve.js";

/** The outcome of {@link Engine.execute}. */
export type CommandResult =
  | { readonly ok: true; readonly command: Command; readonly events: readonly EventEnvelope[] }
  | { readonly ok: false; readonly command: Command; readonly error: StrataError };

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
}

/** What `wait` waits for (Docker's `--condition`). */
export type WaitCondition = "not-running" | "next-exit" | "removed";

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
    switch (command.type) {
      case "container.create":
        return command.containerId ? command : { ...command, containerId: this.#ids.next("container") };
      case "container.exec":
        return command.execId ? command : { ...command, execId: this.#ids.next("exec") };
      case "container.commit":
        return {
          ...command,
          imageId: command.imageId ?? `sha256:${this.#ids.next("image")}`,
          layerId: command.layerId ?? `sha256:${this.#ids.next("layer")}`,
        };
      case "image.create":
        return command.imageId ? command : { ...command, imageId: `sha256:${this.#ids.next("image")}` };
      default:
        return command;
    }
  }

  /**
   * Runs one command at the clock's current time.
   *
   * @example
   * const r = engine.execute({ type: "container.start", container: "web" });
   * if (!r.ok) console.error(r.error.message);
   */
  execute(command: Command): CommandResult {
    this.tick();
    const now = this.#clock.now();
    let prepared = this.prepare(command);
    const p = this.#projection;
    try {
      if (p?.prepare) prepared = p.prepare(this.#projected, this.#state, prepared);
      const result = decide(this.#state, prepared, now);
      if (!result.ok) return { ok: false, command: prepared, error: result.error };
      const events = p?.refine
        ? p.refine(this.#projected, this.#state, prepared, result.events, now)
        : result.events;
      return { ok: true, command: prepared, events: this.#commit(events) };
    } catch (e) {
      if (e instanceof StrataError) return { ok: false, command: prepared, error: e };
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
      const events = decideTick(this.#state, due.id, due.at);
      if (events.length === 0)
        throw new Error(`tick: container ${due.id} had a deadline at ${due.at} but nothing fired`);
      appended.push(...this.#commit(events));
    }
    throw new Error(`tick: more than ${MAX_TICK_STEPS} timer steps at ${now}`);
  }

  /**
   * Resolves with the container's exit code when `condition` is met (Docker's `wait`): at once for a
   * container that is not running; at the next `container.died` otherwise. `removed` waits for the
   * removal and rejects if it fails.
   */
  wait(ref: string, condition: WaitCondition = "not-running"): Promise<{ statusCode: number }> {
    const record = findContainer(this.#state, ref);
    if (!record) return Promise.reject(new NotFoundError("no-such-container", `No such container: ${ref}`));
    const id = record.context.id;
    const live = record.status === "running" || record.status === "paused" || record.status === "restarting";
    if (condition === "not-running" && !live) return Promise.resolve({ statusCode: record.context.exitCode });
    return new Promise((resolve, reject) => {
      const unsubscribe = this.log.subscribe((batch) => {
        for (const e of batch) {
          if (e.streamId !== id) continue;
          if (condition !== "removed" && e.type === "container.died") {
            unsubscribe();
            resolve({ statusCode: e.data.exitCode });
            return;
          }
          if (condition === "removed" && e.type === "container.destroyed") {
            unsubscribe();
            resolve({ statusCode: this.#state.containers[id]?.context.exitCode ?? record.context.exitCode });
            return;
          }
          if (condition === "removed" && e.type === "container.removalFailed") {
            unsubscribe();
            reject(new Error(`removal of container ${id} failed: ${e.data.error}`));
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
