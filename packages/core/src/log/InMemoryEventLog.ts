/**
 * An in-memory, append-only event log: the engine's default and the model for durable backends
 * (packages/store). Appends are atomic per batch: a batch gets consecutive seqs and is visible to
 * readers and subscribers all at once.
 */
import type { EventEnvelope, NewEvent } from "../events/envelope.js";

/** A listener gets every appended batch, in order, after it is stored. */
export type EventListener = (events: readonly EventEnvelope[]) => void;

export class InMemoryEventLog {
  readonly #events: EventEnvelope[] = [];
  readonly #listeners = new Set<EventListener>();

  /** The seq of the last event (0 when empty). */
  get lastSeq(): number {
    return this.#events.length;
  }

  /** Appends a batch; returns the stored envelopes (frozen) with their seqs. Cost: O(batch). */
  append(events: readonly NewEvent[]): readonly EventEnvelope[] {
    const stored = events.map(
      (e, i) => Object.freeze({ ...e, seq: this.#events.length + i + 1 }) as EventEnvelope,
    );
    this.#events.push(...stored);
    for (const listener of [...this.#listeners]) listener(stored);
    return stored;
  }

  /** Every event with seq ≥ `fromSeq` (default 1), in order. Cost: O(result). */
  read(fromSeq = 1): readonly EventEnvelope[] {
    return this.#events.slice(Math.max(0, fromSeq - 1));
  }

  /** The events of one stream, in order. Cost: O(log size). */
  readStream(streamId: string): readonly EventEnvelope[] {
    return this.#events.filter((e) => e.streamId === streamId);
  }

  /** Calls `listener` with every batch appended from now on; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}
