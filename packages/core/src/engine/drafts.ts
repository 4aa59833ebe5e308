/**
 * Turning what the lifecycle machines decide (drafts) into what `decide` answers: envelopes with the
 * stream, schema version and time, and one of the three outcomes.
 */
import { type ErrorCode, errorFromRejection, type StrataError } from "../errors.js";
import { EVENT_SCHEMA_VERSION, type NewEvent } from "../events/envelope.js";
import type { Decision, EventDraft } from "../machines/Decision.js";

/**
 * The answer to a command, one of three outcomes:
 * - `accepted`: append `events`;
 * - `refused`: append nothing, report `error` (every refusal but the one below);
 * - `failed`: append `events` **and** report `error`: the command ran and failed part-way (a removal
 *   that leaves the container `dead`, a start the runtime refuses). The events record what happened.
 */
export type DecideResult =
  | { readonly ok: true; readonly outcome: "accepted"; readonly events: readonly NewEvent[] }
  | {
      readonly ok: false;
      readonly outcome: "refused";
      readonly error: StrataError & { readonly code: ErrorCode | string };
    }
  | {
      readonly ok: false;
      readonly outcome: "failed";
      readonly error: StrataError & { readonly code: ErrorCode | string };
      readonly events: readonly NewEvent[];
    };

/** The one decision a machine made for a command, as a {@link DecideResult}. */
export function envelopes(
  decisions: readonly Decision[],
  streamId: string,
  now: number,
  what: string,
): DecideResult {
  const decision = decisions[0];
  if (decisions.length !== 1 || !decision) {
    throw new Error(
      `lifecycle machine made ${decisions.length} decisions for ${what}; exactly one is required`,
    );
  }
  if (decision.type === "rejected")
    return { ok: false, outcome: "refused", error: errorFromRejection(decision.rejection) };
  const events = decision.events.map((d) => toNewEvent(d, streamId, now));
  if (decision.type === "failed")
    return { ok: false, outcome: "failed", error: errorFromRejection(decision.rejection), events };
  return { ok: true, outcome: "accepted", events };
}

export function toNewEvent(draft: EventDraft, streamId: string, now: number): NewEvent {
  const { streamId: own, ...body } = draft;
  return {
    streamId: own ?? streamId,
    schemaVersion: EVENT_SCHEMA_VERSION,
    recordedAt: now,
    ...body,
  } as NewEvent;
}
