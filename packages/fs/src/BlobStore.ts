/**
 * The content-addressed store for file bytes. A file's content is stored once, under its sha256
 * digest, whatever the number of files, layers and containers that hold it.
 *
 * Contract:
 * - `put(bytes)` stores the bytes and returns `sha256:<hex>` of them; storing the same bytes again is a
 *   no-op that returns the same digest.
 * - `get(digest)` returns exactly the bytes that were put, or undefined if the digest is unknown. Bytes
 *   that no longer match their digest are never returned: a `BlobError` (`blob-corrupt`) instead.
 * - `sync()`, where a store has it, makes every blob put so far durable (it survives a power loss). An
 *   event that names a blob is appended only after the blob is durable: whoever appends calls `sync()`
 *   first.
 * - `hold(bytes)`, where a store has it, keeps bytes an event will carry inline (`fs.fileWritten`'s
 *   `content`): readable by digest at once, and durable with the event that carries them, so they need
 *   no `sync()` (see `InlineBlobStore`).
 * - Stored bytes never change and are never removed by the engine. An import, which may be refused
 *   after storing file contents, puts them through a `stage()` where a store has one (BlobStage.ts):
 *   refused, it discards the stage, which drops only what no one else put or holds (another import's
 *   stage, a container's write of the same bytes), and only blobs not yet synced. A store without
 *   `stage` takes nothing back.
 */

import { createHash, hash } from "node:crypto";

export interface BlobStore {
  put(bytes: Uint8Array): string;
  /**
   * Optional: `put`, saying whether the bytes are new here (`created: false` when the store held them
   * already): what an import needs to take back only what it added, without hashing twice.
   */
  add?(bytes: Uint8Array): { digest: string; created: boolean };
  get(digest: string): Uint8Array | undefined;
  /**
   * Optional: the bytes of many blobs at once, each checked as `get` checks it, read together where
   * they lie together on disk (an export reads thousands of small files); digests the store does not
   * hold are left out. The bytes may be views of one larger buffer.
   */
  getMany?(digests: readonly string[]): Map<string, Uint8Array>;
  has(digest: string): boolean;
  /**
   * Optional: stores a stream without holding it in memory; resolves with its digest and size, and
   * `created: false` when the store held these bytes already (true: they are new).
   */
  putStream?(source: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number; created?: boolean }>;
  /** Optional: the bytes of a blob as a stream (undefined if unknown); fails at its end if they were changed. */
  openStream?(digest: string): AsyncIterable<Uint8Array> | undefined;
  /** Optional: makes every blob put so far durable. Call it before appending events that name them. */
  sync?(): Promise<void>;
  /**
   * Optional: a stage for one import: its puts are held for it until it keeps or discards them; a
   * discard drops only blobs no one else put or holds (BlobStage.ts).
   */
  stage?(): StagedBlobs;
  /**
   * Optional: keeps bytes of at most `INLINE_CONTENT_MAX_BYTES` that the event about to be appended
   * carries inline, readable here by digest; they need no `sync()` (the event makes them durable).
   * Returns their digest.
   */
  hold?(bytes: Uint8Array): string;
  /**
   * Optional: copies into this store, from where the log keeps them (another host's writes), the blobs
   * among `digests` it lacks; resolves with how many it copied.
   */
  fetch?(digests: Iterable<string>): Promise<number>;
}

/** `sha256:` + the hex sha256 of `bytes`. */
export function sha256Digest(bytes: Uint8Array): string {
  // crypto.hash (Node 20.12+) skips the Hash object: much faster for small files.
  return typeof hash === "function"
    ? `sha256:${hash("sha256", bytes, "hex")}`
    : `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The digest of the empty content. */
export const EMPTY_DIGEST: string = sha256Digest(new Uint8Array(0));

/**
 * What `stage()` gives an import (BlobStage.ts): a blob store whose puts are held for it, until it
 * keeps them (its events name them) or discards them (it was refused).
 */
export interface StagedBlobs extends BlobStore {
  /** The import was accepted: what it put stays. */
  keep(): void;
  /** The import was refused: drops what it put that no one else put or holds, and is not synced yet. */
  discard(): void;
}
