/**
 * Where the files of an image layout (or a `docker save` archive) are read from: a directory, or a tar
 * archive read in place. An archive is indexed in one streamed pass (each member's offset and size)
 * and its members are then read as byte ranges of the file: nothing is extracted, so nothing is written
 * to disk and no archive member ever sits in memory, however large.
 *
 * Archives are untrusted: only the names an OCI layout or a docker archive holds are accepted (a leading
 * `./` is dropped, `.` skipped, as `tar -C dir -cf x.tar .` writes them); names must be UTF-8 (carried
 * exactly or refused, never changed into U+FFFD); symlinks and hard links (docker archives link
 * `<id>/layer.tar` to `../<hex>.tar`) are kept as aliases between those names, never followed anywhere
 * else; a name given twice, or any other kind of member, is refused before anything is imported. A
 * gzip-compressed archive is inflated into a temporary file first (inflateArchive.ts).
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { Readable } from "node:stream";
import { inflateArchive } from "./inflateArchive.js";
import { MAX_JSON_BYTES } from "./limits.js";
import { OciError } from "./OciError.js";
import { readTar, showBytes, TarFormatError } from "./tarReader.js";

/** The names a layout or a docker archive holds (after `./` is dropped). */
export const LAYOUT_NAME: RegExp =
  /^(oci-layout|index\.json|manifest\.json|repositories|blobs|blobs\/sha256|blobs\/sha256\/[a-f0-9]{64}|[a-f0-9]{64}(\.json|\.tar)?|[a-f0-9]{64}\/(layer\.tar|json|VERSION)?)$/;

export interface ImageSource {
  /** What it is, for messages: `the layout out/web`, `the archive x.tar`. */
  readonly description: string;
  /** The size of member `name`, or undefined when there is none. */
  size(name: string): number | undefined;
  /** Member `name`'s bytes, streamed. */
  open(name: string): Readable;
  /**
   * Member `name`'s bytes read synchronously, in chunks of up to 1 MiB: no hand-off to a thread per
   * chunk (an uncompressed layer is parsed as it is read).
   */
  chunks(name: string): Iterable<Buffer>;
  /**
   * Why a member may be missing beyond the source's own fault: the archive ended without the blocks
   * that end a tar (it was cut short at a member's end). Said where a member is missing.
   */
  readonly cutShort?: string;
  /** Frees what reading it took (a compressed archive's inflated copy). */
  close?(): void;
}

/** `size` bytes of `file` from `start`, read synchronously in chunks of up to 1 MiB. */
function* fileChunks(file: string, start = 0, size = Number.POSITIVE_INFINITY): Generator<Buffer> {
  const fd = openSync(file, "r");
  try {
    let at = start;
    let left = size;
    while (left > 0) {
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, left));
      const n = readSync(fd, chunk, 0, chunk.length, at);
      if (n === 0) return;
      at += n;
      left -= n;
      yield n === chunk.length ? chunk : chunk.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** Members are read in chunks of up to 1 MiB (a layer's tar is parsed over large chunks). */
const READ_CHUNK_BYTES = 1024 * 1024;

/** A canonical member name: `./` and a trailing `/` dropped; undefined for the root itself; null for `..`. */
function memberName(name: string): string | undefined | null {
  if (name.split("/").includes("..")) return null;
  const n = posix
    .normalize(name)
    .replace(/^(\.\/)+/, "")
    .replace(/\/+$/, "");
  return n === "." || n === "" ? undefined : n;
}

/** The files of a layout directory (only layout names: a docker manifest cannot name other files). */
export function directorySource(dir: string): ImageSource {
  const st = statSync(dir, { throwIfNoEntry: false });
  if (st === undefined) throw new OciError("InvalidLayout", `cannot read ${dir}: ENOENT`);
  if (!st.isDirectory())
    throw new OciError(
      "InvalidLayout",
      `${dir} is a file, not a layout directory: an archive is read by importImageArchive`,
    );
  return {
    description: `the layout ${dir}`,
    size(name) {
      if (!LAYOUT_NAME.test(name)) return undefined;
      const st = statSync(join(dir, name), { throwIfNoEntry: false });
      return st?.isFile() ? st.size : undefined;
    },
    open(name) {
      return createReadStream(join(dir, name), { highWaterMark: READ_CHUNK_BYTES });
    },
    chunks(name) {
      return fileChunks(join(dir, name));
    },
  };
}

/** The most members an archive may have (its index sits in memory; Docker's hold a few thousand). */
export const MAX_ARCHIVE_MEMBERS = 100_000;

interface Member {
  readonly offset: number;
  readonly size: number;
}

/**
 * A tar archive, indexed in one pass: members are read in place as byte ranges. A gzip-compressed one
 * (what `docker load` takes too) is inflated into a temporary file first, removed by `close()`.
 */
export async function archiveSource(file: string): Promise<ImageSource> {
  for (const [name, magic] of [
    ["bzip2", [0x42, 0x5a, 0x68]],
    ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ] as const)
    if (startsWith(file, magic))
      throw new OciError(
        "InvalidLayout",
        `${file} is ${name}-compressed: decompress it first (a plain or gzip-compressed tar is read)`,
      );
  if (!startsWith(file, [0x1f, 0x8b])) return indexArchive(file, file);
  const copy = await inflateArchive(file);
  try {
    return { ...(await indexArchive(copy.path, file)), close: copy.remove };
  } catch (e) {
    copy.remove();
    throw e;
  }
}

/** The archive `file` indexed (`shown`: its name in messages). */
async function indexArchive(file: string, shown: string): Promise<ImageSource> {
  const description = `the archive ${shown}`;
  const members = new Map<string, Member>();
  /** Links between names: name → the name it stands for. */
  const aliases = new Map<string, string>();
  const source = createReadStream(file);
  /** The last member read, to name the place of an error between members. */
  let last: string | undefined;
  /** Where the last member's data ends (the end blocks, if any, follow). */
  let end = 0;
  let count = 0;
  try {
    for await (const { index, offset, header: h } of readTar(source)) {
      const shown = h.name ?? h.rawName;
      last = shown;
      end = offset + Math.ceil(h.size / 512) * 512;
      count = index + 1;
      const where = { entry: { index, name: shown } };
      if (index >= MAX_ARCHIVE_MEMBERS)
        throw new OciError("TooLarge", `an image archive has at most ${MAX_ARCHIVE_MEMBERS} members`, where);
      if (h.name === undefined)
        throw new OciError(
          "InvalidLayout",
          "the name is not UTF-8 (names are carried exactly or refused, never changed)",
          where,
        );
      const name = memberName(h.name);
      if (name === undefined) continue; // the root directory itself
      if (name === null || !LAYOUT_NAME.test(name))
        throw new OciError("InvalidLayout", "not a name an image archive holds", where);
      if (members.has(name) || aliases.has(name))
        throw new OciError("DuplicateEntry", "the name appears twice in the archive", where);
      switch (h.type) {
        case "directory":
          continue;
        case "file":
          members.set(name, { offset, size: h.size });
          continue;
        case "symlink":
        case "link": {
          if (h.linkname === undefined)
            throw new OciError("InvalidLayout", `the link target ${h.rawLinkname} is not UTF-8`, where);
          const target = h.linkname.startsWith("/")
            ? null
            : memberName(h.type === "symlink" ? posix.join(posix.dirname(name), h.linkname) : h.linkname);
          if (target === undefined || target === null || !LAYOUT_NAME.test(target))
            throw new OciError(
              "InvalidLayout",
              `a link to ${JSON.stringify(h.linkname)}, outside the archive's files`,
              where,
            );
          aliases.set(name, target);
          continue;
        }
        default:
          throw new OciError(
            "InvalidLayout",
            `an image archive holds only files, directories and links, not a ${h.type} (tar type '${h.typeflag}')`,
            where,
          );
      }
    }
  } catch (e) {
    if (e instanceof OciError) throw e;
    if (e instanceof TarFormatError) {
      const entry = e.entry ?? { index: 0 };
      const name =
        entry.name ??
        (last === undefined ? "(the first member)" : `(the member after ${JSON.stringify(last)})`);
      const problem = e.truncated
        ? `the archive is cut short: ${e.problem}`
        : `${shown} is not a well-formed tar: ${e.problem}`;
      throw new OciError("InvalidTar", `${problem} (at byte ${e.offset} of ${shown})`, {
        entry: { index: entry.index, name },
      });
    }
    throw new OciError("InvalidLayout", `cannot read ${shown}: ${(e as Error).message}`);
  } finally {
    source.destroy();
  }
  // A tar ends with two zero blocks; without them, it ended at a member's end: cut short there, or
  // written by a tool that leaves them out (read on, as Go's archive/tar and GNU tar do).
  const cutShort =
    count > 0 && statSync(file).size < end + 1024
      ? `the archive is cut short: it ends right after member ${count} ${JSON.stringify(last)}, without the two zero blocks that end a tar`
      : undefined;
  const resolve = (name: string): Member | undefined => {
    let n = name;
    for (let i = 0; i < 8 && aliases.has(n); i++) n = aliases.get(n) as string;
    return members.get(n);
  };
  if (cutShort !== undefined && !resolve("oci-layout") && !resolve("manifest.json"))
    throw new OciError(
      "InvalidTar",
      `${cutShort}, and holds neither an OCI layout (oci-layout, index.json) nor a docker save manifest.json`,
    );
  return {
    description,
    ...(cutShort !== undefined ? { cutShort } : {}),
    size: (name) => resolve(name)?.size,
    open(name) {
      const m = resolve(name);
      if (m === undefined) throw new OciError("InvalidLayout", `${description} has no ${name}`);
      if (m.size === 0) return Readable.from([]);
      return createReadStream(file, {
        start: m.offset,
        end: m.offset + m.size - 1,
        highWaterMark: READ_CHUNK_BYTES,
      });
    },
    chunks(name) {
      const m = resolve(name);
      if (m === undefined) throw new OciError("InvalidLayout", `${description} has no ${name}`);
      return fileChunks(file, m.offset, m.size);
    },
  };
}

function startsWith(file: string, magic: readonly number[]): boolean {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new OciError(
      "InvalidLayout",
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  try {
    const head = Buffer.alloc(magic.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && magic.every((b, i) => head[i] === b);
  } finally {
    closeSync(fd);
  }
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Member `name` as JSON: at most 4 MiB (as containerd and skopeo), UTF-8 (a document that is not is
 * refused, never read with U+FFFD in it), and JSON.
 */
export async function readJson(source: ImageSource, name: string, what = name): Promise<unknown> {
  const size = source.size(name);
  if (size === undefined)
    throw new OciError(
      source.cutShort ? "InvalidTar" : "InvalidLayout",
      `${source.description} has no ${what}${source.cutShort ? ` (${source.cutShort})` : ""}`,
    );
  if (size > MAX_JSON_BYTES)
    throw new OciError(
      "TooLarge",
      `${what} is ${size} bytes: a JSON document of an image has at most ${MAX_JSON_BYTES}`,
    );
  const bytes = await readAll(source.open(name), MAX_JSON_BYTES);
  return parseJson(bytes, what);
}

/** JSON from bytes that must be UTF-8. */
export function parseJson(bytes: Buffer, what: string): unknown {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new OciError(
      "InvalidLayout",
      `${what} is not UTF-8 text (${showBytes(bytes.subarray(0, 60))}…): it is refused rather than read with its bytes changed`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new OciError("InvalidLayout", `${what} is not JSON: ${(e as Error).message}`);
  }
}

/** A stream's bytes, refusing more than `max`. */
export async function readAll(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of stream) {
      n += (c as Buffer).length;
      if (n > max) throw new OciError("TooLarge", `a document of more than ${max} bytes`);
      chunks.push(c as Buffer);
    }
  } catch (e) {
    if (e instanceof OciError) throw e;
    throw new OciError("InvalidLayout", `cannot read: ${(e as Error).message}`);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks);
}
