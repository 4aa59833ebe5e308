/**
 * A projection folds the same log as the engine into a state of its own, and may check the events
 * the lifecycle decided before they are appended. The fs package is one: it folds `layer.created`,
 * `container.*` and `fs.*` events into layer snapshots and union views, and refuses a filesystem
 * change the union view does not allow (ENOENT, EXDEV…).
 *
 * Rules for implementers:
 * - `initialState` and `evolve` are pure; `evolve` never mutates its input.
 * - `refine` is pure too: it reads the states and the command and returns the events to append
 *   (the same, completed, or more), or throws a `StrataError` to refuse the command (nothing is
 *   appended), or returns a {@link RefinedFailure} when the command fails part-way: its events are
 *   appended and its error reported (the `failed` outcome; overlayfs marks a directory opaque
 *   before the upper filesystem refuses the rename that asked for it).
 * - `prepare` is the one impure edge (it may store content-addressed blobs); it rewrites the command
 *   only with facts that do not depend on time or randomness.
 * - `runtime`, if given, answers what the OCI runtime sees of a container (its files): pure, like
 *   `refine`; `decide` asks it when a start happens.
 * - `fold`, if given, folds many events at once (a replay, a catch-up) and must give exactly the
 *   state `evolve` gives event by event; it may change private structures in place while it folds,
 *   but never `state` or anything reachable from it, and what it returns must never change again.
 */
import type { Command } from "../commands/commands.js";
import type { StrataError } from "../errors.js";
import type { EventEnvelope, NewEvent } from "../events/envelope.js";
import type { ContainerRuntime } from "./ContainerRuntime.js";
import type { EngineState } from "./EngineState.js";

/** A command that failed part-way: the events of what it did before `error`, to append all the same. */
export interface RefinedFailure {
  readonly events: readonly NewEvent[];
  readonly error: StrataError;
}

/** What `refine` answers: the events to append, or a failure that appends events too. */
export type Refined = readonly NewEvent[] | RefinedFailure;

/** A {@link Refined} as events and the error that comes with them (null: none). */
export function refinedOutcome(refined: Refined): {
  readonly events: readonly NewEvent[];
  readonly error: StrataError | null;
} {
  return "error" in refined ? refined : { events: refined as readonly NewEvent[], error: null };
}

export interface Projection<S> {
  /** The state of the empty log. */
  initialState(): S;
  /** The state after one more event; `core` is the engine's state after the same event. */
  evolve(state: S, event: EventEnvelope, core: EngineState): S;
  /**
   * A transient fold from `state`, for many events when only the state after the last is wanted: equal
   * to `evolve` on every prefix, and faster (see {@link ProjectionFold}). Optional.
   */
  fold?(state: S): ProjectionFold<S>;
  /** Before deciding: may store content and complete the command (for example fill a digest). */
  prepare?(state: S, core: EngineState, command: Command): Command;
  /**
   * After the lifecycle decided: checks and completes the events, or throws a StrataError (refused),
   * or answers a {@link RefinedFailure} (failed part-way, its events appended).
   */
  refine?(state: S, core: EngineState, command: Command, events: readonly NewEvent[], now: number): Refined;
  /**
   * The runtime's view of the containers at these states (whether it can run a container's program),
   * for `decide`. Optional: without it every program runs.
   */
  runtime?(state: S, core: EngineState): ContainerRuntime;
}

/** The runtime a projection gives at these states (undefined: none). */
export function runtimeOf<S>(
  projection: Projection<S> | undefined,
  state: S,
  core: EngineState,
): ContainerRuntime | undefined {
  return projection?.runtime?.(state, core);
}

/**
 * A transient fold of a projection: `add` the events in order, then take the `result` once. It may
 * change its own structures in place while it folds (never the state it started from); the result is
 * frozen (nothing changes it afterwards) and is the state `evolve` gives after the same events. After
 * `result`, or after `add` threw, the fold cannot be used again.
 */
export interface ProjectionFold<S> {
  /**
   * Folds one more event in; throws what `evolve` throws. `core` gives the engine's state after the
   * same event (built only if asked for).
   */
  add(event: EventEnvelope, core: () => EngineState): void;
  /** The state after the last event, frozen. */
  result(): S;
}

/** The engine's state and a projection's, folded together. */
export interface ProjectedState<S> {
  readonly core: EngineState;
  readonly projection: S;
}
