/**
 * File contents that travel with the log: a local blob store (in memory, or a directory used as a
 * cache) in front of a `RemoteBlobStore` beside the log (a PostgreSQL table). The fs model reads the
 * local store synchronously; the engine keeps the two in step:
 * - `put` stores locally and remembers the blob as not yet sent; `sync()` sends every such blob to the
 *   remote (durable there) before the engine appends the events that name them, in groups of about
 *   `groupBytes` (64 MiB), each read from the local store as it is sent: a large import never holds more
 *   than a group (and one blob) in memory;
 * - `fetch(digests)` copies into the local store what another host stored and the local one lacks,
 *   before the engine folds events that name them, or reads a file a snapshot names.
 */
import { type BlobStore, MemoryBlobStore, sha256Digest } from "@strata/fs";
import type { RemoteBlobStore } from "@strata/store";

export class ReplicatedBlobStore implements BlobStore {
  readonly local: BlobStore;
  readonly remote: RemoteBlobStore;
  /** Digests put here and not yet on the remote. */
  readonly #unsent = new Set<string>();
  readonly #groupBytes: number;

  constructor(
    remote: RemoteBlobStore,
    local: BlobStore = new MemoryBlobStore(),
    options: { readonly groupBytes?: number } = {},
  ) {
    this.remote = remote;
    this.local = local;
    this.#groupBytes = options.groupBytes ?? 64 * 1024 * 1024;
  }

  put(bytes: Uint8Array): string {
    const digest = this.local.put(bytes);
    this.#unsent.add(digest);
    return digest;
  }

  get(digest: string): Uint8Array | undefined {
    return this.local.get(digest);
  }

  has(digest: string): boolean {
    return this.local.has(digest);
  }

  async putStream(source: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }> {
    if (this.local.putStream) {
      const stored = await this.local.putStream(source);
      this.#unsent.add(stored.digest);
      return stored;
    }
    const parts: Uint8Array[] = [];
    for await (const chunk of source) parts.push(chunk);
    const bytes = Buffer.concat(parts);
    return { digest: this.put(bytes), size: bytes.length };
  }

  openStream(digest: string): AsyncIterable<Uint8Array> | undefined {
    return this.local.openStream?.(digest) ?? asStream(this.local.get(digest));
  }

  /**
   * Makes every blob put so far durable: locally (if the local store syncs) and on the remote, in groups
   * (see the module comment); a group sent is no longer unsent, even if a later one fails.
   */
  async sync(): Promise<void> {
    await this.local.sync?.();
    let group: { digest: string; bytes: Uint8Array }[] = [];
    let size = 0;
    const send = async () => {
      await this.remote.put(group);
      for (const b of group) this.#unsent.delete(b.digest);
      group = [];
      size = 0;
    };
    for (const digest of [...this.#unsent]) {
      const bytes = this.local.get(digest);
      if (bytes === undefined)
        throw new Error(`content ${digest} was put but is no longer in the local store`);
      group.push({ digest, bytes });
      size += bytes.length;
      if (size >= this.#groupBytes) await send();
    }
    if (group.length > 0) await send();
  }

  /** Copies the blobs among `digests` that the local store lacks from the remote; returns how many. */
  async fetch(digests: Iterable<string>): Promise<number> {
    let fetched = 0;
    for (const digest of new Set(digests)) {
      if (this.local.has(digest)) continue;
      const bytes = await this.remote.get(digest);
      if (bytes === undefined) continue; // missing everywhere: reading it will say so
      if (sha256Digest(bytes) !== digest) continue;
      this.local.put(bytes);
      fetched += 1;
    }
    if (fetched > 0) await this.local.sync?.();
    return fetched;
  }
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}

function asStream(bytes: Uint8Array | undefined): AsyncIterable<Uint8Array> | undefined {
  return bytes === undefined ? undefined : once(bytes);
}
