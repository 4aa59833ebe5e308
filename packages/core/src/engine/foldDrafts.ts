/**
 * Folding decided (not yet appended) events into a scratch copy of the state, for a command that acts
 * on many streams in turn (a prune, a daemon restart): each step decides on the state the earlier
 * steps leave. The seqs are provisional: they are the ones the log will give if the batch is appended
 * next, as the engine does.
 */
import type { EventEnvelope, NewEvent } from "../events/envelope.js";
import type { EngineState } from "./EngineState.js";
import { evolve } from "./evolve.js";

/** `state` after `events`, numbered from `state.seq + 1`. */
export function foldDrafts(state: EngineState, events: readonly NewEvent[]): EngineState {
  let s = state;
  for (const e of events) s = evolve(s, { ...e, seq: s.seq + 1 } as EventEnvelope);
  return s;
}
