/**
 * A blob store on disk. Blobs up to 1 MiB put whole go into packs (`<dir>/packs/`, BlobPack.ts: a file
 * per blob costs far more than the bytes of a small file); larger ones, and streams, are files of their
 * own, `<dir>/sha256/<hex>` (the only layout of stores written before packs, still read).
 *
 * Durable before named: a packed blob is named by its index record, written only after its bytes are
 * fsynced; a file is written under a temporary name and renamed to its digest only after it is fsynced.
 * Both happen in `sync()`, which the engine calls before appending an event that names the blobs; until
 * then a blob is served from where it was written. Reads check the digest (streams at their end), so
 * bytes changed on disk are refused, never served. Nothing is created on disk before the first write.
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
import {
  listPacks,
  PACK_MAX_BLOB_BYTES,
  PackFile,
  type PackRecord,
  type PackSpan,
  PackWriter,
  processAlive,
  readGroups,
  readNewRecords,
  readPacked,
} from "./BlobPack.js";
import { BlobStage, StageLedger } from "./BlobStage.js";
import { type BlobStore, sha256Digest } from "./BlobStore.js";

/** A packed blob that is named: its pack and place. */
interface Packed extends PackSpan {
  readonly pack: PackFile;
}

export class DiskBlobStore implements BlobStore {
  readonly dir: string;
  /** Files written but not yet synced: digest → temporary file. */
  readonly #pending = new Map<string, string>();
  /** Blobs appended to this store's pack and not yet named. */
  readonly #packPending = new Map<string, PackSpan>();
  /** Of those, the ones a `sync()` in progress is naming (a discard leaves them). */
  readonly #naming = new Set<string>();
  /** Named packed blobs known here: digest → where. */
  readonly #packed = new Map<string, Packed>();
  /** Packs known here, by name. */
  readonly #packs = new Map<string, PackFile>();
  #writer: PackWriter | undefined;
  #packsRead = false;
  #looseReady = false;
  /** The `sync()` calls in progress, one after the other. */
  #syncing: Promise<void> = Promise.resolve();
  /** Which imports' stages hold which pending blobs (BlobStage.ts). */
  readonly #stages = new StageLedger();

  constructor(dir: string) {
    this.dir = dir;
  }

  get #packsDir(): string {
    return join(this.dir, "packs");
  }

  #path(digest: string): string {
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
    return join(this.dir, "sha256", digest.slice(7));
  }

  /** Reads the records of every pack not read yet (or read up to an earlier end). */
  #readPacks(): void {
    this.#packsRead = true;
    for (const name of listPacks(this.#packsDir)) {
      let pack = this.#packs.get(name);
      if (pack === undefined) {
        pack = new PackFile(this.#packsDir, name);
        this.#packs.set(name, pack);
      }
      if (pack === this.#writer?.file) continue;
      this.#learn(pack, readNewRecords(pack));
    }
  }

  #learn(pack: PackFile, records: readonly PackRecord[]): void {
    for (const r of records) this.#packed.set(r.digest, { pack, offset: r.offset, length: r.length });
  }

  /** Where a blob is packed, looking at the packs again if it is not known (another writer may have named it). */
  #findPacked(digest: string, fresh: boolean): Packed | undefined {
    if (!this.#packsRead) this.#readPacks();
    const found = this.#packed.get(digest);
    if (found !== undefined || !fresh) return found;
    this.#readPacks();
    return this.#packed.get(digest);
  }

  /** This store's pack, taking over one whose writer died or making one. */
  #packWriter(): PackWriter {
    if (this.#writer !== undefined) return this.#writer;
    if (!this.#packsRead) this.#readPacks();
    const { writer, adopted } = PackWriter.open(this.#packsDir);
    if (adopted !== undefined) {
      const known = this.#packs.get(adopted.from);
      this.#packs.delete(adopted.from);
      if (known !== undefined) {
        known.name = writer.file.name;
        known.dir = writer.file.dir;
        known.indexBytes = writer.file.indexBytes;
      }
      const file = known ?? writer.file;
      this.#learn(file, adopted.records);
    }
    this.#packs.set(writer.file.name, writer.file);
    this.#writer = writer;
    return writer;
  }

  /** Creates the file directory before the first file, and clears what a crashed writer left unnamed. */
  #prepareLoose(): void {
    if (this.#looseReady) return;
    const dir = join(this.dir, "sha256");
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw BlobError.storage(e, "create the blob directory", "", dir);
    }
    // Files a writer that died had not synced yet: no event names them.
    for (const name of readdirSync(dir)) {
      const m = /^\.(?:pending|incoming)-(\d+)-/.exec(name);
      if (m && !processAlive(Number(m[1]))) rmSync(join(dir, name), { force: true });
    }
    this.#looseReady = true;
  }

  #tmp(): string {
    return join(this.dir, "sha256", `.pending-${process.pid}-${randomBytes(8).toString("hex")}`);
  }

  put(bytes: Uint8Array): string {
    return this.add(bytes).digest;
  }

  /** Stores `bytes` and says whether they are new here (`created`: the store did not hold them). */
  add(bytes: Uint8Array): { digest: string; created: boolean } {
    const stored = this.#add(bytes);
    this.#stages.note(stored.digest, stored.created);
    return stored;
  }

  /**
   * A stage for one import (BlobStage.ts): what it puts is held for it until it keeps or discards it;
   * a discard drops what no one else put or holds, if it is not synced yet.
   */
  stage(): BlobStage {
    return new BlobStage(this, this.#stages, {
      add: (bytes, stage) => {
        const stored = this.#add(bytes);
        this.#stages.note(stored.digest, stored.created, stage);
        return stored;
      },
      putStream: (source, stage) => this.#putStream(source, stage),
      drop: (digests) => this.discard(digests),
    });
  }

  #add(bytes: Uint8Array): { digest: string; created: boolean } {
    const digest = sha256Digest(bytes);
    if (this.#pending.has(digest) || this.#packPending.has(digest)) return { digest, created: false };
    if (bytes.length <= PACK_MAX_BLOB_BYTES) {
      if (this.#findPacked(digest, false) !== undefined) return { digest, created: false };
      const writer = this.#packWriter();
      this.#packPending.set(digest, { offset: writer.append(bytes), length: bytes.length });
      return { digest, created: true };
    }
    const path = this.#path(digest);
    if (existsSync(path)) return { digest, created: false };
    this.#prepareLoose();
    const tmp = this.#tmp();
    try {
      writeFileSync(tmp, bytes, { flag: "wx" });
    } catch (e) {
      rmSync(tmp, { force: true });
      throw BlobError.storage(e, "write", digest, tmp);
    }
    this.#pending.set(digest, tmp);
    return { digest, created: true };
  }

  get(digest: string): Uint8Array | undefined {
    const path = this.#path(digest);
    const found = this.#read(digest, path);
    if (found === undefined) return undefined;
    const actual = sha256Digest(found.bytes);
    if (actual !== digest) throw BlobError.corrupt(digest, found.where, actual);
    return found.bytes;
  }

  getMany(digests: readonly string[]): Map<string, Uint8Array> {
    const out = new Map<string, Uint8Array>();
    const writer = this.#writer;
    const mine: PackRecord[] = [];
    const byPack = new Map<PackFile, PackRecord[]>();
    /** Blobs read one by one: files, and blobs of a pack that moved. */
    const single: string[] = [];
    for (const digest of digests) {
      this.#path(digest); // a digest of the wrong form is refused as get refuses it
      const own = this.#packPending.get(digest);
      if (own !== undefined && writer !== undefined) {
        mine.push({ digest, ...own });
        continue;
      }
      const packed = this.#pending.has(digest) ? undefined : this.#findPacked(digest, false);
      if (packed === undefined) {
        single.push(digest);
        continue;
      }
      const list = byPack.get(packed.pack) ?? [];
      if (list.length === 0) byPack.set(packed.pack, list);
      list.push({ digest, offset: packed.offset, length: packed.length });
    }
    const take = (group: { span: PackSpan; members: PackRecord[] }, bytes: Buffer, where: string) => {
      for (const m of group.members) {
        const at = m.offset - group.span.offset;
        const blob = bytes.subarray(at, at + m.length);
        const actual = sha256Digest(blob);
        if (actual !== m.digest) throw BlobError.corrupt(m.digest, where, actual);
        out.set(m.digest, blob);
      }
    };
    if (writer !== undefined)
      for (const group of readGroups(mine)) take(group, writer.readRange(group.span), writer.file.dataPath);
    for (const [pack, list] of byPack)
      for (const group of readGroups(list)) {
        let bytes: Buffer;
        try {
          bytes = readPacked(pack.dataPath, group.span);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "ENOENT")
            throw BlobError.storage(e, "read", group.members[0]?.digest ?? "", pack.dataPath);
          for (const m of group.members) single.push(m.digest);
          continue;
        }
        take(group, bytes, pack.dataPath);
      }
    for (const digest of single) {
      const bytes = this.get(digest);
      if (bytes !== undefined) out.set(digest, bytes);
    }
    return out;
  }

  /** The bytes stored under `digest` (not checked yet) and where they were read. */
  #read(digest: string, path: string): { bytes: Buffer; where: string } | undefined {
    const mine = this.#packPending.get(digest);
    const writer = this.#writer;
    if (mine !== undefined && writer !== undefined)
      return { bytes: writer.read(mine), where: writer.file.dataPath };
    const loose = this.#pending.get(digest);
    if (loose !== undefined) return readLoose(digest, loose);
    for (const fresh of [false, true]) {
      const packed = this.#findPacked(digest, fresh);
      if (packed === undefined) continue;
      const where = packed.pack.dataPath;
      try {
        return { bytes: readPacked(where, packed), where };
      } catch (e) {
        // The pack was taken over (renamed) by another writer since it was read: look again.
        if ((e as NodeJS.ErrnoException).code === "ENOENT" && !fresh) continue;
        throw BlobError.storage(e, "read", digest, where);
      }
    }
    return readLoose(digest, path);
  }

  has(digest: string): boolean {
    if (this.#pending.has(digest) || this.#packPending.has(digest)) return true;
    const path = this.#path(digest);
    return (
      this.#findPacked(digest, false) !== undefined ||
      existsSync(path) ||
      this.#findPacked(digest, true) !== undefined
    );
  }

  putStream(source: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number; created: boolean }> {
    return this.#putStream(source);
  }

  async #putStream(
    source: AsyncIterable<Uint8Array>,
    stage?: BlobStage,
  ): Promise<{ digest: string; size: number; created: boolean }> {
    this.#prepareLoose();
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
    // Noted in the step that decides `created`: no other put comes between.
    const created = !this.has(digest);
    if (created) this.#pending.set(digest, tmp);
    else rmSync(tmp, { force: true });
    this.#stages.note(digest, created, stage);
    return { digest, size, created };
  }

  /** Blobs put and not yet synced (their digests). */
  get pending(): ReadonlySet<string> {
    return new Set([...this.#pending.keys(), ...this.#packPending.keys()]);
  }

  /**
   * Drops the blobs among `digests` that are not synced yet, whoever put them: what a stage uses to
   * drop what no one holds (their files go, and their bytes at the end of the pack). Synced blobs are
   * durable and stay.
   */
  discard(digests: Iterable<string>): void {
    let dropped = false;
    for (const digest of digests) {
      const tmp = this.#pending.get(digest);
      if (tmp !== undefined) {
        rmSync(tmp, { force: true });
        this.#pending.delete(digest);
      }
      if (this.#packPending.has(digest) && !this.#naming.has(digest)) {
        this.#packPending.delete(digest);
        dropped = true;
      }
    }
    const writer = this.#writer;
    if (!dropped || writer === undefined) return;
    // The bytes of blobs still pending (or being named) stay; the pack is cut back after the last.
    let end = writer.namedEnd;
    for (const span of this.#packPending.values()) end = Math.max(end, span.offset + span.length);
    writer.truncate(end);
    if (this.#packPending.size === 0) this.#idle(writer);
  }

  /** This store's pack when nothing of it is pending: closed, or removed if it never named anything. */
  #idle(writer: PackWriter): void {
    if (writer.fresh && writer.empty) {
      writer.remove();
      this.#packs.delete(writer.file.name);
      this.#writer = undefined;
    } else writer.close();
  }

  openStream(digest: string): AsyncIterable<Uint8Array> | undefined {
    const path = this.#path(digest);
    const loose = this.#pending.get(digest);
    if (loose !== undefined) return verified(createReadStream(loose), digest, loose);
    const packed = () => this.#packPending.has(digest) || this.#findPacked(digest, false) !== undefined;
    if (!packed() && existsSync(path)) return verified(createReadStream(path), digest, path);
    if (!packed() && this.#findPacked(digest, true) === undefined) return undefined;
    // A packed blob is small: read whole (and checked) when the stream is read.
    const get = () => this.get(digest);
    return (async function* () {
      const bytes = get();
      if (bytes === undefined) throw BlobError.missing(digest);
      yield bytes;
    })();
  }

  /**
   * Makes every blob put so far durable: fsyncs the pack's new bytes and names them (then fsyncs the
   * index); fsyncs new files (one syncfs for many), names them, and fsyncs their directory. Resolves
   * once all are on disk. Calls run one after the other.
   */
  sync(): Promise<void> {
    const run = this.#syncing.then(() => this.#syncNow());
    this.#syncing = run.catch(() => {});
    return run;
  }

  async #syncNow(): Promise<void> {
    await this.#syncPacked();
    await this.#syncLoose();
  }

  async #syncPacked(): Promise<void> {
    const writer = this.#writer;
    if (writer === undefined || this.#packPending.size === 0) return;
    const records = [...this.#packPending].map(([digest, span]) => ({ digest, ...span }));
    for (const r of records) this.#naming.add(r.digest);
    try {
      await writer.syncData();
      await writer.name(records);
    } finally {
      for (const r of records) this.#naming.delete(r.digest);
    }
    for (const r of records) {
      this.#packPending.delete(r.digest);
      this.#packed.set(r.digest, { pack: writer.file, offset: r.offset, length: r.length });
    }
    if (this.#packPending.size === 0) writer.close();
  }

  async #syncLoose(): Promise<void> {
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

function readLoose(digest: string, path: string): { bytes: Buffer; where: string } | undefined {
  try {
    return { bytes: readFileSync(path), where: path };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw BlobError.storage(e, "read", digest, path);
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
