/**
 * Tar headers as dockerd's archives have them (Go's archive/tar writing go-archive's headers, format
 * PAX): a ustar block when the entry fits one (a long ASCII name split into prefix and name), otherwise a
 * PAX extended header (`<dir>/PaxHeaders.0/<base>`, records sorted by key) before the entry's own block;
 * numbers in octal padded with zeros and ended by NUL; empty uname and gname (no lookups); the mode is
 * the permission bits with setuid/setgid/sticky, never the type; mtime in whole seconds. Extended
 * attributes go as `SCHILY.xattr.<name>` records, which force PAX.
 */
import { goJoin, goSplit } from "./goPath.js";

export interface GoTarEntry {
  readonly name: string;
  readonly type: "file" | "dir" | "symlink" | "link";
  /** Permission bits with 0o4000/0o2000/0o1000. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Bytes of content (files only). */
  readonly size: number;
  /** ms since the epoch (written in whole seconds). */
  readonly mtime: number;
  /** Symlink target, or the earlier entry a hard link names. */
  readonly linkname?: string;
  /** Extended attributes: name → raw value. */
  readonly xattrs?: ReadonlyMap<string, Buffer>;
}

/** Two zero blocks: the end of an archive. */
export const TAR_END: Buffer = Buffer.alloc(1024);

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function tarPadding(size: number): Buffer {
  const rest = size % 512;
  return Buffer.alloc(rest === 0 ? 0 : 512 - rest);
}

const TYPEFLAG = { file: "0", link: "1", symlink: "2", dir: "5" } as const;
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;
const isAscii = (s: string) => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};

/** Go's `splitUSTARPath`: a name over 100 bytes split at a `/` into prefix (≤155) and name (≤100). */
function splitUstar(name: string): [prefix: string, name: string] | null {
  if (name.length <= 100 || !isAscii(name)) return null;
  let i = Math.min(name.length - 1, 156);
  while (i > 0 && name[i] !== "/") i--;
  const prefix = name.slice(0, i);
  const rest = name.slice(i + 1);
  if (i <= 0 || prefix.length > 155 || rest.length > 100 || rest.length === 0) return null;
  return [prefix, rest];
}

/** A PAX record: `<length> <key>=<value>\n`, the length counting itself. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from("\n")]);
  let size = body.length + String(body.length).length;
  if (String(size).length !== String(body.length).length) size = body.length + String(size).length;
  return Buffer.concat([Buffer.from(String(size)), body]);
}

/** A field of `width` bytes holding `text` (cut to fit), NUL-terminated when there is room. */
function putString(block: Buffer, offset: number, width: number, text: string | Buffer): void {
  const bytes = typeof text === "string" ? Buffer.from(text, "latin1") : text;
  bytes.copy(block, offset, 0, Math.min(bytes.length, width));
}

/** An octal number in `width` bytes: zero-padded, NUL-terminated; 0 when it does not fit (PAX holds it). */
function putOctal(block: Buffer, offset: number, width: number, value: number): void {
  let s = Math.max(0, Math.trunc(value)).toString(8);
  if (s.length > width - 1) s = "0";
  putString(block, offset, width, s.padStart(width - 1, "0"));
}

interface Block {
  readonly name: string;
  readonly prefix: string;
  readonly typeflag: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly mtime: number;
  readonly linkname: string;
}

/** One 512-byte ustar header block. */
function block(b: Block): Buffer {
  const buf = Buffer.alloc(512);
  putString(buf, 0, 100, b.name);
  putOctal(buf, 100, 8, b.mode);
  putOctal(buf, 108, 8, b.uid);
  putOctal(buf, 116, 8, b.gid);
  putOctal(buf, 124, 12, b.size);
  putOctal(buf, 136, 12, b.mtime);
  buf.write(b.typeflag, 156, "latin1");
  putString(buf, 157, 100, b.linkname);
  buf.write("ustar\u000000", 257, "latin1");
  putOctal(buf, 329, 8, 0);
  putOctal(buf, 337, 8, 0);
  putString(buf, 345, 155, b.prefix);
  buf.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of buf) sum += byte;
  putOctal(buf, 148, 7, sum);
  buf[155] = 0x20;
  return buf;
}

/** Keeps the ASCII characters of `s` (Go's `toASCII` for the fields of a PAX entry's own block). */
const toAscii = (s: string) => [...s].filter((c) => c.charCodeAt(0) <= 0x7f).join("");

/**
 * The header block(s) of one entry.
 *
 * @example
 * goTarHeader({ name: "hostname", type: "file", mode: 0o644, uid: 0, gid: 0, size: 7, mtime: 0 });
 */
export function goTarHeader(entry: GoTarEntry): Buffer {
  const seconds = Math.floor(entry.mtime / 1000);
  const size = entry.type === "file" ? entry.size : 0;
  const linkname = entry.linkname ?? "";
  const pax = new Map<string, Buffer>();
  let ustar = true;
  const split = entry.name.length > 100 ? splitUstar(entry.name) : null;
  if (!isAscii(entry.name) || entry.name.length > 100) {
    if (split === null) ustar = false;
    pax.set("path", Buffer.from(entry.name));
  }
  if (!isAscii(linkname) || linkname.length > 100) {
    ustar = false;
    pax.set("linkpath", Buffer.from(linkname));
  }
  for (const [key, value, max] of [
    ["uid", entry.uid, MAX_OCTAL_7],
    ["gid", entry.gid, MAX_OCTAL_7],
    ["size", size, MAX_OCTAL_11],
  ] as const)
    if (value > max) {
      ustar = false;
      pax.set(key, Buffer.from(String(value)));
    }
  if (seconds < 0 || seconds > MAX_OCTAL_11) {
    ustar = false;
    pax.set("mtime", Buffer.from(String(seconds)));
  }
  for (const [name, value] of entry.xattrs ?? []) {
    ustar = false;
    pax.set(`SCHILY.xattr.${name}`, value);
  }
  const common = {
    typeflag: TYPEFLAG[entry.type],
    mode: entry.mode & 0o7777,
    uid: entry.uid,
    gid: entry.gid,
    size,
    mtime: seconds,
  };
  if (ustar)
    return block({
      ...common,
      name: split ? split[1] : entry.name,
      prefix: split ? split[0] : "",
      linkname,
    });
  const records = Buffer.concat([...pax.keys()].sort().map((key) => paxRecord(key, pax.get(key) as Buffer)));
  const [dir, file] = goSplit(entry.name);
  const paxName = toAscii(goJoin(dir, "PaxHeaders.0", file))
    .slice(0, 100)
    .replace(/\/+$/, "");
  return Buffer.concat([
    block({
      name: paxName,
      prefix: "",
      typeflag: "x",
      mode: 0,
      uid: 0,
      gid: 0,
      size: records.length,
      mtime: 0,
      linkname: "",
    }),
    records,
    tarPadding(records.length),
    block({ ...common, name: toAscii(entry.name), prefix: "", linkname: toAscii(linkname) }),
  ]);
}
