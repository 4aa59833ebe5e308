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
 * - Stored bytes never change and are never removed by the engine. `discard(digests)`, where a store
 *   has it, drops blobs that no event names (what an import that was refused stored): only blobs put
 *   since the last `sync()` (a store without `sync` drops them outright, so callers pass only digests
 *   they added themselves).
 */

import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { BlobError } from "./BlobError.js";

export interface BlobStore {
  put(bytes: Uint8Array): string;
  get(digest: string): Uint8Array | undefined;
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
   * Optional: drops these blobs if they were put since the last `sync()` (no event names them: an
   * import that was refused); others are left as they are.
   */
  discard?(digests: Iterable<string>): void;
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
    if (!this.#blobs.has(digest)) this.#blobs.set(digest, new Uint8Array(bytes));
    return digest;
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

  /** Drops these blobs (nothing here is durable: pass only digests you added and no event names). */
  discard(digests: Iterable<string>): void {
    for (const d of digests) if (d !== EMPTY_DIGEST) this.#blobs.delete(d);
  }
}

/**
 * A blob store on disk: `<dir>/sha256/<hex>`. A blob is written to a temporary file and is only given
 * its name by `sync()`, after its bytes are fsynced — so a named blob is always whole, even after a power
 * loss, and a blob is durable before any event naming it is appended (the engine syncs first). Until
 * then it is served from its temporary file. Reads check the digest (streams at their end), so bytes
 * changed on disk are refused, never served. Streams in and out, so a 1 GiB file never needs 1 GiB of
 * memory. Nothing is created on disk before the first write: a read-only user never makes directories.
 */
export class DiskBlobStore implements BlobStore {
  readonly dir: string;
  /** Blobs written but not yet synced: digest → temporary file. */
  readonly #pending = new Map<string, string>();
  #ready = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  #path(digest: string): string {
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
    return join(this.dir, "sha256", digest.slice(7));
  }

  /** Creates the directory before the first write, and clears what a crashed writer left unnamed. */
  #prepare(): void {
    if (this.#ready) return;
    const dir = join(this.dir, "sha256");
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw BlobError.storage(e, "create the blob directory", "", dir);
    }
    // Blobs a writer that died had not synced yet: no event names them.
    for (const name of readdirSync(dir)) {
      const m = /^\.(?:pending|incoming)-(\d+)-/.exec(name);
      if (m && !processAlive(Number(m[1]))) rmSync(join(dir, name), { force: true });
    }
    this.#ready = true;
  }

  #tmp(): string {
    return join(this.dir, "sha256", `.pending-${process.pid}-${randomBytes(8).toString("hex")}`);
  }

  put(bytes: Uint8Array): string {
    const digest = sha256Digest(bytes);
    if (this.#pending.has(digest)) return digest;
    const path = this.#path(digest);
    if (existsSync(path)) return digest;
    this.#prepare();
    const tmp = this.#tmp();
    try {
      writeFileSync(tmp, bytes, { flag: "wx" });
    } catch (e) {
      rmSync(tmp, { force: true });
      throw BlobError.storage(e, "write", digest, tmp);
    }
    this.#pending.set(digest, tmp);
    return digest;
  }

  get(digest: string): Uint8Array | undefined {
    const path = this.#pending.get(digest) ?? this.#path(digest);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw BlobError.storage(e, "read", digest, path);
    }
    const actual = sha256Digest(bytes);
    if (actual !== digest) throw BlobError.corrupt(digest, path, actual);
    return bytes;
  }

  has(digest: string): boolean {
    return this.#pending.has(digest) || existsSync(this.#path(digest));
  }

  async putStream(
    source: AsyncIterable<Uint8Array>,
  ): Promise<{ digest: string; size: number; created: boolean }> {
    this.#prepare();
    const tmp = this.#tmp();
    const hash = createHash("sha256");
    let size = 0;
    const out = createWriteStream(tmp, { flags: "wx" });
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
      // A storage failure (an errno) is the store's; any other error is the source's and goes on as it is.
      const errno = /^E[A-Z0-9]+$/.test(String((e as NodeJS.ErrnoException)?.code));
      throw errno ? BlobError.storage(e, "write", "(a stream)", tmp) : e;
    }
    const digest = `sha256:${hash.digest("hex")}`;
    if (this.#pending.has(digest) || existsSync(this.#path(digest))) {
      rmSync(tmp, { force: true });
      return { digest, size, created: false };
    }
    this.#pending.set(digest, tmp);
    return { digest, size, created: true };
  }

  /** Blobs put and not yet synced (their digests). */
  get pending(): ReadonlySet<string> {
    return new Set(this.#pending.keys());
  }

  /**
   * Drops the blobs among `digests` that are not synced yet (their temporary files): an import that
   * was refused takes back what it stored. Synced blobs are durable and stay.
   */
  discard(digests: Iterable<string>): void {
    for (const digest of digests) {
      const tmp = this.#pending.get(digest);
      if (tmp === undefined) continue;
      rmSync(tmp, { force: true });
      this.#pending.delete(digest);
    }
  }

  openStream(digest: string): AsyncIterable<Uint8Array> | undefined {
    const path = this.#pending.get(digest) ?? this.#path(digest);
    return existsSync(path) ? verified(createReadStream(path), digest, path) : undefined;
  }

  /**
   * Makes every blob put so far durable: fsyncs their bytes (one syncfs for many), names them, and
   * fsyncs the directory. Resolves once all are on disk.
   */
  async sync(): Promise<void> {
    if (this.#pending.size === 0) return;
    const pending = [...this.#pending];
    const dir = join(this.dir, "sha256");
    if (pending.length > 64)
      await syncFileSystem(
        dir,
        pending.map(([, tmp]) => tmp),
      );
    else await Promise.all(pending.map(([digest, tmp]) => syncFile(tmp, digest)));
    for (const [digest, tmp] of pending) {
      try {
        renameSync(tmp, this.#path(digest));
      } catch (e) {
        throw BlobError.storage(e, "name", digest, tmp);
      }
      this.#pending.delete(digest);
    }
    try {
      const fd = openSync(dir, "r");
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (e) {
      throw BlobError.storage(e, "sync the directory", "", dir);
    }
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function syncFile(path: string, digest: string): Promise<void> {
  try {
    const handle = await open(path, "r");
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    throw BlobError.storage(e, "sync", digest, path);
  }
}

/** Syncs the whole file system holding `dir` (syncfs(2), via `sync -f`); file by file if that fails. */
async function syncFileSystem(dir: string, files: readonly string[]): Promise<void> {
  const ok = await new Promise<boolean>((resolve) => {
    execFile("sync", ["-f", dir], (error) => resolve(error === null));
  });
  if (ok) return;
  for (let i = 0; i < files.length; i += 32)
    await Promise.all(files.slice(i, i + 32).map((f) => syncFile(f, "")));
}

/** The chunks of `source`, then an error instead of the end if they do not hash to `digest`. */
async function* verified(
  source: AsyncIterable<Uint8Array>,
  digest: string,
  path: string,
): AsyncIterable<Uint8Array> {
  const hash = createHash("sha256");
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
  const actual = `sha256:${hash.digest("hex")}`;
  if (actual !== digest) throw BlobError.corrupt(digest, path, actual);
}
