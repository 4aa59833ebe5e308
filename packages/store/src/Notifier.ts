/**
 * Wakes waiters when the log grows, and runs subscriptions as "read what is there, then wait for
 * more" loops: no polling, no lost or repeated events, each handler call waits for the previous one.
 */
import type { EventHandler, StoredEvent, Subscription } from "./EventLog.js";

export class Notifier {
  #waiters: (() => void)[] = [];

  /** Resolves at the next `notify` (or at once if `closed`). */
  next(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}

const BATCH = 1_000;

/**
 * A subscription that reads with `read` from `fromSeq` on, hands batches to `handler`, and waits on
 * `notifier` when it has caught up.
 */
export function subscribeByReading(
  read: (fromSeq: number, limit: number) => Promise<StoredEvent[]>,
  notifier: Notifier,
  fromSeq: number,
  handler: EventHandler,
  onError: (e: unknown) => void = () => {},
): Subscription {
  let closed = false;
  let wake: (() => void) | null = null;
  const done = (async () => {
    let position = Math.max(1, fromSeq);
    while (!closed) {
      // Register for the next append before reading, so an append between the read and the wait is not missed.
      const more = notifier.next();
      let batch: StoredEvent[];
      try {
        batch = await read(position, BATCH);
      } catch (e) {
        if (!closed) onError(e);
        return;
      }
      if (closed) return;
      if (batch.length > 0) {
        await handler(batch);
        position = (batch[batch.length - 1] as StoredEvent).seq + 1;
        continue;
      }
      await Promise.race([more, new Promise<void>((r) => (wake = r))]);
    }
  })();
  return {
    async close() {
      closed = true;
      wake?.();
      notifier.notify();
      await done;
    },
  };
}
