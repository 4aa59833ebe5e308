/**
 * `GET /containers/{id}/archive` as dockerd builds it (moby daemon/archive_unix.go
 * `containerArchivePath`, go-archive `TarResourceRebaseOpts` and `Tarballer`), over the container's
 * union view at one moment:
 *
 * - the path is joined to `/` and keeps a trailing `/` or `/.` (`PreserveTrailingDotOrSeparator`);
 * - it is `lstat`ed: a final symlink is archived as the link itself, unless a trailing `/` makes the
 *   kernel follow it to a directory;
 * - a directory is walked (symlinks inside are never followed, names in byte order) with its entries
 *   renamed under the path's base name (`tmp/`, `tmp/x`), under `./` for `path/.`, and with no prefix
 *   for `/`; anything else is one entry named by its base name;
 * - headers are go-archive's: numeric ids, the permission and special bits, mtime in whole seconds, a
 *   second name of a hard-linked file as a link to the first, and of the extended attributes only
 *   `security.capability` (a v3 capability written as v2, as go-archive does).
 *
 * The stat is the header `X-Docker-Container-Path-Stat` the client needs. File contents are read from
 * the engine's blob store (fetched from beside a shared log first when this host lacks them).
 */
import { type ContainerRecord, findContainer, NotFoundError } from "@strata/core";
import type { DurableEngine } from "@strata/engine";
import { FsError, type Stat, type UnionView, type WalkEntry } from "@strata/fs";
import { followSymlinkInScope } from "./followSymlinkInScope.js";
import { goBase, goJoin, preserveTrailingDotOrSeparator } from "./goPath.js";
import { goSyscallError } from "./goSyscallError.js";
import { type GoTarEntry, goTarHeader, TAR_END, tarPadding } from "./goTarHeader.js";
import { DockerApiError } from "./shapes/errors.js";
import { type PathStat, pathStat } from "./shapes/pathStat.js";

/** A file's content is streamed from the blob store above this size, and read in one call below it. */
const STREAM_ABOVE_BYTES = 1024 * 1024;

/** The container `ref` names now, or dockerd's 404. */
export async function containerNow(
  engine: DurableEngine,
  ref: string,
): Promise<{ record: ContainerRecord; view: UnionView }> {
  await engine.catchUp();
  if (ref === "") throw new DockerApiError(400, 'invalid name or ID supplied: ""');
  const record = findContainer(engine.state, ref);
  if (!record) throw new NotFoundError("no-such-container", `No such container: ${ref}`);
  return { record, view: engine.now().view(record.context.id) };
}

/**
 * dockerd's `lstat` of `path` in container `ref`: a missing path is 404 `Could not find the file
 * <path> in container <ref>` (both as the client gave them); any other failure is the system call's
 * error, a 500.
 */
export function lstatInContainer(view: UnionView, path: string, asGiven: string, ref: string): Stat {
  try {
    return view.stat(path, { follow: false });
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    if (e.errno === "ENOENT")
      throw new NotFoundError("no-such-file", `Could not find the file ${asGiven} in container ${ref}`);
    throw new DockerApiError(500, goSyscallError(e.errno, "lstat", path));
  }
}

/** `HEAD …/archive`: the path's stat, as dockerd's `ContainerStatPath` gives it. */
export function statContainerPath(view: UnionView, path: string, ref: string): PathStat {
  const stat = lstatInContainer(view, path, path, ref);
  const linkTarget = stat.type === "symlink" ? followSymlinkInScope(view, path) : "";
  return pathStat(goBase(path), stat, linkTarget);
}

export interface ContainerArchive {
  readonly stat: PathStat;
  /** The tar, in chunks: headers, contents, padding, and the end blocks. */
  readonly tar: AsyncIterable<Buffer>;
}

/** `GET …/archive?path=`: the stat of the path and a tar of what it names. */
export async function archiveContainerPath(
  engine: DurableEngine,
  view: UnionView,
  path: string,
  ref: string,
): Promise<ContainerArchive> {
  const absPath = preserveTrailingDotOrSeparator(goJoin("/", path), path);
  const stat = lstatInContainer(view, absPath, path, ref);
  const linkTarget = stat.type === "symlink" ? followSymlinkInScope(view, absPath) : "";
  const entries: { name: string; entry: WalkEntry }[] = [];
  if (stat.type === "dir") {
    const rebase = goBase(absPath);
    const replacement = rebase === "/" ? "" : rebase;
    let root: string | undefined;
    for (const entry of view.walk(absPath)) {
      root ??= entry.path === "/" ? "" : entry.path;
      const rel = entry.path === root || entry.path === "/" ? "." : `./${entry.path.slice(root.length + 1)}`;
      entries.push({ name: rel.replace(".", replacement), entry });
    }
  } else {
    entries.push({ name: goBase(absPath), entry: { ...stat, path: absPath } });
  }
  const digests = entries.flatMap(({ entry }) => (entry.digest && entry.size > 0 ? [entry.digest] : []));
  await engine.blobs.fetch(digests);
  return {
    stat: pathStat(goBase(absPath), stat, linkTarget),
    tar: tarOf(entries, engine),
  };
}

/** The capability xattr as go-archive writes it: a v3 value becomes v2 (its root id dropped). */
function capability(entry: WalkEntry): Map<string, Buffer> | undefined {
  const value = entry.xattrs?.["security.capability"];
  if (value === undefined) return undefined;
  let bytes = Buffer.from(value, "base64");
  if (bytes[3] === 3) {
    bytes = Buffer.from(bytes.subarray(0, 20));
    bytes[3] = 2;
  }
  return new Map([["security.capability", bytes]]);
}

async function* tarOf(
  entries: readonly { name: string; entry: WalkEntry }[],
  engine: DurableEngine,
): AsyncGenerator<Buffer> {
  const firstNameOfInode = new Map<string, string>();
  for (const { name, entry } of entries) {
    const type = entry.type === "dir" ? "dir" : entry.type === "symlink" ? "symlink" : "file";
    let header: GoTarEntry = {
      name: type === "dir" && !name.endsWith("/") ? `${name}/` : name,
      type,
      mode: entry.mode,
      uid: entry.uid,
      gid: entry.gid,
      size: type === "file" ? entry.size : 0,
      mtime: entry.mtime,
      ...(type === "symlink" ? { linkname: entry.target ?? "" } : {}),
      ...(capability(entry) ? { xattrs: capability(entry) } : {}),
    };
    if (type !== "dir" && (entry.nlink ?? 1) > 1 && entry.ino !== undefined) {
      const first = firstNameOfInode.get(entry.ino);
      if (first !== undefined) header = { ...header, type: "link", linkname: first, size: 0 };
      else firstNameOfInode.set(entry.ino, header.name);
    }
    yield goTarHeader(header);
    if (header.type !== "file" || header.size === 0) continue;
    yield* contentOf(engine, entry.digest as string, header.size);
    yield tarPadding(header.size);
  }
  yield TAR_END;
}

/** A file's bytes from the blob store: streamed when large and the store can, else in one read. */
async function* contentOf(engine: DurableEngine, digest: string, size: number): AsyncGenerator<Buffer> {
  const stream = size > STREAM_ABOVE_BYTES ? engine.blobs.openStream?.(digest) : undefined;
  if (stream) {
    for await (const chunk of stream) yield Buffer.from(chunk);
    return;
  }
  const bytes = engine.blobs.get(digest);
  if (bytes === undefined) throw new DockerApiError(500, `the content ${digest} of a file is missing`);
  yield Buffer.from(bytes);
}
