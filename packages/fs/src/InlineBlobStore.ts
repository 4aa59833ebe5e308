/**
 * A blob store that also serves the contents the log carries inline (`fs.fileWritten`'s `content`, at
 * most `INLINE_CONTENT_MAX_BYTES`). Those are durable with the event that carries them, so they are
 * kept here in memory ("held") and never need a `sync()` before the append: a small write costs the log's
 * one fsync, not the blob store's two more. The store beneath gets everything else, as before.
 *
 * - `hold(bytes)` keeps the bytes of a write about to be appended; `learn(events)` keeps what folded
 *   events carry, each checked against its digest and size (an `InlineContentError` names the seq).
 * - Contents are served by digest from memory first, then from the store beneath.
 * - Memory is bounded: past `memoryBytes`, held contents are moved into the store beneath, unsynced
 *   (the next `sync()` makes them durable; until then the log still has them). A read-only user gives
 *   `Infinity`: it never writes.
 * - `persist()` puts every held content into the store beneath and syncs it: whoever saves a snapshot
 *   calls it first, since an engine opened from the snapshot does not fold the events that carried them.
 * - `keep(digests)` moves the held contents among `digests` into the store beneath: an event that
 *   names a content without carrying it (a committed layer) needs it there, synced before it is appended.
 * Contract: BlobStore.ts · durability: docs/store.md#blobs
 */
import { type BlobStore, sha256Digest } from "./BlobStore.js";
import { carriesInline, inlineContent } from "./inlineContent.js";

export interface InlineBlobStoreOptions {
  /**
   * Bytes of held contents kept in memory before they are moved into the store beneath (default
   * 64 MiB; `Infinity`: never, for read-only use, which must create nothing on disk).
   */
  readonly memoryBytes?: number;
}

/** The default bound on held contents. */
const MEMORY_BYTES = 64 * 1024 * 1024;

export class InlineBlobStore implements BlobStore {
  /** The store beneath: everything that is not held. */
  readonly inner: BlobStore;
  readonly #held = new Map<string, Uint8Array>();
  #heldBytes = 0;
  readonly #memoryBytes: number;
  readonly add?: BlobStore["add"];
  readonly getMany?: BlobStore["getMany"];
  readonly putStream?: BlobStore["putStream"];
  readonly stage?: BlobStore["stage"];

  constructor(inner: BlobStore, options: InlineBlobStoreOptions = {}) {
    this.inner = inner;
    this.#memoryBytes = options.memoryBytes ?? MEMORY_BYTES;
    // What the store beneath can do, this one can (an import asks `add`, an export `getMany`).
    if (inner.add) this.add = inner.add.bind(inner);
    if (inner.putStream) this.putStream = inner.putStream.bind(inner);
    // An import's stage is the store beneath's: what it puts goes there, and a refusal takes back only
    // what no one else put (a content held here is not in the store beneath, so it is not touched).
    if (inner.stage) this.stage = inner.stage.bind(inner);
    const getMany = inner.getMany?.bind(inner);
    if (getMany) {
      this.getMany = (digests) => {
        const out = new Map<string, Uint8Array>();
        const rest: string[] = [];
        for (const d of digests) {
          const held = this.#held.get(d);
          if (held === undefined) rest.push(d);
          else out.set(d, new Uint8Array(held));
        }
        if (rest.length > 0) for (const [d, bytes] of getMany(rest)) out.set(d, bytes);
        return out;
      };
    }
  }

  /** Stores `bytes` in the store beneath (to be synced before an event names them). */
  put(bytes: Uint8Array): string {
    return this.inner.put(bytes);
  }

  get(digest: string): Uint8Array | undefined {
    const held = this.#held.get(digest);
    return held === undefined ? this.inner.get(digest) : new Uint8Array(held);
  }

  has(digest: string): boolean {
    return this.#held.has(digest) || this.inner.has(digest);
  }

  openStream(digest: string): AsyncIterable<Uint8Array> | undefined {
    const held = this.#held.get(digest);
    if (held === undefined) return this.inner.openStream?.(digest) ?? once(this.inner.get(digest));
    return once(new Uint8Array(held));
  }

  /** Makes every blob put in the store beneath durable (held contents are the log's to make durable). */
  async sync(): Promise<void> {
    await this.inner.sync?.();
  }

  /** Copies the blobs among `digests` that neither this store holds nor the store beneath has from beside the log. */
  async fetch(digests: Iterable<string>): Promise<number> {
    if (!this.inner.fetch) return 0;
    const missing = [...digests].filter((d) => !this.#held.has(d));
    return missing.length === 0 ? 0 : this.inner.fetch(missing);
  }

  /**
   * Keeps `bytes`, which the event about to be appended carries inline: readable by digest at once, and
   * not written to the store beneath (unless memory is over its bound). Larger bytes are `put`.
   */
  hold(bytes: Uint8Array): string {
    if (!carriesInline(bytes.length)) return this.put(bytes);
    const digest = sha256Digest(bytes);
    this.#keep(digest, bytes);
    return digest;
  }

  /**
   * Keeps what `events` carry inline, each checked against the digest and size it names (an
   * `InlineContentError` naming the seq when they do not hold). Call it before folding them.
   */
  learn(events: readonly { readonly seq: number; readonly type: string; readonly data: unknown }[]): void {
    for (const e of events) {
      if (e.type !== "fs.fileWritten") continue;
      const carried = inlineContent(e);
      if (carried !== undefined) this.#keep(carried.digest, carried.bytes);
    }
  }

  /** Moves the held contents among `digests` into the store beneath (unsynced: call `sync()` next). */
  keep(digests: Iterable<string>): void {
    for (const d of digests) {
      const held = this.#held.get(d);
      if (held === undefined) continue;
      this.inner.put(held);
      this.#held.delete(d);
      this.#heldBytes -= held.length;
    }
  }

  /** Puts every held content into the store beneath and syncs it (before a snapshot is saved). */
  async persist(): Promise<void> {
    this.#spill();
    await this.sync();
  }

  /** How many contents, and bytes, are held in memory now. */
  get held(): { readonly contents: number; readonly bytes: number } {
    return { contents: this.#held.size, bytes: this.#heldBytes };
  }

  #keep(digest: string, bytes: Uint8Array): void {
    if (this.#held.has(digest)) return;
    this.#held.set(digest, new Uint8Array(bytes));
    this.#heldBytes += bytes.length;
    if (this.#heldBytes > this.#memoryBytes) this.#spill();
  }

  /** Moves every held content into the store beneath, unsynced. */
  #spill(): void {
    for (const bytes of this.#held.values()) this.inner.put(bytes);
    this.#held.clear();
    this.#heldBytes = 0;
  }
}

async function* yieldOnce(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

function once(bytes: Uint8Array | undefined): AsyncIterable<Uint8Array> | undefined {
  return bytes === undefined ? undefined : yieldOnce(bytes);
}
