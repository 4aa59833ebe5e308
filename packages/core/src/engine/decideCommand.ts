/**
 * One command decided on an engine's states, as both engines do it (the live `Engine` and `plan` for a
 * durable log): the projection prepares it, the lifecycle decides it, the projection refines the events.
 * With an image namer (ImageNamer.ts), a command that makes an image is decided a second time with the
 * names the namer gives to what the first decision made: the image's id is its config's digest, its
 * new layer's id its DiffID. Pure but for the projection's `prepare` and the namer, which may store
 * content-addressed blobs.
 */
import type { Command } from "../commands/commands.js";
import { StrataError } from "../errors.js";
import type { NewEvent } from "../events/envelope.js";
import { decide } from "./decide.js";
import type { EngineState } from "./EngineState.js";
import { type ImageNamer, namedCommand } from "./ImageNamer.js";
import { type Projection, refinedOutcome, runtimeOf } from "./Projection.js";

/** What a command does on given states (nothing applied). */
export interface DecidedCommand {
  /** The command as decided: prepared, and named. */
  readonly command: Command;
  readonly outcome: "accepted" | "refused" | "failed";
  /** Null when accepted. */
  readonly error: StrataError | null;
  /** The events to append (none when refused). */
  readonly events: readonly NewEvent[];
}

/**
 * Decides `command` (its ids filled) at `now` on `core` and `projected`; `namer` names the image it
 * makes (pass it only for a command {@link namesImage} says is to be named).
 *
 * @example
 * const d = decideCommand(projection, fs, state, { type: "container.commit", container: "web", imageId, layerId }, now);
 */
export function decideCommand<S>(
  projection: Projection<S> | undefined,
  projected: S,
  core: EngineState,
  command: Command,
  now: number,
  namer?: ImageNamer<S>,
): DecidedCommand {
  let prepared = command;
  try {
    prepared = projection?.prepare ? projection.prepare(projected, core, command) : command;
    const first = decideOnce(projection, projected, core, prepared, now);
    if (namer === undefined || first.outcome !== "accepted") return first;
    const names = namer.name(projected, core, prepared, first.events);
    if (names === null) return first;
    const named = namedCommand(prepared, names);
    prepared = named;
    return decideOnce(projection, projected, core, named, now);
  } catch (e) {
    if (e instanceof StrataError) return { command: prepared, outcome: "refused", error: e, events: [] };
    throw e;
  }
}

function decideOnce<S>(
  projection: Projection<S> | undefined,
  projected: S,
  core: EngineState,
  command: Command,
  now: number,
): DecidedCommand {
  const decided = decide(core, command, now, runtimeOf(projection, projected, core));
  if (decided.outcome === "refused") return { command, outcome: "refused", error: decided.error, events: [] };
  const refined = refinedOutcome(
    projection?.refine ? projection.refine(projected, core, command, decided.events, now) : decided.events,
  );
  if (decided.outcome === "failed")
    return { command, outcome: "failed", error: decided.error, events: refined.events };
  return refined.error === null
    ? { command, outcome: "accepted", error: null, events: refined.events }
    : { command, outcome: "failed", error: refined.error, events: refined.events };
}
