/**
 * A pack of small blobs, so that storing 10,000 files is not 10,000 files: a directory
 * `<store>/packs/<pid>-<hex>/` holding `data` (the blobs' bytes one after another) and `index` (one
 * 64-byte record per blob: the magic `SBP1`, its sha256, offset and length in `data`, a CRC-32 of the
 * record). One process writes a pack, the one its name names; anyone reads it.
 *
 * Crash safety: a record is written only after the bytes it names are fsynced, then the index is
 * fsynced, so a record on disk always names whole bytes. What a power loss can leave is a tail: bytes
 * in `data` no record names, a record cut short. Readers stop at the first record that is not whole
 * (its CRC), and the next writer that takes the pack over (its writer died) cuts both tails off.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  type Dirent,
  fdatasync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { crc32 } from "node:zlib";
import { BlobError } from "./BlobError.js";

/** Blobs up to this size go into a pack (larger ones are files of their own). */
export const PACK_MAX_BLOB_BYTES = 1024 * 1024;
export const PACK_RECORD_BYTES = 64;
const MAGIC = Buffer.from("SBP1", "latin1");
/** Bytes are gathered into writes of about this size. */
const STAGING_BYTES = 1024 * 1024;
const datasync = promisify(fdatasync);

/** Where a blob is in a pack. */
export interface PackSpan {
  readonly offset: number;
  readonly length: number;
}

export interface PackRecord extends PackSpan {
  readonly digest: string;
}

/** A pack as readers know it: its directory and how much of its index was read. */
export class PackFile {
  name: string;
  dir: string;
  /** Bytes of the index read so far (whole records). */
  indexBytes = 0;
  constructor(packsDir: string, name: string) {
    this.name = name;
    this.dir = join(packsDir, name);
  }
  get dataPath(): string {
    return join(this.dir, "data");
  }
  get indexPath(): string {
    return join(this.dir, "index");
  }
}

/** The records of `records`, as they are written to an index. */
export function encodeRecords(records: readonly PackRecord[]): Buffer {
  const out = Buffer.alloc(records.length * PACK_RECORD_BYTES);
  for (const [i, r] of records.entries()) {
    const at = i * PACK_RECORD_BYTES;
    MAGIC.copy(out, at);
    out.write(r.digest.slice(7), at + 4, 32, "hex");
    out.writeUIntLE(r.offset, at + 36, 6);
    out.writeUInt32LE(r.length, at + 44);
    out.writeUInt32LE(crc32(out.subarray(at, at + 60)), at + 60);
  }
  return out;
}

/**
 * The whole records at the start of `bytes`, up to the first that is not (cut short, or damaged: its
 * CRC or magic is wrong): what follows it is not trusted. Returns the records and the bytes they take.
 */
export function decodeRecords(bytes: Buffer): { records: PackRecord[]; bytes: number } {
  const records: PackRecord[] = [];
  let at = 0;
  for (; at + PACK_RECORD_BYTES <= bytes.length; at += PACK_RECORD_BYTES) {
    if (bytes.compare(MAGIC, 0, 4, at, at + 4) !== 0) break;
    if (crc32(bytes.subarray(at, at + 60)) !== bytes.readUInt32LE(at + 60)) break;
    records.push({
      digest: `sha256:${bytes.toString("hex", at + 4, at + 36)}`,
      offset: bytes.readUIntLE(at + 36, 6),
      length: bytes.readUInt32LE(at + 44),
    });
  }
  return { records, bytes: at };
}

/** The records of `pack`'s index after those already read (none if it is gone). */
export function readNewRecords(pack: PackFile): PackRecord[] {
  let fd: number;
  try {
    fd = openSync(pack.indexPath, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw BlobError.storage(e, "open the pack index", "", pack.indexPath);
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= pack.indexBytes) return [];
    const bytes = Buffer.allocUnsafe(size - pack.indexBytes);
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, pack.indexBytes + got);
      if (n === 0) break;
      got += n;
    }
    const { records, bytes: used } = decodeRecords(bytes.subarray(0, got));
    pack.indexBytes += used;
    return records;
  } catch (e) {
    throw BlobError.storage(e, "read the pack index", "", pack.indexPath);
  } finally {
    closeSync(fd);
  }
}

/** The packs in `packsDir` (none if it does not exist). */
export function listPacks(packsDir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(packsDir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw BlobError.storage(e, "list the packs", "", packsDir);
  }
  return entries.filter((e) => e.isDirectory() && /^\d+-[0-9a-f]+$/.test(e.name)).map((e) => e.name);
}

/** Read-only descriptors of pack data files, shared by every store of this process (at most 32 open). */
const readFds = new Map<string, number>();
const MAX_READ_FDS = 32;

/**
 * The spans of `wanted` in groups to read at once: sorted by offset, a group ends where the next span
 * starts more than 64 KiB after it, or when it reaches 8 MiB.
 */
export function readGroups<T extends PackSpan>(wanted: readonly T[]): { span: PackSpan; members: T[] }[] {
  const sorted = [...wanted].sort((a, b) => a.offset - b.offset);
  const groups: { span: { offset: number; length: number }; members: T[] }[] = [];
  let group: (typeof groups)[number] | undefined;
  for (const s of sorted) {
    const end = group === undefined ? 0 : group.span.offset + group.span.length;
    if (group !== undefined && s.offset <= end + 64 * 1024 && end - group.span.offset < 8 * 1024 * 1024) {
      group.span.length = Math.max(end, s.offset + s.length) - group.span.offset;
      group.members.push(s);
    } else {
      group = { span: { offset: s.offset, length: s.length }, members: [s] };
      groups.push(group);
    }
  }
  return groups;
}

/** `length` bytes at `offset` of a pack's data; a path that is gone is ENOENT (thrown as it is). */
export function readPacked(path: string, span: PackSpan): Buffer {
  let fd = readFds.get(path);
  if (fd === undefined) {
    fd = openSync(path, "r");
    if (readFds.size >= MAX_READ_FDS) {
      const [oldest, oldFd] = readFds.entries().next().value as [string, number];
      readFds.delete(oldest);
      closeSync(oldFd);
    }
  } else readFds.delete(path);
  readFds.set(path, fd);
  return readFully(fd, span);
}

function readFully(fd: number, span: PackSpan): Buffer {
  const out = Buffer.allocUnsafe(span.length);
  let got = 0;
  while (got < span.length) {
    const n = readSync(fd, out, got, span.length - got, span.offset + got);
    if (n === 0) break;
    got += n;
  }
  return got === span.length ? out : out.subarray(0, got);
}

/** Forgets (and closes) the shared descriptor of a pack's data. */
function forgetReadFd(path: string): void {
  const fd = readFds.get(path);
  if (fd === undefined) return;
  readFds.delete(path);
  closeSync(fd);
}

export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function fsyncDir(dir: string): void {
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

/**
 * The pack this process appends to: bytes are gathered and written in large writes (`append`), made
 * durable by `syncData`, then named by `writeRecords` + `syncIndex`. Its descriptors are opened when
 * needed and closed by `close` (the pack stays this process's).
 */
export class PackWriter {
  readonly file: PackFile;
  readonly packsDir: string;
  /** Whether this writer made the pack (a pack it made and never named anything in can go again). */
  readonly fresh: boolean;
  /** The end of the bytes written (staged ones included). */
  dataEnd: number;
  /** The end of the bytes the index names. */
  namedEnd: number;
  #indexEnd: number;
  #dataFd: number | undefined;
  #indexFd: number | undefined;
  #staging: Buffer | undefined;
  #staged = 0;
  /** Whether the pack's directory entries were made durable. */
  #dirsDurable = false;

  private constructor(
    packsDir: string,
    file: PackFile,
    fresh: boolean,
    ends: { data: number; index: number },
  ) {
    this.packsDir = packsDir;
    this.file = file;
    this.fresh = fresh;
    this.dataEnd = ends.data;
    this.namedEnd = ends.data;
    this.#indexEnd = ends.index;
  }

  /**
   * A pack for this process in `packsDir`: one whose writer died, taken over (renamed to this
   * process's name, which only one taker can do, then its tails cut off), or a new one. `adopted` is
   * the name the pack had, with its records.
   */
  static open(packsDir: string): { writer: PackWriter; adopted?: { from: string; records: PackRecord[] } } {
    try {
      mkdirSync(packsDir, { recursive: true });
    } catch (e) {
      throw BlobError.storage(e, "create the pack directory", "", packsDir);
    }
    const name = () => `${process.pid}-${randomBytes(8).toString("hex")}`;
    for (const old of listPacks(packsDir)) {
      if (processAlive(Number(old.slice(0, old.indexOf("-"))))) continue;
      const mine = name();
      try {
        renameSync(join(packsDir, old), join(packsDir, mine));
      } catch {
        continue; // another writer took it first
      }
      const file = new PackFile(packsDir, mine);
      const records = readNewRecords(file);
      const dataEnd = records.reduce((end, r) => Math.max(end, r.offset + r.length), 0);
      const writer = new PackWriter(packsDir, file, false, { data: dataEnd, index: file.indexBytes });
      writer.#open();
      try {
        // The tails a dead writer left: bytes no record names, a record cut short.
        ftruncateSync(writer.#dataFd as number, dataEnd);
        ftruncateSync(writer.#indexFd as number, file.indexBytes);
      } catch (e) {
        throw BlobError.storage(e, "cut a dead writer's tail off", "", file.dir);
      }
      return { writer, adopted: { from: old, records } };
    }
    const file = new PackFile(packsDir, name());
    try {
      mkdirSync(file.dir);
    } catch (e) {
      throw BlobError.storage(e, "create a pack", "", file.dir);
    }
    const writer = new PackWriter(packsDir, file, true, { data: 0, index: 0 });
    writer.#open();
    return { writer };
  }

  #open(): void {
    if (this.#dataFd !== undefined) return;
    try {
      this.#dataFd = openSync(this.file.dataPath, constants.O_RDWR | constants.O_CREAT, 0o644);
      this.#indexFd = openSync(this.file.indexPath, constants.O_RDWR | constants.O_CREAT, 0o644);
    } catch (e) {
      this.close();
      throw BlobError.storage(e, "open the pack", "", this.file.dir);
    }
  }

  /** Appends `bytes`; returns their offset. They are on disk (not yet durable) once `flush` ran. */
  append(bytes: Uint8Array): number {
    this.#open();
    const offset = this.dataEnd;
    if (bytes.length > STAGING_BYTES) {
      this.flush();
      this.#write(bytes, offset);
    } else {
      if (this.#staged + bytes.length > STAGING_BYTES) this.flush();
      this.#staging ??= Buffer.allocUnsafe(STAGING_BYTES);
      this.#staging.set(bytes, this.#staged);
      this.#staged += bytes.length;
    }
    this.dataEnd += bytes.length;
    return offset;
  }

  /** Writes what is staged. */
  flush(): void {
    if (this.#staged === 0) return;
    const staged = (this.#staging as Buffer).subarray(0, this.#staged);
    this.#write(staged, this.dataEnd - this.#staged);
    this.#staged = 0;
  }

  #write(bytes: Uint8Array, at: number): void {
    let done = 0;
    try {
      while (done < bytes.length)
        done += writeSync(this.#dataFd as number, bytes, done, bytes.length - done, at + done);
    } catch (e) {
      throw BlobError.storage(e, "write", "", this.file.dataPath);
    }
  }

  /** Bytes this writer appended, in one read however many blobs they hold (staged ones written first). */
  readRange(span: PackSpan): Buffer {
    this.flush();
    this.#open();
    return readFully(this.#dataFd as number, span);
  }

  /** Bytes this writer appended (staged or written). */
  read(span: PackSpan): Buffer {
    const stagedFrom = this.dataEnd - this.#staged;
    if (span.offset >= stagedFrom) {
      const at = span.offset - stagedFrom;
      return Buffer.from((this.#staging as Buffer).subarray(at, at + span.length));
    }
    this.#open();
    return readFully(this.#dataFd as number, span);
  }

  /** Drops the bytes from `end` on (blobs discarded before they were named). */
  truncate(end: number): void {
    if (end >= this.dataEnd) return;
    this.flush();
    this.#open();
    try {
      ftruncateSync(this.#dataFd as number, end);
    } catch (e) {
      throw BlobError.storage(e, "drop discarded blobs from", "", this.file.dataPath);
    }
    this.dataEnd = end;
  }

  /** Makes every byte appended so far durable. */
  async syncData(): Promise<void> {
    this.flush();
    this.#open();
    try {
      await datasync(this.#dataFd as number);
    } catch (e) {
      throw BlobError.storage(e, "sync", "", this.file.dataPath);
    }
  }

  /** Names `records` (their bytes must be durable: `syncData` first), durably. */
  async name(records: readonly PackRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.#open();
    const bytes = encodeRecords(records);
    try {
      let done = 0;
      while (done < bytes.length)
        done += writeSync(this.#indexFd as number, bytes, done, bytes.length - done, this.#indexEnd + done);
      this.#indexEnd += bytes.length;
      await datasync(this.#indexFd as number);
    } catch (e) {
      throw BlobError.storage(e, "name blobs in", "", this.file.indexPath);
    }
    if (!this.#dirsDurable) {
      fsyncDir(this.file.dir);
      fsyncDir(this.packsDir);
      this.#dirsDurable = true;
    }
    for (const r of records) this.namedEnd = Math.max(this.namedEnd, r.offset + r.length);
    this.file.indexBytes = this.#indexEnd;
  }

  /** Whether the pack names nothing (nothing was ever synced into it). */
  get empty(): boolean {
    return this.#indexEnd === 0;
  }

  /** Closes the descriptors (they are opened again when needed). */
  close(): void {
    if (this.#dataFd !== undefined) this.flush();
    for (const fd of [this.#dataFd, this.#indexFd]) if (fd !== undefined) closeSync(fd);
    this.#dataFd = undefined;
    this.#indexFd = undefined;
    this.#staging = undefined;
  }

  /** Removes the pack (only one this writer made and named nothing in). */
  remove(): void {
    this.close();
    forgetReadFd(this.file.dataPath);
    rmSync(this.file.dir, { recursive: true, force: true });
  }
}
