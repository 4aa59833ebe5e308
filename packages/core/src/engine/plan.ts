/**
 * `plan`: everything one command does, decided without touching any log — the timers due first (a
 * stop's SIGKILL, a policy restart, a delayed removal), then the command — as one batch of events,
 * each with the keys it changed (its `tags`), and the keys the decision read. An engine over a durable
 * log appends the batch on the condition that no event after the position it planned at has changed
 * what it read; if one has, it catches up and plans again. Pure but for the projection's `prepare`,
 * which may store content (content-addressed, so storing it twice is harmless).
 */
import { type Command, commandProblem } from "../commands/commands.js";
import { StrataError } from "../errors.js";
import type { EventEnvelope, NewEvent } from "../events/envelope.js";
import { decide, decideTick, nextDeadline } from "./decide.js";
import type { EngineState } from "./EngineState.js";
import { changedKeys, readTracking } from "./keys.js";
import { type ProjectedState, type Projection, refinedOutcome, runtimeOf } from "./Projection.js";
import { stepProjected } from "./replay.js";

/** An event of a plan, with the keys it changes beside its stream (the store's `tags`). */
export interface PlannedEvent {
  readonly event: NewEvent;
  readonly tags: readonly string[];
}

/** What a command does at a moment, before anything is appended. */
export interface Plan<S> {
  /** The command as decided (null: only the timers due). */
  readonly command: Command | null;
  /**
   * `accepted`: its events are in `events`; `refused`: none are (the timers due still fire); `failed`:
   * it failed part-way — its events are in `events` and must be appended, and `error` reported too.
   */
  readonly outcome: "accepted" | "refused" | "failed";
  /** Null when the command is accepted; its error otherwise. */
  readonly error: StrataError | null;
  /** The timers' events, then the command's (none when refused). */
  readonly events: readonly PlannedEvent[];
  /** The keys the decisions read (see keys.ts): the append condition. */
  readonly reads: readonly string[];
  /** The states after `events`, as if they were appended right after `from.core.seq`. */
  readonly after: ProjectedState<S>;
}

const MAX_TICK_STEPS = 100_000;

/**
 * Plans `command` on `from` at time `now` (ids already filled in the command).
 *
 * @example
 * const p = plan(projection, { core: state, projection: fs }, { type: "container.stop", container: "web" }, now);
 * if (p.error) console.error(p.error.message);
 */
export function plan<S>(
  projection: Projection<S> | undefined,
  from: ProjectedState<S>,
  command: Command | null,
  now: number,
): Plan<S> {
  const events: PlannedEvent[] = [];
  const reads = new Set<string>();
  let states = from;
  const commit = (batch: readonly NewEvent[]) => {
    for (const event of batch) {
      const seq = states.core.seq + 1;
      const next = stepProjected(projection, states, { ...event, seq } as EventEnvelope);
      events.push({ event, tags: changedKeys(states.core, next.core, event.streamId) });
      states = next;
    }
  };
  // The timers due, each at its own deadline: each depends only on its own container.
  for (let step = 0; ; step++) {
    if (step >= MAX_TICK_STEPS) throw new Error(`plan: more than ${MAX_TICK_STEPS} timer steps at ${now}`);
    const due = nextDue(states.core, now);
    if (due === null) break;
    reads.add(due.id);
    const fired = decideTick(
      states.core,
      due.id,
      due.at,
      runtimeOf(projection, states.projection, states.core),
    );
    if (fired.length === 0)
      throw new Error(`plan: container ${due.id} had a deadline at ${due.at} but nothing fired`);
    commit(fired);
  }
  // The command, on a view that records what it reads.
  const tracked = readTracking(states.core);
  let prepared = command;
  if (prepared === null) return done("accepted", null);
  const invalid = commandProblem(prepared);
  if (invalid) return done("refused", invalid);
  try {
    const ready: Command = projection?.prepare
      ? projection.prepare(states.projection, tracked.state, prepared)
      : prepared;
    prepared = ready;
    const decided = decide(
      tracked.state,
      ready,
      now,
      runtimeOf(projection, states.projection, tracked.state),
    );
    if (decided.outcome === "refused") return done("refused", decided.error);
    const refined = refinedOutcome(
      projection?.refine
        ? projection.refine(states.projection, tracked.state, ready, decided.events, now)
        : decided.events,
    );
    commit(refined.events);
    if (decided.outcome === "failed") return done("failed", decided.error);
    return refined.error === null ? done("accepted", null) : done("failed", refined.error);
  } catch (e) {
    if (e instanceof StrataError) return done("refused", e);
    throw e;
  }

  function done(outcome: Plan<S>["outcome"], error: StrataError | null): Plan<S> {
    for (const k of tracked.reads) reads.add(k);
    return { command: prepared, outcome, error, events, reads: [...reads].sort(), after: states };
  }
}

/** The earliest deadline at or before `now` (ties: the first container), or null. */
export function nextDue(state: EngineState, now: number): { id: string; at: number } | null {
  let due: { id: string; at: number } | null = null;
  for (const [id, record] of Object.entries(state.containers)) {
    const at = nextDeadline(record);
    if (at !== null && at <= now && (due === null || at < due.at)) due = { id, at };
  }
  return due;
}

/** The earliest deadline of any container (null: none), for a timer that fires it on time. */
export function earliestDeadline(state: EngineState): number | null {
  let earliest: number | null = null;
  for (const record of Object.values(state.containers)) {
    const at = nextDeadline(record);
    if (at !== null && (earliest === null || at < earliest)) earliest = at;
  }
  return earliest;
}
