/**
 * A blob store as an import sees it: the engine's store, remembering which blobs this import added
 * (bytes the store did not hold before), so that an import that is refused can drop them again with
 * the store's `discard` (pending blobs of a `DiskBlobStore`, entries of a `MemoryBlobStore`): a refused
 * import stores nothing. Blobs the store already held are never dropped.
 */
import { type BlobStore, sha256Digest } from "@strata/fs";

export class StagedBlobs implements BlobStore {
  readonly #inner: BlobStore;
  readonly #added = new Set<string>();
  readonly putStream?: BlobStore["putStream"];

  constructor(inner: BlobStore) {
    this.#inner = inner;
    const putStream = inner.putStream?.bind(inner);
    if (putStream) {
      this.putStream = async (source) => {
        const r = await putStream(source);
        if (r.created === true) this.#added.add(r.digest);
        return r;
      };
    }
  }

  put(bytes: Uint8Array): string {
    return this.add(bytes).digest;
  }

  add(bytes: Uint8Array): { digest: string; created: boolean } {
    // A store that says whether the bytes are new hashes them once; another is asked first.
    let stored: { digest: string; created: boolean };
    if (this.#inner.add) stored = this.#inner.add(bytes);
    else {
      const digest = sha256Digest(bytes);
      const created = !this.#inner.has(digest);
      this.#inner.put(bytes);
      stored = { digest, created };
    }
    if (stored.created) this.#added.add(stored.digest);
    return stored;
  }

  get(digest: string): Uint8Array | undefined {
    return this.#inner.get(digest);
  }

  has(digest: string): boolean {
    return this.#inner.has(digest);
  }

  /** Blobs this import added. */
  get added(): ReadonlySet<string> {
    return this.#added;
  }

  /** Drops what this import added (it was refused: no event names them). */
  discardAdded(): void {
    this.#inner.discard?.(this.#added);
    this.#added.clear();
  }
}
