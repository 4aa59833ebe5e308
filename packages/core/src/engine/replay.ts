/**
 * Replay: the state is a fold of the log. Replaying any prefix gives the state after those events,
 * so any past moment can be rebuilt exactly.
 *
 * These functions return only the state after the last event, so they fold transiently: the lifecycle
 * state skips the intermediate states of filesystem events ({@link CoreFold}) and a projection with a
 * `fold` (the fs one) changes private structures in place, frozen once at the end. The result is the
 * same as `evolve` step by step (`test/replay.transient.test.ts` in core and fs); a caller that wants
 * every point in time folds with `evolve` (and the projection's `evolve`) itself.
 */
import type { EventEnvelope } from "../events/envelope.js";
import { CoreFold } from "./CoreFold.js";
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
  const fold = new CoreFold(state);
  for (const e of events) fold.add(e);
  return fold.state();
}

/** The state as it was right after event `seq` (0: before anything). */
export function replayTo(events: Iterable<EventEnvelope>, seq: number): EngineState {
  const fold = new CoreFold(initialState());
  for (const e of events) {
    if (e.seq > seq) break;
    fold.add(e);
  }
  return fold.state();
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
  return foldProjected(projection, state, events, Number.POSITIVE_INFINITY);
}

/** Both states as they were right after event `seq`. */
export function replayProjectedTo<S>(
  projection: Projection<S> | undefined,
  events: Iterable<EventEnvelope>,
  seq: number,
): ProjectedState<S> {
  const start = { core: initialState(), projection: projection?.initialState() as S };
  return foldProjected(projection, start, events, seq);
}

/**
 * Both states after one more event, step by step (no transient fold): for a caller that keeps the
 * state after every event.
 */
export function stepProjected<S>(
  projection: Projection<S> | undefined,
  state: ProjectedState<S>,
  event: EventEnvelope,
): ProjectedState<S> {
  const core = evolve(state.core, event);
  return {
    core,
    projection: projection ? projection.evolve(state.projection, event, core) : state.projection,
  };
}

/** Folds `events` up to seq `last` into both states, transiently where the projection can. */
function foldProjected<S>(
  projection: Projection<S> | undefined,
  state: ProjectedState<S>,
  events: Iterable<EventEnvelope>,
  last: number,
): ProjectedState<S> {
  const core = new CoreFold(state.core);
  const fold = projection?.fold?.(state.projection);
  const coreNow = () => core.state();
  let p = state.projection;
  for (const e of events) {
    if (e.seq > last) break;
    core.add(e);
    if (fold) fold.add(e, coreNow);
    else if (projection) p = projection.evolve(p, e, core.state());
  }
  return { core: core.state(), projection: fold ? fold.result() : p };
}
