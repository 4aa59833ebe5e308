/**
 * Replay: the state is a fold of the log. Replaying any prefix gives the state after those events,
 * so any past moment can be rebuilt exactly.
 */
import type { EventEnvelope } from "../events/envelope.js";
import { type EngineState, initialState } from "./EngineState.js";
import { evolve } from "./evolve.js";

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
