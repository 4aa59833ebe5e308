/**
 * The envelope every event travels in. The log assigns `seq`; the engine fills the rest from the
 * decision and the injected clock.
 */
import type { ContainerEvent } from "./containerEvents.js";
import type { DaemonEvent } from "./daemonEvents.js";
import type { FsEvent, LayerEvent } from "./fsEvents.js";
import type { ImageEvent } from "./imageEvents.js";

/** The schema version of every event this build writes. Readers upcast older versions. */
export const EVENT_SCHEMA_VERSION = 1 as const;

/** Any event body: `{ type, data }`. */
export type StrataEvent = ContainerEvent | FsEvent | ImageEvent | LayerEvent | DaemonEvent;
/** Every event type string. */
export type StrataEventType = StrataEvent["type"];

type Distribute<E, X> = E extends unknown ? X & E : never;

/** An event as decided, not yet in the log. */
export type NewEvent<E extends StrataEvent = StrataEvent> = Distribute<
  E,
  {
    /** The stream it belongs to: a container id (64 hex), an image or layer id (`sha256:…`), or `daemon`. */
    readonly streamId: string;
    readonly schemaVersion: number;
    /** The injected clock's time when it was decided, in ms since the epoch. */
    readonly recordedAt: number;
  }
>;

/** An event in the log: a {@link NewEvent} plus its position. */
export type EventEnvelope<E extends StrataEvent = StrataEvent> = Distribute<
  E,
  {
    /** Position in the global log: 1, 2, 3… without gaps. */
    readonly seq: number;
    readonly streamId: string;
    readonly schemaVersion: number;
    readonly recordedAt: number;
  }
>;

/** Narrows an envelope by its type. */
export type EventOfType<T extends StrataEventType> = EventEnvelope<Extract<StrataEvent, { type: T }>>;
