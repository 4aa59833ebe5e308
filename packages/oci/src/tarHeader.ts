/**
 * The 512-byte header blocks of one tar entry, byte for byte as tar-stream 3 writes them (ustar; a PAX
 * extended header first when the name or link name does not fit or is not ASCII), so a layer written
 * here hashes to the same digest as one written through tar-stream's pack stream. Written out so a
 * layer can be encoded synchronously, in large chunks, without a stream per entry. Extended attributes
 * go in the PAX header as `SCHILY.xattr.<name>=<raw bytes>` records, after path and linkpath, in the
 * order given (byte order of names, from layerTar.ts). A number its field cannot hold (an owner id of
 * 2^21 or more, a size of 8 GiB or more, a time after 2242) goes in a PAX record too (`uid`, `gid`,
 * `size`, `mtime`), its field left 0, as Go's archive/tar (and so Docker) writes it; an id from 2^18 to
 * 2^21 - 1 takes the whole field (seven digits) where tar-stream would have written 777777.
 */

/** The fields our layers use (see layerTar.ts). */
export interface TarHeader {
  readonly name: string;
  readonly type: "file" | "link" | "symlink" | "directory" | "character-device" | "block-device" | "fifo";
  readonly size?: number;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtime: Date;
  readonly linkname?: string;
  /** Device numbers (character and block devices). */
  readonly devmajor?: number;
  readonly devminor?: number;
  /** Extended attributes, in the order they are written: [name, raw value]. */
  readonly xattrs?: readonly (readonly [string, Uint8Array])[];
}

const TYPEFLAG = {
  file: 0,
  link: 1,
  symlink: 2,
  "character-device": 3,
  "block-device": 4,
  directory: 5,
  fifo: 6,
  "pax-header": 72,
} as const;
/** The largest owner id in seven octal digits, and the largest size or time in eleven. */
const MAX_ID = 0o7777777;
const MAX_11 = 8 ** 11 - 1;
const ZEROS = "0000000000000000000";
const SEVENS = "7777777777777777777";
const USTAR = Buffer.from([0x75, 0x73, 0x74, 0x61, 0x72, 0x00, 0x30, 0x30]); // "ustar\0" "00"

/** Two zero blocks: the end of an archive. */
export const END_OF_TAR = Buffer.alloc(1024);

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function padding(size: number): Buffer {
  const rest = size & 511;
  return rest === 0 ? EMPTY : Buffer.alloc(512 - rest);
}
const EMPTY = Buffer.alloc(0);

/**
 * The header block(s) of an entry: with tar-stream's defaults for what is not given (no mode: 0644, or
 * 0755 for a directory), except that a mode of 0 stays 0 (tar-stream writes 0644 for it: a file or
 * device with mode 000, and a whiteout, would change on export).
 */
export function tarHeader(entry: TarHeader): Buffer[] {
  const header = {
    ...entry,
    size: !entry.size || entry.type === "symlink" ? 0 : entry.size,
    mode: entry.mode ?? (entry.type === "directory" ? 0o755 : 0o644),
    uid: entry.uid || 0,
    gid: entry.gid || 0,
  };
  // Numbers the ustar fields cannot hold, as PAX records (keys in byte order, as Go writes them).
  const seconds = Math.floor(header.mtime.getTime() / 1000);
  const numbers: [string, number][] = [];
  if (header.gid > MAX_ID) numbers.push(["gid", header.gid]);
  if (seconds > MAX_11) numbers.push(["mtime", seconds]);
  if (header.size > MAX_11) numbers.push(["size", header.size]);
  if (header.uid > MAX_ID) numbers.push(["uid", header.uid]);
  const plain = entry.xattrs?.length || numbers.length > 0 ? null : encode(header);
  if (plain) return [plain];
  const pax = encodePax(header.name, header.linkname, numbers, entry.xattrs ?? []);
  const paxHeader = {
    ...header,
    name: "PaxHeader",
    type: "pax-header" as const,
    size: pax.length,
    linkname: header.linkname ? "PaxHeader" : undefined,
    devmajor: undefined,
    devminor: undefined,
  };
  return [
    encode(paxHeader) as Buffer,
    pax,
    padding(pax.length),
    encode({
      ...paxHeader,
      size: header.size,
      type: header.type,
      devmajor: header.devmajor,
      devminor: header.devminor,
    }) as Buffer,
  ];
}

interface Encodable {
  readonly name: string;
  readonly type: keyof typeof TYPEFLAG;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: Date;
  readonly linkname?: string | undefined;
  readonly devmajor?: number | undefined;
  readonly devminor?: number | undefined;
}

/** One ustar block, or null when the entry needs a PAX header. */
function encode(h: Encodable): Buffer | null {
  let name = h.name;
  let prefix = "";
  // Past 256 bytes no split into prefix (155) and name (100) fits: PAX at once (a deep path is 4 KiB).
  if (name.length > 256 || Buffer.byteLength(name) !== name.length) return null;
  // ASCII from here on: a character is a byte.
  while (name.length > 100) {
    const i = name.indexOf("/");
    if (i === -1) return null;
    prefix += prefix ? `/${name.slice(0, i)}` : name.slice(0, i);
    name = name.slice(i + 1);
  }
  if (prefix.length > 155) return null;
  if (h.linkname && Buffer.byteLength(h.linkname) > 100) return null;
  const buf = Buffer.alloc(512);
  buf.write(name, 0, "latin1");
  octalInto(buf, 100, h.mode & 0o7777, 6);
  // A number too large for its field is in a PAX record: the field holds 0 (as Go writes it).
  idInto(buf, 108, h.uid);
  idInto(buf, 116, h.gid);
  octalInto(buf, 124, h.size > MAX_11 ? 0 : h.size, 11);
  const seconds = Math.floor(h.mtime.getTime() / 1000);
  octalInto(buf, 136, seconds > MAX_11 ? 0 : seconds, 11);
  buf[156] = 0x30 + TYPEFLAG[h.type];
  if (h.linkname) buf.write(h.linkname, 157);
  USTAR.copy(buf, 257);
  // Six digits as tar-stream writes them; seven (the whole field) for the largest minor numbers.
  const major = h.devmajor ?? 0;
  const minor = h.devminor ?? 0;
  octalInto(buf, 329, major, major > 0o777777 ? 7 : 6);
  octalInto(buf, 337, minor, minor > 0o777777 ? 7 : 6);
  if (prefix) buf.write(prefix, 345, "latin1");
  octalInto(buf, 148, checksum(buf), 6);
  return buf;
}

/**
 * `value` as `n` octal digits and a space at `offset` (as tar-stream writes it: zeros in front; all
 * sevens when it does not fit; a negative value as its 32-bit two's complement, as `toString(8)` of
 * it would not be).
 */
function octalInto(buf: Buffer, offset: number, value: number, n: number): void {
  if (value < 0 || value >= 8 ** n) {
    buf.write(octal(value, n), offset);
    return;
  }
  let v = value;
  for (let i = n - 1; i >= 0; i--) {
    buf[offset + i] = 0x30 + (v % 8);
    v = Math.floor(v / 8);
  }
  buf[offset + n] = 0x20;
}

function octal(value: number, n: number): string {
  const s = value.toString(8);
  return s.length > n ? `${SEVENS.slice(0, n)} ` : `${ZEROS.slice(0, n - s.length)}${s} `;
}

/** An owner id in its field: six digits as tar-stream writes them, seven past those, 0 past seven. */
function idInto(buf: Buffer, offset: number, id: number): void {
  const v = id > MAX_ID ? 0 : id;
  octalInto(buf, offset, v, v > 0o777777 ? 7 : 6);
}

function checksum(block: Buffer): number {
  let sum = 8 * 32;
  for (let i = 0; i < 148; i++) sum += block[i] as number;
  for (let j = 156; j < 512; j++) sum += block[j] as number;
  return sum;
}

function encodePax(
  name: string,
  linkname: string | undefined,
  numbers: readonly (readonly [string, number])[],
  xattrs: readonly (readonly [string, Uint8Array])[],
): Buffer {
  let text = "";
  if (name) text += record(` path=${name}\n`);
  if (linkname) text += record(` linkpath=${linkname}\n`);
  for (const [key, value] of numbers) text += record(` ${key}=${value}\n`);
  return Buffer.concat([
    Buffer.from(text),
    ...xattrs.map(([key, value]) => recordBytes(`SCHILY.xattr.${key}`, value)),
  ]);
}

/** A PAX record whose value is bytes (an xattr value need not be text). */
function recordBytes(key: string, value: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from("\n")]);
  const len = body.length;
  let digits = String(len).length;
  if (len + digits >= 10 ** digits) digits++;
  return Buffer.concat([Buffer.from(String(len + digits)), body]);
}

/** A PAX record: its own length in decimal, then the text. */
function record(text: string): string {
  const len = Buffer.byteLength(text);
  let digits = Math.floor(Math.log(len) / Math.log(10)) + 1;
  if (len + digits >= 10 ** digits) digits++;
  return `${len + digits}${text}`;
}
