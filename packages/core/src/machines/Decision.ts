/**
 * What the lifecycle machines emit when they are sent a command: the events to append (as drafts,
 * without envelope), a rejection, or both (a command that records what happened and still fails). A
 * machine never emits anything when it is sent an event.
 */
import type { Rejection } from "../errors.js";
import type { StrataEvent } from "../events/envelope.js";

type Distribute<E> = E extends unknown ? E & { readonly streamId?: string } : never;

/** An event body plus, when it is not the machine's own stream, the stream it belongs to. */
export type EventDraft = Distribute<StrataEvent>;

/** The machine accepted the command: append these events, in order. */
export interface Decided {
  readonly type: "decided";
  readonly events: readonly EventDraft[];
}
/** The machine refused the command: nothing is appended. */
export interface Rejected {
  readonly type: "rejected";
  readonly rejection: Rejection;
}
/**
 * The command ran and failed part-way: append these events (what happened before the failure, for
 * example a removal that left the container `dead`) and report the rejection. Docker's `rm` that fails
 * to remove the filesystem, or a `start` that the runtime refuses, answer this way.
 */
export interface Failed {
  readonly type: "failed";
  readonly events: readonly EventDraft[];
  readonly rejection: Rejection;
}
export type Decision = Decided | Rejected | Failed;
