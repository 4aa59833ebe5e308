/**
 * What the lifecycle machines emit when they are sent a command: the events to append (as drafts,
 * without envelope) or a rejection. A machine never emits anything when it is sent an event.
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
export type Decision = Decided | Rejected;
