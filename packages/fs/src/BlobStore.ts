/**
 * The content-addressed store for file bytes. A file's content is stored once, under its sha256
 * digest, whatever the number of files, layers and containers that hold it.
 *
 * Contract:
 * - `put(bytes)` stores the bytes and returns `sha256:<hex>` of them; storing the same bytes again is a
 *   no-op that returns the same digest.
 * - `get(digest)` returns exactly the bytes that were put, or undefined if the digest is unknown.
 * - Stored bytes never change and are never removed by the engine.
 */
import { createHash } from "node:crypto";

export interface BlobStore {
  put(bytes: Uint8Array): string;
  get(digest: string): Uint8Array | undefined;
  has(digest: string): boolean;
}

/** `sha256:` + the hex sha256 of `bytes`. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The digest of the empty content. */
export const EMPTY_DIGEST: string = sha256Digest(new Uint8Array(0));

/** An in-memory blob store. */
export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<string, Uint8Array>([[EMPTY_DIGEST, new Uint8Array(0)]]);

  put(bytes: Uint8Array): string {
    const digest = sha256Digest(bytes);
    if (!this.#blobs.has(digest)) this.#blobs.set(digest, Uint8Array.from(bytes));
    return digest;
  }

  get(digest: string): Uint8Array | undefined {
    const b = this.#blobs.get(digest);
    return b === undefined ? undefined : Uint8Array.from(b);
  }

  has(digest: string): boolean {
    return this.#blobs.has(digest);
  }

  /** Number of distinct blobs stored. */
  get size(): number {
    return this.#blobs.size;
  }
}
