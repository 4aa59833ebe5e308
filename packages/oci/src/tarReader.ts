/**
 * A streaming tar reader that keeps bytes as bytes: names are decoded as UTF-8 strictly (a name that is
 * not UTF-8 is reported, never turned into U+FFFD), and PAX `SCHILY.xattr.*` values stay raw (file
 * capabilities are binary). Reads ustar, PAX (`x`, `g`) and GNU long names (`L`, `K`); numbers in octal
 * or base-256. Entry bodies are streamed: a large file never sits in memory.
 *
 * Malformed input is a {@link TarFormatError} saying what, at which byte, and in which entry (its index,
 * and its name once its header was read): a cut-short archive says so, naming the entry it cut.
 */

import { ByteQueue } from "./ByteQueue.js";

/** The kinds of entry a tar holds. */
export type TarEntryType =
  | "file"
  | "link"
  | "symlink"
  | "directory"
  | "char-device"
  | "block-device"
  | "fifo"
  | "other";

export interface TarEntryHeader {
  /** The name, or undefined when its bytes are not UTF-8 (`rawName` then shows them). */
  readonly name: string | undefined;
  /** The name's bytes as text safe to print: UTF-8 where valid, `\xNN` elsewhere. */
  readonly rawName: string;
  readonly type: TarEntryType;
  readonly typeflag: string;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** ms since the epoch (whole seconds unless PAX says otherwise). */
  readonly mtime: number;
  /** Link target, or undefined when its bytes are not UTF-8 (`rawLinkname` shows them). */
  readonly linkname: string | undefined;
  readonly rawLinkname: string;
  /** PAX SCHILY.xattr.* records: name → raw value. */
  readonly xattrs: ReadonlyMap<string, Buffer>;
  /** Device numbers (character and block devices; 0 for anything else). */
  readonly devmajor: number;
  readonly devminor: number;
}

export interface TarEntry {
  /** Its position among the archive's entries, from 0 (extended headers are not entries). */
  readonly index: number;
  /** The byte offset of its data in the archive. */
  readonly offset: number;
  readonly header: TarEntryHeader;
  /** The entry's content, streamed; whatever is not read is skipped before the next entry. */
  readonly body: AsyncIterable<Buffer>;
}

/** The archive is not a well-formed tar. */
export class TarFormatError extends Error {
  readonly offset: number;
  /** What is wrong, without the byte offset. */
  readonly problem: string;
  /** The entry being read: its index (from 0) and, once its header was read, its name (as text safe to print). */
  entry: { readonly index: number; readonly name?: string } | undefined;
  /** Whether the archive ended too early (it was cut short). */
  readonly truncated: boolean;
  constructor(problem: string, offset: number, truncated = false) {
    super(`${problem} (at byte ${offset})`);
    this.problem = problem;
    this.offset = offset;
    this.truncated = truncated;
  }
}

const TYPES: Record<string, TarEntryType> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "link",
  "2": "symlink",
  "3": "char-device",
  "4": "block-device",
  "5": "directory",
  "6": "fifo",
};

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes as UTF-8 text, or undefined when they are not UTF-8. */
function utf8(bytes: Buffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Bytes shown as text: valid UTF-8 as is, any other byte as `\xNN`. */
export function showBytes(bytes: Buffer): string {
  const text = utf8(bytes);
  if (text !== undefined) return text;
  let out = "";
  for (const b of bytes)
    out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`;
  return out;
}

/** A NUL-terminated field. */
function field(block: Buffer, offset: number, length: number): Buffer {
  const end = block.indexOf(0, offset);
  return block.subarray(offset, end < 0 || end > offset + length ? offset + length : end);
}

function number(block: Buffer, offset: number, length: number, at: number): number {
  if ((block[offset] as number) & 0x80) {
    // base-256: big-endian two's complement, the first byte's high bit set (GNU tar writes negative
    // times this way). The result may be beyond a safe integer: callers check what they need.
    let n = BigInt((block[offset] as number) & 0x7f);
    for (let i = 1; i < length; i++) n = n * 256n + BigInt(block[offset + i] as number);
    const bits = BigInt(8 * length - 1);
    if ((block[offset] as number) & 0x40) n -= 1n << bits;
    return Number(n);
  }
  // Octal digits, maybe with leading spaces, ended by NULs or spaces (read byte by byte: this runs
  // five times per entry).
  let i = offset;
  const end = offset + length;
  while (i < end && block[i] === 0x20) i++;
  let n = 0;
  let digits = 0;
  for (; i < end; i++) {
    const b = block[i] as number;
    if (b < 0x30 || b > 0x37) break;
    n = n * 8 + (b - 0x30);
    digits++;
  }
  for (; i < end; i++) {
    const b = block[i] as number;
    if (b !== 0 && b !== 0x20) {
      const text = block.subarray(offset, end).toString("latin1");
      throw new TarFormatError(`not an octal number: ${JSON.stringify(text)}`, at + offset);
    }
  }
  return digits === 0 ? 0 : n;
}

function checksumOk(block: Buffer, at: number): boolean {
  let sum = 8 * 32;
  for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += block[i] as number;
  try {
    return sum === number(block, 148, 8, at);
  } catch {
    return false; // not even a number where the checksum goes
  }
}

/** PAX records: key → raw value. */
function parsePax(data: Buffer, at: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0) break;
    const len = Number.parseInt(data.subarray(i, space).toString("latin1"), 10);
    if (!(len > 0) || i + len > data.length) throw new TarFormatError("malformed PAX record", at + i);
    const record = data.subarray(space + 1, i + len - 1); // without the trailing newline
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw new TarFormatError("PAX record without =", at + i);
    const key = utf8(record.subarray(0, eq));
    // A key (an xattr's name among them) is carried exactly or refused, never changed into U+FFFD.
    if (key === undefined)
      throw new TarFormatError(
        `a PAX record's key is not UTF-8: ${showBytes(record.subarray(0, eq))}`,
        at + i,
      );
    out.set(key, Buffer.from(record.subarray(eq + 1)));
    i += len;
  }
  return out;
}

async function exactly(bytes: ByteQueue, n: number, what: string): Promise<Buffer> {
  if (!(await bytes.fill(n)))
    throw new TarFormatError(
      `the archive ends in the middle of ${what}: it was cut short`,
      bytes.offset,
      true,
    );
  return bytes.take(n);
}

const padded = (n: number) => Math.ceil(n / 512) * 512;

/** An extended header (PAX, GNU long name) larger than this is refused: it would sit in memory. */
export const MAX_EXTENDED_HEADER_BYTES = 1024 * 1024;

/** A size, id or time field that must be a whole number (PAX values are decimal). */
function paxNumber(value: Buffer, key: string, at: number, fraction: boolean): number {
  const text = value.toString("latin1");
  if (!(fraction ? /^-?\d+(\.\d+)?$/ : /^\d+$/).test(text))
    throw new TarFormatError(`PAX ${key} is not a number: ${JSON.stringify(text.slice(0, 40))}`, at);
  return Number(text);
}

const NO_XATTRS: ReadonlyMap<string, Buffer> = new Map();
const NO_BODY: AsyncIterable<Buffer> = {
  [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true, value: undefined }) }),
};

/** The entries of a tar, in order. Consume (or leave) each body before asking for the next entry. */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const bytes = new ByteQueue(source);
  let global = new Map<string, Buffer>();
  let pax = new Map<string, Buffer>();
  let longName: Buffer | undefined;
  let longLink: Buffer | undefined;
  let index = 0;
  /** The entry being read, for errors: its name once its header is known. */
  let current: { index: number; name?: string } = { index };
  try {
    for (;;) {
      current = { index };
      if (!(await bytes.fill(512))) {
        // Tolerated at an entry's start (an archive without its end blocks), never after an extended header.
        if (pax.size > 0 || longName || longLink)
          throw new TarFormatError(
            "the archive ends after an extended header, before its entry: it was cut short",
            bytes.offset,
            true,
          );
        if (bytes.buffered > 0)
          throw new TarFormatError(
            "the archive ends in the middle of a header: it was cut short",
            bytes.offset,
            true,
          );
        return;
      }
      const at = bytes.offset;
      const block = bytes.take(512);
      if (block.every((b) => b === 0)) {
        // The end: the rest (the second zero block, padding to a record) is read too, as tar-stream
        // did, so that whoever hashes the stream (the DiffID check) sees all of it.
        await bytes.drain();
        return;
      }
      if (!checksumOk(block, at))
        throw new TarFormatError("this is not a tar header (its checksum is wrong)", at);
      const typeflag = String.fromCharCode(block[156] as number);
      let size = number(block, 124, 12, at);
      if (!Number.isSafeInteger(size) || size < 0)
        throw new TarFormatError(`the size field is not a size (${size})`, at);
      if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K") {
        if (size > MAX_EXTENDED_HEADER_BYTES)
          throw new TarFormatError(
            `an extended header of ${size} bytes (at most ${MAX_EXTENDED_HEADER_BYTES})`,
            at,
          );
        const data = (await exactly(bytes, padded(size), "an extended header")).subarray(0, size);
        if (typeflag === "x") pax = new Map([...pax, ...parsePax(data, bytes.offset)]);
        else if (typeflag === "g") global = new Map([...global, ...parsePax(data, bytes.offset)]);
        else if (typeflag === "L") longName = field(data, 0, data.length);
        else longLink = field(data, 0, data.length);
        continue;
      }
      const records = global.size === 0 ? pax : pax.size === 0 ? global : new Map([...global, ...pax]);
      if (pax.size > 0) pax = new Map();
      let nameBytes = field(block, 0, 100);
      const ustar = block.subarray(257, 263).toString("latin1").startsWith("ustar");
      const prefix = ustar ? field(block, 345, 155) : undefined;
      if (prefix && prefix.length > 0) nameBytes = Buffer.concat([prefix, Buffer.from("/"), nameBytes]);
      if (longName) nameBytes = longName;
      const path = records.get("path");
      if (path) nameBytes = path;
      let linkBytes = longLink ?? field(block, 157, 100);
      const linkpath = records.get("linkpath");
      if (linkpath) linkBytes = linkpath;
      longName = undefined;
      longLink = undefined;
      current = { index, name: showBytes(nameBytes) };
      const num = (key: string, fallback: number, fraction = false) => {
        const v = records.get(key);
        return v === undefined ? fallback : paxNumber(v, key, at, fraction);
      };
      size = num("size", size);
      if (!Number.isSafeInteger(size)) throw new TarFormatError(`PAX size ${size} is not a size`, at);
      let xattrs: ReadonlyMap<string, Buffer> = NO_XATTRS;
      for (const [key, value] of records) {
        if (!key.startsWith("SCHILY.xattr.")) continue;
        if (xattrs === NO_XATTRS) xattrs = new Map();
        (xattrs as Map<string, Buffer>).set(key.slice("SCHILY.xattr.".length), value);
      }
      const name = utf8(nameBytes);
      const linkname = linkBytes.length === 0 ? "" : utf8(linkBytes);
      // As tar-stream read it: an old-style file entry whose name ends in / is a directory, and a
      // directory's size field carries no data.
      const oldDir = (typeflag === "0" || typeflag === "\0") && nameBytes[nameBytes.length - 1] === 0x2f;
      const type = oldDir ? "directory" : (TYPES[typeflag] ?? "other");
      const device = type === "char-device" || type === "block-device";
      const header: TarEntryHeader = {
        name,
        rawName: name ?? showBytes(nameBytes),
        type,
        typeflag,
        size: type === "directory" ? 0 : size,
        mode: number(block, 100, 8, at),
        uid: num("uid", number(block, 108, 8, at)),
        gid: num("gid", number(block, 116, 8, at)),
        mtime: Math.floor(num("mtime", number(block, 136, 12, at), true) * 1000),
        linkname,
        rawLinkname: linkname ?? showBytes(linkBytes),
        xattrs,
        devmajor: device && ustar ? number(block, 329, 8, at) : 0,
        devminor: device && ustar ? number(block, 337, 8, at) : 0,
      };
      let remaining = header.size;
      const here = current;
      const cutShort = () => {
        const e = new TarFormatError(
          `the archive ends in the middle of this entry's data (${header.size - remaining} of its ${header.size} bytes are there): it was cut short`,
          bytes.offset,
          true,
        );
        e.entry = here;
        return e;
      };
      async function* body(): AsyncGenerator<Buffer> {
        while (remaining > 0) {
          if (!(await bytes.fill(1))) throw cutShort();
          const chunk = bytes.takeSome(remaining);
          remaining -= chunk.length;
          yield chunk;
        }
      }
      yield { index, offset: bytes.offset, header, body: remaining === 0 ? NO_BODY : body() };
      // Skip what the reader left, then the padding.
      while (remaining > 0) {
        if (!(await bytes.fill(1))) throw cutShort();
        remaining -= bytes.takeSome(remaining).length;
      }
      const pad = padded(header.size) - header.size;
      if (pad > 0) await exactly(bytes, pad, "the padding after this entry's data");
      index += 1;
    }
  } catch (e) {
    if (e instanceof TarFormatError && e.entry === undefined) e.entry = current;
    throw e;
  } finally {
    await bytes.close();
  }
}
