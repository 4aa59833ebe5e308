/**
 * The local side of `docker cp`, as moby's pkg/archive does it: a tar of a local file or directory
 * (`TarResource`, names relative to its parent, rebased as `PrepareArchiveCopy` decides), and the
 * extraction of a container's tar into a local directory (`Untar` with NoLchown and
 * NoOverwriteDirNonDir) that never writes outside that directory: no `..`, no absolute names, no
 * hard link to a file outside it, and no entry under a symbolic link.
 */
import { once } from "node:events";
import {
  chmodSync,
  createWriteStream,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join, posix } from "node:path";
import { Readable } from "node:stream";
import { END_OF_TAR, padding, readTar, type TarHeader, tarHeader } from "@strata/oci";
import { CommandError } from "../CommandSpec.js";

/** Go's `filepath.Clean` for slash paths. */
export function cleanPath(path: string): string {
  const n = posix.normalize(path);
  return n.length > 1 ? n.replace(/\/+$/, "") : n;
}

/**
 * moby's SplitPathDirEntry: the directory and the last element of the cleaned path, where a path that
 * ends in `/.` keeps `.` as its last element (`/a/b/.` → [`/a/b`, `.`]: the directory's contents).
 */
export function splitPathDirEntry(path: string): [string, string] {
  let cleaned = cleanPath(path);
  if (path === "." || path.endsWith("/.")) cleaned = cleaned === "/" ? "/." : `${cleaned}/.`;
  const cut = cleaned.lastIndexOf("/");
  if (cut < 0) return [".", cleaned];
  return [cut === 0 ? "/" : cleaned.slice(0, cut), cleaned.slice(cut + 1)];
}

/**
 * moby's RebaseArchiveEntries: the first `oldBase` in a name becomes `newBase` (`./a` → `new/a` when a
 * directory's contents, `dir/.`, land under a new name).
 */
export function rebaseName(name: string, oldBase: string, newBase: string): string {
  return name.replace(oldBase, newBase);
}

/**
 * A tar of `path` (a file, a symbolic link or a directory tree), each name relative to the path's parent
 * and passed through `rename`; streamed.
 */
export function localTar(path: string, rename: (name: string) => string = (n) => n): Readable {
  const [dir, base] = splitPathDirEntry(path);
  async function* generate(): AsyncGenerator<Buffer> {
    const inodes = new Map<string, string>();
    const walk = async function* (rel: string): AsyncGenerator<Buffer> {
      const abs = join(dir, rel);
      const st = lstatSync(abs);
      const name = rename(rel === "." ? "./" : rel);
      const common = {
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        mtime: new Date(Math.floor(st.mtimeMs / 1000) * 1000),
      };
      let header: TarHeader;
      if (st.isDirectory())
        header = { ...common, name: name.endsWith("/") ? name : `${name}/`, type: "directory" };
      else if (st.isSymbolicLink())
        header = { ...common, name, type: "symlink", linkname: readlinkSync(abs) };
      else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(key) : undefined;
        if (first !== undefined) header = { ...common, name, type: "link", linkname: first };
        else {
          if (st.nlink > 1) inodes.set(key, name);
          header = { ...common, name, type: "file", size: st.size };
        }
      } else if (st.isFIFO()) header = { ...common, name, type: "fifo" };
      else return; // sockets and devices are not copied
      yield* tarHeader(header);
      if (header.type === "file") {
        const handle = await open(abs, "r");
        try {
          let left = st.size;
          const buffer = Buffer.alloc(Math.min(1 << 20, Math.max(1, left)));
          while (left > 0) {
            const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, left));
            if (bytesRead === 0) throw new CommandError(`${abs}: the file shrank while it was read`);
            yield Buffer.from(buffer.subarray(0, bytesRead));
            left -= bytesRead;
          }
        } finally {
          await handle.close();
        }
        yield padding(st.size);
      }
      if (st.isDirectory())
        // As moby's TarWithOptions names a directory's contents (`dir/.`): `./a`, `./sub/b`.
        for (const child of readdirSync(abs).sort()) yield* walk(`${rel}/${child}`);
    };
    yield* walk(base);
    yield END_OF_TAR;
  }
  return Readable.from(generate(), { objectMode: false });
}

/** What is at a local path, following symbolic links (as moby's CopyInfoDestinationPath does). */
export function localInfo(path: string): { exists: boolean; isDir: boolean } {
  try {
    return { exists: true, isDir: statSync(path).isDirectory() };
  } catch {
    return { exists: lstatOrNull(path) !== null, isDir: false };
  }
}

/**
 * Extracts `tar` into the directory `dest`: names relative to it, as `rename` rewrites them. Refuses an
 * entry whose name or hard link leaves `dest`, or that lies under a symbolic link it would follow, or
 * that would put a file over a directory or a directory over a file. Owners are not changed (NoLchown).
 * Answers the number of bytes read.
 */
export async function untarInto(
  tar: AsyncIterable<Uint8Array>,
  dest: string,
  rename: (name: string) => string,
): Promise<void> {
  const dirTimes: [string, Date][] = [];
  for await (const entry of readTar(tar)) {
    const h = entry.header;
    if (h.name === undefined) throw new CommandError(`invalid tar header name: ${h.rawName}`);
    const rel = safeRelative(rename(h.name), h.name);
    if (rel === "") {
      for await (const _ of entry.body) {
        // the directory itself: nothing to create
      }
      continue;
    }
    const target = join(dest, rel);
    checkParents(dest, rel, h.name);
    const existing = lstatOrNull(target);
    if (existing?.isDirectory() && h.type !== "directory")
      throw new CommandError(`cannot overwrite directory "${target}" with non-directory "${h.name}"`);
    if (existing && !existing.isDirectory() && h.type === "directory")
      throw new CommandError(`cannot overwrite non-directory "${target}" with directory "${h.name}"`);
    if (existing && !existing.isDirectory()) rmSync(target);
    const mtime = new Date(h.mtime);
    switch (h.type) {
      case "directory":
        if (!existing) mkdirSync(target, { mode: h.mode & 0o7777 });
        chmodSync(target, h.mode & 0o7777);
        dirTimes.push([target, mtime]);
        break;
      case "file": {
        const file = createWriteStream(target, { mode: h.mode & 0o7777 });
        for await (const chunk of entry.body) if (!file.write(chunk)) await once(file, "drain");
        file.end();
        await once(file, "close");
        chmodSync(target, h.mode & 0o7777);
        utimesSync(target, mtime, mtime);
        break;
      }
      case "symlink":
        symlinkSync(h.linkname ?? "", target);
        break;
      case "link": {
        const linked = safeRelative(rename(h.linkname ?? ""), h.name);
        checkParents(dest, linked, h.name);
        linkSync(join(dest, linked), target);
        break;
      }
      default:
        // devices, FIFOs: docker cp needs privileges for them; skipped as rootless docker does
        break;
    }
    for await (const _ of entry.body) {
      // skip what was not read
    }
  }
  for (const [dir, time] of dirTimes.reverse()) utimesSync(dir, time, time);
}

/** The entry's path under the destination; an error if it would leave it. */
function safeRelative(name: string, shown: string): string {
  const normal = posix.normalize(`/${name}`).slice(1).replace(/\/$/, "");
  if (normal.split("/").includes("..") || posix.normalize(name).startsWith(".."))
    throw new CommandError(`invalid tar entry "${shown}": it would be written outside the destination`);
  return normal;
}

/** No directory on the way to `rel` is a symbolic link (which would carry the write elsewhere). */
function checkParents(dest: string, rel: string, shown: string): void {
  const parts = rel.split("/").slice(0, -1);
  let at = dest;
  for (const p of parts) {
    at = join(at, p);
    const st = lstatOrNull(at);
    if (st?.isSymbolicLink())
      throw new CommandError(
        `invalid tar entry "${shown}": it would be written through the symbolic link ${at}`,
      );
    if (st && !st.isDirectory())
      throw new CommandError(`invalid tar entry "${shown}": ${at} is not a directory`);
    if (!st) mkdirSync(at);
  }
}

function lstatOrNull(path: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}
