/**
 * A tar reader that runs synchronously over the bytes it is given, as `tarHeader` writes: `push` chunks
 * (large ones: a layer comes in pieces of 256 KiB to 1 MiB), then `next()` parses entry after entry
 * with no await between them, and `body()` gives a small entry's data whole, as a view of the chunk
 * when it lies in one. It asks for more (`"more"`) only when the bytes it holds end inside what it
 * reads. A large body is read in pieces (`bodyChunk`), so it never sits in memory.
 *
 * Names are decoded as UTF-8 strictly (a name that is not UTF-8 is reported, never turned into U+FFFD),
 * and PAX `SCHILY.xattr.*` values stay raw (file capabilities are binary). Reads ustar, PAX (`x`, `g`)
 * and GNU long names (`L`, `K`); numbers in octal or base-256. Malformed input is a
 * {@link TarFormatError} saying what, at which byte, and in which entry (its index, and its name once
 * its header was read): a cut-short archive says so, naming the entry it cut.
 */
import { TarFormatError } from "./TarFormatError.js";

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
  /**
   * The bytes of the extended headers this entry carries: its PAX records and GNU long names, and the
   * global PAX records in effect (its xattrs come from them).
   */
  readonly extendedBytes: number;
}

/** An entry's header, where it is in the archive, and the byte offset of its data. */
export interface TarEntryStart {
  /** Its position among the archive's entries, from 0 (extended headers are not entries). */
  readonly index: number;
  /** The byte offset of its data in the archive. */
  readonly offset: number;
  readonly header: TarEntryHeader;
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
  // Plain ASCII (nearly every name) needs no decoder.
  let ascii = true;
  for (let i = 0; i < bytes.length; i++)
    if ((bytes[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  if (ascii) return bytes.toString("latin1");
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
  for (let i = 0; i < 148; i++) sum += block[i] as number;
  for (let i = 156; i < 512; i++) sum += block[i] as number;
  try {
    return sum === number(block, 148, 8, at);
  } catch {
    return false; // not even a number where the checksum goes
  }
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < 512; i++) if (block[i] !== 0) return false;
  return true;
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

/** A size or id that must be a whole number (PAX values are decimal). */
function paxNumber(value: Buffer, key: string, at: number): number {
  const text = value.toString("latin1");
  if (!/^\d+$/.test(text))
    throw new TarFormatError(`PAX ${key} is not a number: ${JSON.stringify(text.slice(0, 40))}`, at);
  return Number(text);
}

/** A PAX time (decimal seconds) in whole milliseconds, rounded down exactly (`1.005` is 1005 ms). */
function paxMillis(value: Buffer, key: string, at: number): number {
  const text = value.toString("latin1");
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new TarFormatError(`PAX ${key} is not a number: ${JSON.stringify(text.slice(0, 40))}`, at);
  const fraction = m[3] ?? "";
  const scaled = BigInt(`${m[1]}${m[2]}${fraction}`) * 1000n;
  const scale = 10n ** BigInt(fraction.length);
  let ms = scaled / scale;
  if (scaled < 0n && ms * scale !== scaled) ms -= 1n;
  return Number(ms);
}

const padded = (n: number) => Math.ceil(n / 512) * 512;
const EMPTY = Buffer.alloc(0);
const NO_RECORDS: ReadonlyMap<string, Buffer> = new Map();
const NO_XATTRS: ReadonlyMap<string, Buffer> = new Map();

/**
 * The extended headers one entry carries (its PAX and GNU long-name headers, and the global PAX records
 * in effect) hold at most this many bytes by default: they sit in memory until the entry is read.
 */
export const MAX_EXTENDED_HEADER_BYTES = 1024 * 1024;

export interface TarParserOptions {
  /** The most bytes of extended headers one entry may carry (default {@link MAX_EXTENDED_HEADER_BYTES}). */
  readonly maxEntryHeaderBytes?: number;
}

/** The tar ends too early (`truncated`: whoever reports it says it was cut short, once). */
const cutShort = (what: string, offset: number) =>
  new TarFormatError(`it ends in the middle of ${what}`, offset, true);

export class TarParser {
  /** Bytes taken so far: where the next byte is in the archive. */
  offset = 0;
  readonly #maxEntryHeaderBytes: number;
  /** Bytes of the extended headers read for the next entry, and of the global ones in effect. */
  #extendedBytes = 0;
  #globalBytes = 0;
  readonly #chunks: Buffer[] = [];
  /** The read position in the first chunk. */
  #pos = 0;
  #buffered = 0;
  #ended = false;
  /** The end blocks were read: whatever follows is counted and dropped. */
  #finished = false;
  #global: ReadonlyMap<string, Buffer> = NO_RECORDS;
  #pax: ReadonlyMap<string, Buffer> = NO_RECORDS;
  #longName: Buffer | undefined;
  #longLink: Buffer | undefined;
  /** An extended header whose data is awaited. */
  #extended: { typeflag: string; size: number } | undefined;
  #index = 0;
  /** The entry being read, for errors: its name once its header is known. */
  #current: { index: number; name?: string } = { index: 0 };
  /** The entry whose data is being read (undefined between entries). */
  #entry: { size: number; remaining: number } | undefined;

  constructor(options: TarParserOptions = {}) {
    this.#maxEntryHeaderBytes = options.maxEntryHeaderBytes ?? MAX_EXTENDED_HEADER_BYTES;
  }

  /** Gives the parser the next bytes of the archive (it keeps a view of them, not a copy). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#finished) {
      this.offset += chunk.length;
      return;
    }
    this.#chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#buffered += chunk.length;
  }

  /** No more bytes will come. */
  end(): void {
    this.#ended = true;
  }

  /** Whether `end()` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * The next entry (skipping what was not read of the one before), `"more"` when the bytes given end
   * before it does, or `"end"`: the end blocks (what follows them is dropped), or the bytes ended
   * between two entries. A malformed archive throws a {@link TarFormatError}.
   */
  next(): TarEntryStart | "more" | "end" {
    try {
      return this.#next();
    } catch (e) {
      throw this.#placed(e);
    }
  }

  #placed(e: unknown): unknown {
    if (e instanceof TarFormatError && e.entry === undefined) e.entry = this.#current;
    return e;
  }

  #next(): TarEntryStart | "more" | "end" {
    const entry = this.#entry;
    if (entry !== undefined) {
      // Skip what the reader left, then the padding.
      if (entry.remaining > 0) {
        const n = Math.min(entry.remaining, this.#buffered);
        this.#drop(n);
        entry.remaining -= n;
        if (entry.remaining > 0) {
          if (this.#ended) throw this.#bodyCutShort(entry);
          return "more";
        }
      }
      const pad = padded(entry.size) - entry.size;
      if (pad > 0) {
        if (this.#buffered < pad) {
          if (this.#ended) throw cutShort("the padding after this entry's data", this.offset);
          return "more";
        }
        this.#drop(pad);
      }
      this.#entry = undefined;
      this.#index += 1;
    }
    for (;;) {
      this.#current = { index: this.#index };
      if (this.#finished) return "end";
      const extended = this.#extended;
      if (extended !== undefined) {
        const size = padded(extended.size);
        if (this.#buffered < size) {
          if (this.#ended) throw cutShort("an extended header", this.offset);
          return "more";
        }
        const data = this.#take(size).subarray(0, extended.size);
        this.#extended = undefined;
        const t = extended.typeflag;
        if (t === "x") this.#pax = new Map([...this.#pax, ...parsePax(data, this.offset)]);
        else if (t === "g") this.#global = new Map([...this.#global, ...parsePax(data, this.offset)]);
        else if (t === "L") this.#longName = Buffer.from(field(data, 0, data.length));
        else this.#longLink = Buffer.from(field(data, 0, data.length));
        continue;
      }
      if (this.#buffered < 512) {
        if (!this.#ended) return "more";
        // Tolerated at an entry's start (an archive without its end blocks), never after an extended header.
        if (this.#pax.size > 0 || this.#longName || this.#longLink)
          throw new TarFormatError("it ends after an extended header, before its entry", this.offset, true);
        if (this.#buffered > 0) throw cutShort("a header", this.offset);
        return "end";
      }
      const at = this.offset;
      const block = this.#take(512);
      if (isZeroBlock(block)) {
        // The end: the rest (the second zero block, padding to a record) is dropped; whoever hashes
        // the stream reads it to its end.
        this.#finished = true;
        this.#drop(this.#buffered);
        return "end";
      }
      const start = this.#header(block, at);
      if (start !== undefined) return start;
    }
  }

  /** An entry's header block: the entry, or undefined for an extended header (its data comes next). */
  #header(block: Buffer, at: number): TarEntryStart | undefined {
    if (!checksumOk(block, at))
      throw new TarFormatError("this is not a tar header (its checksum is wrong)", at);
    const typeflag = String.fromCharCode(block[156] as number);
    let size = number(block, 124, 12, at);
    if (!Number.isSafeInteger(size) || size < 0)
      throw new TarFormatError(`the size field is not a size (${size})`, at);
    if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K") {
      // Counted before the header is read: several headers before one entry add up (and global ones
      // count for every entry after them).
      const carried = this.#extendedBytes + this.#globalBytes + size;
      if (carried > this.#maxEntryHeaderBytes) {
        const e = new TarFormatError(
          `an extended header of ${size} bytes makes this entry's extended headers (PAX records, global ones in effect, GNU long names) ${carried} bytes, more than ${this.#maxEntryHeaderBytes}`,
          at,
        );
        e.limit = this.#maxEntryHeaderBytes;
        throw e;
      }
      if (typeflag === "g") this.#globalBytes += size;
      else this.#extendedBytes += size;
      this.#extended = { typeflag, size };
      return undefined;
    }
    const pax = this.#pax;
    const global = this.#global;
    const records = global.size === 0 ? pax : pax.size === 0 ? global : new Map([...global, ...pax]);
    if (pax.size > 0) this.#pax = NO_RECORDS;
    const extendedBytes = this.#extendedBytes + this.#globalBytes;
    this.#extendedBytes = 0;
    let nameBytes = field(block, 0, 100);
    const ustar =
      block[257] === 0x75 &&
      block[258] === 0x73 &&
      block[259] === 0x74 &&
      block[260] === 0x61 &&
      block[261] === 0x72;
    // Only POSIX ustar (`ustar\0`) has the name's prefix there; GNU headers (`ustar ` and a space)
    // keep the access and change times in those bytes.
    const prefix = ustar && block[262] === 0 ? field(block, 345, 155) : undefined;
    if (prefix && prefix.length > 0) nameBytes = Buffer.concat([prefix, Buffer.from("/"), nameBytes]);
    if (this.#longName) nameBytes = this.#longName;
    const path = records.get("path");
    if (path) nameBytes = path;
    let linkBytes = this.#longLink ?? field(block, 157, 100);
    const linkpath = records.get("linkpath");
    if (linkpath) linkBytes = linkpath;
    this.#longName = undefined;
    this.#longLink = undefined;
    const name = utf8(nameBytes);
    this.#current = { index: this.#index, name: name ?? showBytes(nameBytes) };
    const num = (key: string, fallback: number) => {
      const v = records.get(key);
      return v === undefined ? fallback : paxNumber(v, key, at);
    };
    const mtime = records.get("mtime");
    size = num("size", size);
    if (!Number.isSafeInteger(size)) throw new TarFormatError(`PAX size ${size} is not a size`, at);
    let xattrs: ReadonlyMap<string, Buffer> = NO_XATTRS;
    for (const [key, value] of records) {
      if (!key.startsWith("SCHILY.xattr.")) continue;
      if (xattrs === NO_XATTRS) xattrs = new Map();
      (xattrs as Map<string, Buffer>).set(key.slice("SCHILY.xattr.".length), value);
    }
    const linkname = linkBytes.length === 0 ? "" : utf8(linkBytes);
    // As tar-stream reads it: an old-style file entry whose name ends in / is a directory, and a
    // directory's size field carries no data.
    const oldDir = (typeflag === "0" || typeflag === "\0") && nameBytes[nameBytes.length - 1] === 0x2f;
    const type = oldDir ? "directory" : (TYPES[typeflag] ?? "other");
    const device = type === "char-device" || type === "block-device";
    const header: TarEntryHeader = {
      name,
      rawName: this.#current.name as string,
      type,
      typeflag,
      size: type === "directory" ? 0 : size,
      mode: number(block, 100, 8, at),
      uid: num("uid", number(block, 108, 8, at)),
      gid: num("gid", number(block, 116, 8, at)),
      mtime: mtime === undefined ? number(block, 136, 12, at) * 1000 : paxMillis(mtime, "mtime", at),
      linkname,
      rawLinkname: linkname ?? showBytes(linkBytes),
      xattrs,
      devmajor: device && ustar ? number(block, 329, 8, at) : 0,
      devminor: device && ustar ? number(block, 337, 8, at) : 0,
      extendedBytes,
    };
    this.#entry = { size: header.size, remaining: header.size };
    return { index: this.#index, offset: this.offset, header };
  }

  /**
   * The rest of the current entry's data, whole (a view of the chunk when it lies in one), or
   * undefined when more bytes are needed. If the archive ends first, a cut-short error.
   */
  body(): Buffer | undefined {
    const entry = this.#entry;
    if (entry === undefined || entry.remaining === 0) return EMPTY;
    if (this.#buffered < entry.remaining) {
      if (!this.#ended) return undefined;
      entry.remaining -= this.#buffered;
      this.#drop(this.#buffered);
      throw this.#bodyCutShort(entry);
    }
    const out = this.#take(entry.remaining);
    entry.remaining = 0;
    return out;
  }

  /**
   * The next piece of the current entry's data (what is buffered of it, up to the end of a chunk), an
   * empty buffer once all of it was read, or undefined when more bytes are needed. If the archive ends
   * first, a cut-short error.
   */
  bodyChunk(): Buffer | undefined {
    const entry = this.#entry;
    if (entry === undefined || entry.remaining === 0) return EMPTY;
    if (this.#buffered === 0) {
      if (this.#ended) throw this.#bodyCutShort(entry);
      return undefined;
    }
    const first = this.#chunks[0] as Buffer;
    const out = this.#take(Math.min(entry.remaining, first.length - this.#pos));
    entry.remaining -= out.length;
    return out;
  }

  #bodyCutShort(entry: { size: number; remaining: number }): TarFormatError {
    const e = new TarFormatError(
      `it ends in the middle of this entry's data (${entry.size - entry.remaining} of its ${entry.size} bytes are there)`,
      this.offset,
      true,
    );
    e.entry = this.#current;
    return e;
  }

  /** The next `n` bytes (buffered): a view when they lie in one chunk, else a copy. */
  #take(n: number): Buffer {
    const first = this.#chunks[0] as Buffer;
    let out: Buffer;
    if (this.#pos + n <= first.length) {
      out = first.subarray(this.#pos, this.#pos + n);
    } else {
      out = Buffer.allocUnsafe(n);
      let got = 0;
      for (let i = 0; got < n; i++) {
        const c = this.#chunks[i] as Buffer;
        const from = i === 0 ? this.#pos : 0;
        got += c.copy(out, got, from, Math.min(c.length, from + n - got));
      }
    }
    this.#drop(n);
    return out;
  }

  #drop(n: number): void {
    this.offset += n;
    this.#buffered -= n;
    let rest = n;
    while (rest > 0) {
      const first = this.#chunks[0] as Buffer;
      const left = first.length - this.#pos;
      if (left <= rest) {
        rest -= left;
        this.#chunks.shift();
        this.#pos = 0;
      } else {
        this.#pos += rest;
        rest = 0;
      }
    }
  }
}
