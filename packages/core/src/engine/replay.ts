/**
 * Replay: the state is a fold of the log. Replaying any prefix gives the state after those events,
 * so any past moment can be rebuilt exactly.
 */
import type { EventEnvelope } from "../events/envelope.js";
import { type EngineState, initialState } from "./EngineState.js";
import { evolve } from "./evolve.js";
import type { ProjectedState, Projection } from "./Projection.js";

/**
 * The state after `events` (which must start at seq 1).
 *
 * @example
 * const now = replay(log.read());
 * const then = replay(log.read().filter((e) => e.seq <= 40)); // time travel to seq 40
 */
export function replay(events: Iterable<EventEnvelope>): EngineState {
  return applyEvents(initialState(), events);
}

/** Catches `state` up with `events` (which must continue right after `state.seq`). */
export function applyEvents(state: EngineState, events: Iterable<EventEnvelope>): EngineState {
  let s = state;
  for (const e of events) s = evolve(s, e);
  return s;
}

/** The state as it was right after event `seq` (0: before anything). */
export function replayTo(events: Iterable<EventEnvelope>, seq: number): EngineState {
  let s = initialState();
  for (const e of events) {
    if (e.seq > seq) break;
    s = evolve(s, e);
  }
  return s;
}

/**
 * The engine's state and a projection's after `events`. Without a projection, `projection` is
 * undefined.
 */
export function replayProjected<S>(
  projection: Projection<S> | undefined,
  events: Iterable<EventEnvelope>,
): ProjectedState<S> {
  const start = { core: initialState(), projection: projection?.initialState() as S };
  return applyProjected(projection, start, events);
}

/** Catches both states up with `events`. */
export function applyProjected<S>(
  projection: Projection<S> | undefined,
  state: ProjectedState<S>,
  events: Iterable<EventEnvelope>,
): ProjectedState<S> {
  let core = state.core;
  let p = state.projection;
  for (const e of events) {
    core = evolve(core, e);
    if (projection) p = projection.evolve(p, e, core);
  }
  return { core, projection: p };
}

/** Both states as they were right after event `seq`. */
export function replayProjectedTo<S>(
  projection: Projection<S> | undefined,
  events: Iterable<EventEnvelope>,
  seq: number,
): ProjectedState<S> {
  const upTo: EventEnvelope[] = [];
  for (const e of events) {
    if (e.seq > seq) break;
    upTo.push(e);
  }
  return replayProjected(projection, upTo);
}
