/**
 * `PUT /containers/{id}/archive` (`docker cp` into a container): a tar extracted into a directory of the
 * container as dockerd does it (moby daemon/archive_unix.go `containerExtractToDir`, go-archive
 * `Unpack`/`createTarFile` run inside the container's root), every change made through the engine as
 * the `fs.*` commands it is, so each one is an event in the log:
 *
 * - the destination is the path with every symlink followed inside the container root; missing, it is
 *   404 `Could not find the file <path> in container <ref>`; not a directory, 400 `extraction point is
 *   not a directory`;
 * - the whole upload is read and checked before anything is written (dockerd writes as it reads): a name
 *   leaving the destination (`../x`) is `"../x" is outside of "/dest"`, a relative symlink or a hard link
 *   whose target leaves it is `invalid symlink …` / `invalid hardlink …` (absolute symlink targets are
 *   fine: they resolve inside the container root), device nodes and FIFOs are refused (the model has
 *   none), a malformed tar is refused; file contents go to the blob store as they arrive;
 * - then, per entry: missing parent directories are made (0755, root); an existing entry is replaced
 *   unless both are directories (then merged), and with `noOverwriteDirNonDir` a directory never
 *   replaces a non-directory nor the reverse; the entry is made, owned by the archive's ids (or with
 *   `copyUIDGID` by the container's user), given its extended attributes, its mode (not a symlink's) and
 *   its times; directories get their times last, so what is extracted into them does not change them.
 *
 * Paths go through the engine's resolution: a write through a symlink lands where it points inside the
 * container root, never outside it. A failure part-way leaves what was done (as dockerd does); an
 * ENOENT on the way is dockerd's 404 for the destination.
 */
import type { Command, ContainerRecord } from "@strata/core";
import { NotFoundError } from "@strata/core";
import type { DurableEngine } from "@strata/engine";
import { FsError, resolve, type Stat, type UnionView } from "@strata/fs";
import { entryPath, readTar, TarFormatError } from "@strata/oci";
import { containerNow } from "./containerArchive.js";
import { copyOwner } from "./containerUser.js";
import { goClean, goDir, goJoin, goQuote, preserveTrailingDotOrSeparator } from "./goPath.js";
import { goSyscallError } from "./goSyscallError.js";
import { DockerApiError } from "./shapes/errors.js";
import { uploadStream } from "./uploadStream.js";

export interface ExtractOptions {
  /** The container as the client named it. */
  readonly container: string;
  /** The directory to extract into, as the client gave it. */
  readonly path: string;
  readonly copyUIDGID: boolean;
  readonly noOverwriteDirNonDir: boolean;
  /** The request body. */
  readonly body: AsyncIterable<Uint8Array>;
  /** The largest body accepted (and the largest archive once decompressed). */
  readonly limit: number;
}

/** One checked entry of the upload, ready to apply. */
type Planned = {
  /** The entry's path in the container (destination joined with its name). */
  readonly path: string;
  /** Its name in the archive, cleaned. */
  readonly name: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  readonly xattrs: ReadonlyMap<string, Buffer>;
} & (
  | { readonly kind: "dir" }
  | { readonly kind: "file"; readonly digest: string; readonly size: number }
  | { readonly kind: "symlink"; readonly target: string }
  | { readonly kind: "link"; readonly target: string }
);

/** Files up to this size are stored in one call; larger ones are streamed into the blob store. */
const STREAM_ABOVE_BYTES = 1024 * 1024;
/** The largest uid or gid a file can have. */
const MAX_ID = 0xffffffff;
/** The latest time a file can have (Go's time limit for utimes, 2262); later and earlier ones are 0. */
const MAX_TIME_MS = 9_223_372_036_854;

/** go-archive `boundTime`: a time before the epoch or past the limit becomes the epoch. */
const boundTime = (ms: number) => (Number.isSafeInteger(ms) && ms >= 0 && ms <= MAX_TIME_MS ? ms : 0);

/** Extracts the upload into the container (see the module comment). */
export async function extractToContainer(engine: DurableEngine, options: ExtractOptions): Promise<void> {
  const ref = options.container;
  const { record, view } = await containerNow(engine, ref);
  const dest = destination(view, options.path, ref);
  const owner = options.copyUIDGID ? copyOwner(view, record.context.config.user ?? "") : null;
  const planned = await plan(engine, dest, options);
  await engine.blobs.sync?.();
  await apply(engine, record, dest, planned, owner, options);
}

/** The extraction point: the path with its symlinks followed, which must be a directory. */
function destination(view: UnionView, path: string, ref: string): string {
  const joined = goJoin("/", path);
  let comps: readonly string[];
  try {
    const r = resolve(view.overlay, joined, "follow", "lstat");
    if (r.pair === undefined) throw new FsError("ENOENT", "lstat", joined);
    comps = r.comps;
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    if (e.errno === "ENOENT")
      throw new NotFoundError("no-such-file", `Could not find the file ${path} in container ${ref}`);
    throw new DockerApiError(500, goSyscallError(e.errno, "lstat", joined));
  }
  const absPath = preserveTrailingDotOrSeparator(`/${comps.join("/")}`, path);
  if (view.stat(absPath, { follow: false }).type !== "dir")
    throw new DockerApiError(400, "extraction point is not a directory");
  return goClean(absPath);
}

/** Reads the whole upload and checks every entry; file contents go to the blob store. */
async function plan(engine: DurableEngine, dest: string, options: ExtractOptions): Promise<Planned[]> {
  const refused = (message: string) => new DockerApiError(500, message);
  const out: Planned[] = [];
  try {
    for await (const { header: h, body } of readTar(uploadStream(options.body, options.limit))) {
      if (h.name === undefined)
        throw refused(`the name ${h.rawName} is not UTF-8: Strata keeps names exactly or refuses them`);
      const name = goClean(h.name);
      const entry = entryPath(h.name);
      if ("error" in entry) throw refused(`${goQuote(name)} is outside of ${goQuote(dest)}`);
      if ("skip" in entry) continue;
      const path = goJoin(dest, entry.path);
      for (const id of [h.uid, h.gid])
        if (!Number.isSafeInteger(id) || id < 0 || id > MAX_ID)
          throw refused(goSyscallError("EINVAL", "lchown", path));
      const meta = {
        path,
        name,
        mode: h.mode & 0o7777,
        uid: h.uid,
        gid: h.gid,
        mtime: boundTime(h.mtime),
        xattrs: h.xattrs,
      };
      const linkname = () => {
        if (h.linkname === undefined)
          throw refused(
            `the link target ${h.rawLinkname} of ${name} is not UTF-8: Strata keeps names exactly or refuses them`,
          );
        return h.linkname;
      };
      switch (h.type) {
        case "directory":
          out.push({ ...meta, kind: "dir" });
          break;
        case "file": {
          let stored: { digest: string; size: number };
          if (engine.blobs.putStream && h.size > STREAM_ABOVE_BYTES)
            stored = await engine.blobs.putStream(body);
          else {
            const chunks: Buffer[] = [];
            for await (const c of body) chunks.push(c);
            const bytes = Buffer.concat(chunks);
            stored = { digest: engine.blobs.put(bytes), size: bytes.length };
          }
          out.push({ ...meta, kind: "file", ...stored });
          break;
        }
        case "symlink": {
          const target = linkname();
          const lands = goJoin(goDir(path), target);
          if (!lands.startsWith(dest) || target === "")
            throw refused(`invalid symlink ${goQuote(path)} -> ${goQuote(target)}`);
          out.push({ ...meta, kind: "symlink", target });
          break;
        }
        case "link": {
          const target = linkname();
          const lands = goJoin(dest, target);
          if (!lands.startsWith(dest) || "error" in entryPath(target))
            throw refused(`invalid hardlink ${goQuote(lands)} -> ${goQuote(target)}`);
          out.push({ ...meta, kind: "link", target: lands });
          break;
        }
        case "char-device":
        case "block-device":
        case "fifo":
          throw refused(`mknod ${path}: a Strata container has no device nodes or FIFOs`);
        default:
          throw refused(`unhandled tar header type ${h.typeflag.charCodeAt(0)}`);
      }
    }
  } catch (e) {
    if (e instanceof TarFormatError)
      throw new DockerApiError(
        500,
        `archive/tar: ${e.truncated ? "the archive is cut short: " : ""}${e.message}`,
      );
    throw e;
  }
  return out;
}

/** dockerd's `lstat`, or undefined for a path that does not exist (or cannot be reached). */
function lstat(view: UnionView, path: string): Stat | undefined {
  try {
    return view.stat(path, { follow: false });
  } catch (e) {
    if (e instanceof FsError) return undefined;
    throw e;
  }
}

/** Applies the checked entries through the engine (see the module comment). */
async function apply(
  engine: DurableEngine,
  record: ContainerRecord,
  dest: string,
  entries: readonly Planned[],
  owner: { uid: number; gid: number } | null,
  options: ExtractOptions,
): Promise<void> {
  const container = record.context.id;
  const view = () => engine.view(container);
  /** Runs one fs command; its refusal is dockerd's error for the system call. */
  const run = async (command: Command, op: string, path: string) => {
    const r = await engine.execute(command);
    if (r.ok) return;
    const e = r.error;
    if (e instanceof FsError) {
      if (e.errno === "ENOENT")
        throw new NotFoundError(
          "no-such-file",
          `Could not find the file ${options.path} in container ${options.container}`,
        );
      throw new DockerApiError(500, goSyscallError(e.errno, op, path));
    }
    throw e;
  };
  for (const e of entries) {
    const parent = goDir(e.path);
    if (parent !== dest && e.name.includes("/")) {
      let missing = false;
      try {
        view().stat(parent, { follow: false });
      } catch (err) {
        missing = err instanceof FsError && err.errno === "ENOENT";
      }
      if (missing)
        await run({ type: "fs.mkdir", container, path: parent, parents: true, mode: 0o755 }, "mkdir", parent);
    }
    const existing = lstat(view(), e.path);
    const isDir = e.kind === "dir";
    if (existing) {
      if (options.noOverwriteDirNonDir && existing.type === "dir" && !isDir)
        throw new DockerApiError(
          500,
          `cannot overwrite directory ${goQuote(e.path)} with non-directory ${goQuote(dest)}`,
        );
      if (options.noOverwriteDirNonDir && existing.type !== "dir" && isDir)
        throw new DockerApiError(
          500,
          `cannot overwrite non-directory ${goQuote(e.path)} with directory ${goQuote(dest)}`,
        );
      if (!(existing.type === "dir" && isDir))
        await run({ type: "fs.remove", container, path: e.path, recursive: true }, "unlinkat", e.path);
    }
    switch (e.kind) {
      case "dir":
        if (existing?.type !== "dir")
          await run({ type: "fs.mkdir", container, path: e.path, mode: e.mode & 0o777 }, "mkdir", e.path);
        break;
      case "file":
        await run(
          {
            type: "fs.writeFile",
            container,
            path: e.path,
            digest: e.digest,
            size: e.size,
            mode: e.mode & 0o777,
          },
          "open",
          e.path,
        );
        break;
      case "symlink":
        await run({ type: "fs.symlink", container, path: e.path, target: e.target }, "symlink", e.path);
        break;
      case "link":
        await run({ type: "fs.link", container, path: e.path, target: e.target }, "link", e.path);
        break;
    }
    const ids = owner ?? { uid: e.uid, gid: e.gid };
    const made = lstat(view(), e.path);
    if (made && (made.uid !== ids.uid || made.gid !== ids.gid))
      await run(
        { type: "fs.chown", container, path: e.path, uid: ids.uid, gid: ids.gid, follow: false },
        "lchown",
        e.path,
      );
    for (const [name, value] of e.xattrs)
      await run(
        {
          type: "fs.setxattr",
          container,
          path: e.path,
          name,
          value: value.toString("base64"),
          encoding: "base64",
          follow: false,
        },
        "lsetxattr",
        e.path,
      );
    // A hard link's mode and times are its target's, unless that is a symlink (go-archive's rule).
    const linksToSymlink = e.kind === "link" && lstat(view(), e.target)?.type === "symlink";
    if (e.kind !== "symlink" && !linksToSymlink) {
      const now = lstat(view(), e.path);
      if (now && (now.mode & 0o7777) !== e.mode)
        await run({ type: "fs.chmod", container, path: e.path, mode: e.mode }, "chmod", e.path);
    }
    if (e.kind === "symlink")
      await run(
        { type: "fs.utimes", container, path: e.path, mtime: e.mtime, atime: e.mtime, follow: false },
        "lutimes",
        e.path,
      );
    else if (e.kind !== "dir" && !linksToSymlink)
      await run(
        { type: "fs.utimes", container, path: e.path, mtime: e.mtime, atime: e.mtime },
        "chtimes",
        e.path,
      );
  }
  for (const e of entries)
    if (e.kind === "dir")
      await run(
        { type: "fs.utimes", container, path: e.path, mtime: e.mtime, atime: e.mtime },
        "chtimes",
        e.path,
      );
}
