/**
 * Schema evolution: events carry the version of their body's schema, and upcasters turn an old
 * version into the next one when the event is read. Stored events are never rewritten.
 *
 * @example
 * const upcasters = [{ type: "container.created", fromVersion: 1, upcast: (d) => ({ ...d, labels: {} }) }];
 * const log = withUpcasting(fileLog, upcasters, { "container.created": 2 });
 */
import type { EventHandler, EventLog, StoredEvent, Subscription } from "./EventLog.js";
import { StoreError } from "./errors.js";

/** Turns the body of `type` at `fromVersion` into the body at `fromVersion + 1`. */
export interface Upcaster {
  readonly type: string;
  readonly fromVersion: number;
  readonly upcast: (data: unknown) => unknown;
}

/** An event whose version is newer than the reader knows, or with no upcaster on its way. */
export class UpcastError extends StoreError {
  readonly seq: number;
  constructor(seq: number, message: string) {
    super("Upcast", `event seq ${seq}: ${message}`);
    this.seq = seq;
  }
}

/**
 * The event at the current version of its type (`current[type]`, default 1), applying upcasters in
 * order. An event already current is returned as is.
 */
export function upcastEvent(
  event: StoredEvent,
  upcasters: readonly Upcaster[],
  current: Readonly<Record<string, number>>,
): StoredEvent {
  const target = current[event.type] ?? 1;
  if (event.schemaVersion > target) {
    throw new UpcastError(
      event.seq,
      `${event.type} has schema version ${event.schemaVersion}, newer than this reader's ${target}`,
    );
  }
  let e = event;
  while (e.schemaVersion < target) {
    const step = upcasters.find((u) => u.type === e.type && u.fromVersion === e.schemaVersion);
    if (!step) throw new UpcastError(event.seq, `no upcaster for ${e.type} from version ${e.schemaVersion}`);
    e = { ...e, schemaVersion: e.schemaVersion + 1, data: step.upcast(e.data) };
  }
  return e;
}

/** A view of `log` whose reads and subscriptions return events upcast to the current versions. */
export function withUpcasting(
  log: EventLog,
  upcasters: readonly Upcaster[],
  current: Readonly<Record<string, number>>,
): EventLog {
  const up = (events: StoredEvent[]) => events.map((e) => upcastEvent(e, upcasters, current));
  return {
    lastSeq: () => log.lastSeq(),
    append: (events, options) => log.append(events, options),
    read: async (from, limit) => up(await log.read(from, limit)),
    readStream: async (id, from) => up(await log.readStream(id, from)),
    streamVersion: (id) => log.streamVersion(id),
    subscribe: (from: number, handler: EventHandler): Subscription =>
      log.subscribe(from, (batch) => handler(up([...batch]))),
    close: () => log.close(),
  };
}
