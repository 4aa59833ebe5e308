/**
 * The in-memory backend: the contract with no durability beyond the process. Useful for tests, and
 * the reference the conformance suite was written against.
 */

import {
  type AppendOptions,
  type AppendResult,
  type EventHandler,
  type EventLog,
  firstBreak,
  keysOf,
  matchesExpectedVersion,
  type NewStoredEvent,
  type StoredEvent,
  type Subscription,
  validateBatch,
  validateOptions,
} from "./EventLog.js";
import { ExpectedVersionConflictError, LogClosedError } from "./errors.js";
import { Notifier, subscribeByReading } from "./Notifier.js";

export class MemoryEventLog implements EventLog {
  readonly #events: StoredEvent[] = [];
  readonly #streams = new Map<string, number[]>();
  /** Each key's last seq (for append conditions). */
  readonly #lastByKey = new Map<string, number>();
  readonly #notifier = new Notifier();
  #closed = false;

  #check(): void {
    if (this.#closed) throw new LogClosedError();
  }

  async lastSeq(): Promise<number> {
    this.#check();
    return this.#events.length;
  }

  async append(events: readonly NewStoredEvent[], options: AppendOptions = {}): Promise<AppendResult> {
    this.#check();
    const invalid = validateBatch(events) ?? validateOptions(options);
    if (invalid) throw invalid;
    const broken = firstBreak(options.condition, (k) => this.#lastByKey.get(k) ?? 0);
    if (broken) throw broken;
    for (const [streamId, want] of Object.entries(options.expected ?? {})) {
      const actual = this.#streams.get(streamId)?.length ?? 0;
      if (!matchesExpectedVersion(want, actual))
        throw new ExpectedVersionConflictError(streamId, String(want), actual);
    }
    const firstSeq = this.#events.length + 1;
    const versions: Record<string, number> = {};
    for (const e of events) {
      const stored: StoredEvent = Object.freeze({
        ...e,
        data: structuredClone(e.data),
        ...(e.tags ? { tags: Object.freeze([...e.tags]) } : {}),
        seq: this.#events.length + 1,
      });
      for (const k of keysOf(e)) this.#lastByKey.set(k, stored.seq);
      this.#events.push(stored);
      const stream = this.#streams.get(e.streamId) ?? [];
      stream.push(stored.seq);
      this.#streams.set(e.streamId, stream);
      versions[e.streamId] = stream.length;
    }
    this.#notifier.notify();
    return { firstSeq, lastSeq: this.#events.length, streamVersions: versions };
  }

  async read(fromSeq = 1, limit = Number.POSITIVE_INFINITY): Promise<StoredEvent[]> {
    this.#check();
    const start = Math.max(0, fromSeq - 1);
    return this.#events.slice(start, Number.isFinite(limit) ? start + limit : undefined);
  }

  async readStream(streamId: string, fromVersion = 1): Promise<StoredEvent[]> {
    this.#check();
    const seqs = this.#streams.get(streamId) ?? [];
    return seqs.slice(Math.max(0, fromVersion - 1)).map((s) => this.#events[s - 1] as StoredEvent);
  }

  async streamVersion(streamId: string): Promise<number> {
    this.#check();
    return this.#streams.get(streamId)?.length ?? 0;
  }

  subscribe(fromSeq: number, handler: EventHandler): Subscription {
    this.#check();
    return subscribeByReading((from, limit) => this.read(from, limit), this.#notifier, fromSeq, handler);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#notifier.notify();
  }
}
