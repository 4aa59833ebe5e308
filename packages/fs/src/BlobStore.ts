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
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

export interface BlobStore {
  put(bytes: Uint8Array): string;
  get(digest: string): Uint8Array | undefined;
  has(digest: string): boolean;
  /** Optional: stores a stream without holding it in memory; resolves with its digest and size. */
  putStream?(source: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }>;
  /** Optional: the bytes of a blob as a stream (undefined if unknown). */
  openStream?(digest: string): AsyncIterable<Uint8Array> | undefined;
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

/**
 * A blob store on disk: `<dir>/sha256/<hex>`, written to a temporary file and renamed, so a blob is
 * either whole or absent. Streams in and out, so a 1 GiB file never needs 1 GiB of memory.
 */
export class DiskBlobStore implements BlobStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(join(dir, "sha256"), { recursive: true });
  }

  #path(digest: string): string {
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
    return join(this.dir, "sha256", digest.slice(7));
  }

  put(bytes: Uint8Array): string {
    const digest = sha256Digest(bytes);
    const path = this.#path(digest);
    if (!existsSync(path)) {
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    }
    return digest;
  }

  get(digest: string): Uint8Array | undefined {
    try {
      return readFileSync(this.#path(digest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }

  has(digest: string): boolean {
    return existsSync(this.#path(digest));
  }

  async putStream(source: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }> {
    const tmp = join(this.dir, "sha256", `.incoming-${process.pid}-${randomBytes(6).toString("hex")}`);
    const hash = createHash("sha256");
    let size = 0;
    const out = createWriteStream(tmp);
    try {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        if (!out.write(chunk)) await once(out, "drain");
      }
      out.end();
      await once(out, "finish");
    } catch (e) {
      out.destroy();
      rmSync(tmp, { force: true });
      throw e;
    }
    const digest = `sha256:${hash.digest("hex")}`;
    renameSync(tmp, this.#path(digest));
    return { digest, size };
  }

  openStream(digest: string): AsyncIterable<Uint8Array> | undefined {
    const path = this.#path(digest);
    return existsSync(path) ? createReadStream(path) : undefined;
  }
}
