/**
 * An in-memory blob store: what an engine uses when it is given none. Stages for imports (BlobStage.ts)
 * drop what a refused import put; nothing here is durable.
 */
import { BlobStage, StageLedger } from "./BlobStage.js";
import { type BlobStore, EMPTY_DIGEST, sha256Digest } from "./BlobStore.js";

export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, Uint8Array>([[EMPTY_DIGEST, new Uint8Array(0)]]);
  readonly #stages = new StageLedger();

  put(bytes: Uint8Array): string {
    return this.add(bytes).digest;
  }

  add(bytes: Uint8Array): { digest: string; created: boolean } {
    return this.#add(bytes);
  }

  #add(bytes: Uint8Array, stage?: BlobStage): { digest: string; created: boolean } {
    const digest = sha256Digest(bytes);
    const created = !this.#blobs.has(digest);
    if (created) this.#blobs.set(digest, new Uint8Array(bytes));
    this.#stages.note(digest, created, stage);
    return { digest, created };
  }

  /** A stage for one import (BlobStage.ts): what it puts is held for it until it keeps or discards it. */
  stage(): BlobStage {
    return new BlobStage(this, this.#stages, {
      add: (bytes, stage) => this.#add(bytes, stage),
      drop: (digests) => this.discard(digests),
    });
  }

  get(digest: string): Uint8Array | undefined {
    const b = this.#blobs.get(digest);
    return b === undefined ? undefined : new Uint8Array(b);
  }

  has(digest: string): boolean {
    return this.#blobs.has(digest);
  }

  /** Number of distinct blobs stored. */
  get size(): number {
    return this.#blobs.size;
  }

  /**
   * Drops these blobs outright, whoever put them (nothing here is durable): what stages use to drop what
   * no one holds; anyone else passes only digests they added and no event names.
   */
  discard(digests: Iterable<string>): void {
    for (const d of digests) if (d !== EMPTY_DIGEST) this.#blobs.delete(d);
  }
}
