/**
 * A filesystem command → the events it appends, resolved against the union as the matching system
 * call resolves its paths (see resolvePath.ts) and answered with the errno that call answers, in the
 * kernel's order. The events name canonical paths with no symlink left in their parents; applyFsEvent
 * then checks each against the union (fsProjection's `refine` runs both before anything is appended).
 */
import { type Command, type FsEvent, type NewEvent, normalizeFsPath, pathComponents } from "@strata/core";
import { FsError } from "./FsError.js";
import { childPair, inodeOf, isEmptyDirPair, type Overlay, type Pair, shown, xattrsOf } from "./Overlay.js";
import {
  checkPathArg,
  checkSymlinkTarget,
  checkXattrName,
  NAME_MAX,
  nameTooLong,
  notBytes,
} from "./pathLimits.js";
import { lookUpLast, MAX_SYMLINK_FOLLOWS, type Resolved, resolve } from "./resolvePath.js";
import { DEVICE_OPEN } from "./rules/applyFileWritten.js";
import { KEEP_ID } from "./rules/applyMetadataChanged.js";
import { OPAQUE_YES, OVERLAY_OPAQUE } from "./rules/markOpaque.js";
import { xattrRefusal } from "./rules/xattrRefusal.js";

type FsCommand = Extract<Command, { type: `fs.${string}` }>;

const CAPABILITY = "security.capability";
/** XATTR_SIZE_MAX: the largest value of one extended attribute. */
const XATTR_SIZE_MAX = 65536;

const canonical = (comps: readonly string[]) => `/${comps.join("/")}`;

/** Owner and mode of a new entry in `parent`: root, with the directory's group (and, for a directory, its setgid bit) when it is setgid. */
function inheritFrom(
  parent: Pair | undefined,
  mode: number,
  isDir: boolean,
): { uid: number; gid: number; mode: number } {
  const dir = parent ? shown(parent) : undefined;
  if (dir?.kind === "dir" && (dir.mode & 0o2000) !== 0)
    return { uid: 0, gid: dir.gid, mode: isDir ? mode | 0o2000 : mode };
  return { uid: 0, gid: 0, mode };
}

/** The kernel drops security.capability when a file's content or owner changes. */
function dropCapability(ov: Overlay, pair: Pair, path: string): FsEvent[] {
  return xattrsOf(ov, pair)?.[CAPABILITY] === undefined
    ? []
    : [{ type: "fs.xattrRemoved", data: { path, name: CAPABILITY } }];
}

/** A name that must not be followed by `/` unless it is a directory (creation of a non-directory). */
function newName(r: Resolved, op: string, path: string, onSlash: "ENOENT"): void {
  lookUpLast(r, op, path);
  if (r.last !== "norm" || r.pair !== undefined) throw new FsError("EEXIST", op, path);
  if (r.trailingSlash) throw new FsError(onSlash, op, path, "a trailing / names a directory");
}

/** A system call that changed the layer and then failed: the events of the change, and its error. */
export interface FsFailure {
  readonly events: FsEvent[];
  readonly error: FsError;
}

/** Resolves what a filesystem command names into the events it appends, checking each against the union. */
export function resolveFsCommand(
  ov: Overlay,
  command: FsCommand,
  drafts: readonly NewEvent[],
): FsEvent[] | FsFailure {
  switch (command.type) {
    case "fs.writeFile":
    case "fs.truncate":
      return writeEvents(ov, command, drafts[0] as NewEvent);
    case "fs.mkdir":
      return command.parents
        ? mkdirParents(ov, command.path, command.mode)
        : mkdir(ov, command.path, command.mode);
    case "fs.symlink": {
      checkSymlinkTarget(command.target, "symlink", command.path);
      const r = resolve(ov, command.path, "create", "symlink");
      newName(r, "symlink", command.path, "ENOENT");
      const { uid, gid } = inheritFrom(r.parent, 0, false);
      return [
        { type: "fs.symlinkCreated", data: { path: canonical(r.comps), target: command.target, uid, gid } },
      ];
    }
    case "fs.link": {
      const target = resolve(ov, command.target, "nofollow", "link");
      if (target.pair === undefined) throw new FsError("ENOENT", "link", command.target);
      const r = resolve(ov, command.path, "create", "link");
      newName(r, "link", command.path, "ENOENT");
      return [{ type: "fs.hardLinked", data: { path: canonical(r.comps), target: canonical(target.comps) } }];
    }
    case "fs.unlink": {
      const r = lookUpLast(resolve(ov, command.path, "create", "unlink"), "unlink", command.path);
      if (r.last !== "norm") throw new FsError("EISDIR", "unlink", command.path);
      if (r.pair === undefined) throw new FsError("ENOENT", "unlink", command.path);
      if (shown(r.pair).kind === "dir") throw new FsError("EISDIR", "unlink", command.path);
      if (r.trailingSlash) throw new FsError("ENOTDIR", "unlink", command.path);
      return [{ type: "fs.removed", data: { path: canonical(r.comps) } }];
    }
    case "fs.rmdir":
    case "fs.remove": {
      const op = command.type === "fs.rmdir" ? "rmdir" : "unlink";
      const r = resolve(ov, command.path, "create", op);
      if (r.last === "dot") throw new FsError("EINVAL", "rmdir", command.path);
      lookUpLast(r, op, command.path);
      if (r.last === "dotdot") throw new FsError("ENOTEMPTY", "rmdir", command.path);
      if (r.last === "root") throw new FsError("EBUSY", "rmdir", command.path);
      if (r.pair === undefined) throw new FsError("ENOENT", op, command.path);
      const isDir = shown(r.pair).kind === "dir";
      if (!isDir && (command.type === "fs.rmdir" || r.trailingSlash))
        throw new FsError("ENOTDIR", op, command.path);
      const recursive = command.type === "fs.remove" && command.recursive === true;
      if (isDir && !recursive && !isEmptyDirPair(r.pair))
        throw new FsError("ENOTEMPTY", "rmdir", command.path);
      return [{ type: "fs.removed", data: { path: canonical(r.comps) } }];
    }
    case "fs.rename":
    case "fs.move":
      return renameEvents(ov, command.type, command.from, command.to);
    case "fs.chmod":
    case "fs.chown":
    case "fs.utimes":
    case "fs.setxattr":
    case "fs.removexattr":
      return metadataEvents(ov, command);
  }
}

function writeEvents(
  ov: Overlay,
  command: Extract<FsCommand, { type: "fs.writeFile" | "fs.truncate" }>,
  draft: NewEvent,
): FsEvent[] {
  const op = command.type === "fs.truncate" ? "truncate" : "open";
  const create = command.type === "fs.writeFile" && (command.create ?? true);
  const r = resolve(ov, command.path, "follow", op, { creat: create });
  if (r.last !== "norm") throw new FsError("EISDIR", op, command.path);
  const data = (draft as Extract<FsEvent, { type: "fs.fileWritten" }> & NewEvent).data;
  if (r.pair === undefined) {
    if (!create) throw new FsError("ENOENT", op, command.path);
    const { uid, gid } = inheritFrom(r.parent, 0, false);
    const { mtime: _m, ...fresh } = data;
    return [{ type: "fs.fileWritten", data: { ...fresh, path: canonical(r.comps), uid, gid } }];
  }
  if (shown(r.pair).kind === "dir") throw new FsError("EISDIR", op, command.path);
  if (shown(r.pair).kind === "device") {
    // truncate(2) of anything but a regular file is EINVAL; opening a device to write is not modelled.
    if (command.type === "fs.truncate")
      throw new FsError("EINVAL", op, command.path, "only a regular file can be truncated");
    throw new FsError("EPERM", op, command.path, DEVICE_OPEN);
  }
  const inode = inodeOf(ov, r.pair);
  const path = canonical(r.comps);
  // Nothing written (fsProjection's prepare keeps `append` only for an append of no bytes): the mtime
  // stays, and so does security.capability (the kernel returns before file_remove_privs). truncate(2)
  // moves the mtime even to the same size, except from empty to empty, as the oracle's tmpfs does.
  const wroteNothing = command.type === "fs.writeFile" && command.append === true;
  const keepsMtime = wroteNothing || (command.type === "fs.truncate" && data.size === 0 && inode.size === 0);
  const written: FsEvent = {
    type: "fs.fileWritten",
    data: {
      path,
      digest: data.digest,
      size: data.size,
      mode: inode.mode,
      uid: inode.uid,
      gid: inode.gid,
      ...(keepsMtime ? { mtime: inode.mtime } : {}),
    },
  };
  return [written, ...(wroteNothing ? [] : dropCapability(ov, r.pair, path))];
}

function mkdir(ov: Overlay, path: string, mode: number | undefined): FsEvent[] {
  const r = lookUpLast(resolve(ov, path, "create", "mkdir"), "mkdir", path);
  if (r.last !== "norm" || r.pair !== undefined) throw new FsError("EEXIST", "mkdir", path);
  // mkdir(2) keeps only the permission and sticky bits of its mode argument.
  const meta = inheritFrom(r.parent, (mode ?? 0o755) & 0o1777, true);
  return [{ type: "fs.dirCreated", data: { path: canonical(r.comps), ...meta } }];
}

/**
 * mkdir -p: `.` and `..` are applied to the text first; then each component is walked once, following
 * symlinks (at most 40 in all); an existing directory is fine, anything else is EEXIST (last component)
 * or ENOTDIR. The missing tail is one event (`parents: true`), so the cost is O(depth), not O(depth²).
 */
function mkdirParents(ov: Overlay, path: string, mode: number | undefined): FsEvent[] {
  checkPathArg(path, "mkdir");
  const comps = pathComponents(normalizeFsPath(path));
  let cur: Pair = { upper: ov.upper.root, lower: ov.upper.root.opaque ? undefined : ov.lower.root };
  let at: string[] = [];
  let links = 0;
  for (let i = 0; i < comps.length; i++) {
    const name = comps[i] as string;
    if (nameTooLong(name))
      throw new FsError("ENAMETOOLONG", "mkdir", path, `a name has at most ${NAME_MAX} bytes`);
    const last = i === comps.length - 1;
    const next = childPair(cur, name);
    if (next === undefined) {
      // The whole missing tail is made at once, so each of its names is checked first (the kernel's
      // mkdir -p would make the directories before a name that is too long; we refuse the whole).
      for (const rest of comps.slice(i + 1))
        if (nameTooLong(rest))
          throw new FsError("ENAMETOOLONG", "mkdir", path, `a name has at most ${NAME_MAX} bytes`);
      const meta = inheritFrom(cur, (mode ?? 0o755) & 0o1777, true);
      const target = canonical([...at, ...comps.slice(i)]);
      return [
        {
          type: "fs.dirCreated",
          data: { path: target, ...meta, ...(last ? {} : { parents: true as const }) },
        },
      ];
    }
    let pair: Pair | undefined = next;
    at.push(name);
    if (shown(next).kind === "symlink") {
      // At most 40 of these walks in all, each O(depth): the whole stays linear.
      links += 1;
      if (links > MAX_SYMLINK_FOLLOWS) throw new FsError("ELOOP", "mkdir", path);
      try {
        const r = resolve(ov, canonical(at), "follow", "mkdir");
        pair = r.pair;
        at = [...r.comps];
      } catch (e) {
        // A dangling symlink (its target's parent missing too) is "not a directory" like any other.
        if (!(e instanceof FsError && e.errno === "ENOENT")) throw e;
        pair = undefined;
      }
    }
    if (pair === undefined || shown(pair).kind !== "dir")
      throw new FsError(last ? "EEXIST" : "ENOTDIR", "mkdir", path);
    cur = pair;
  }
  return [];
}

function renameEvents(
  ov: Overlay,
  type: "fs.rename" | "fs.move",
  fromPath: string,
  toPath: string,
): FsEvent[] | FsFailure {
  // rename(2) looks up both parents, refuses `.`, `..` and `/` (EBUSY), then looks up the source.
  const from = resolve(ov, fromPath, "create", "rename");
  const to = resolve(ov, toPath, "create", "rename");
  if (from.last !== "norm") throw new FsError("EBUSY", "rename", fromPath);
  if (to.last !== "norm") throw new FsError("EBUSY", "rename", toPath);
  lookUpLast(from, "rename", fromPath);
  if (from.pair === undefined) throw new FsError("ENOENT", "rename", fromPath);
  lookUpLast(to, "rename", toPath);
  const isDir = shown(from.pair).kind === "dir";
  if (!isDir && (from.trailingSlash || to.trailingSlash))
    throw new FsError("ENOTDIR", "rename", from.trailingSlash ? fromPath : toPath);
  const src = canonical(from.comps);
  const dst = canonical(to.comps);
  if (type === "fs.rename") {
    if (opaqueBeforeRefusal(from, to, src, dst))
      return {
        events: [{ type: "fs.xattrSet", data: { path: src, name: OVERLAY_OPAQUE, value: OPAQUE_YES } }],
        error: new FsError(
          "ENOTEMPTY",
          "rename",
          toPath,
          "the directory was marked opaque first, as overlayfs does",
        ),
      };
    return [{ type: "fs.renamed", data: { from: src, to: dst } }];
  }
  // fs.move: rename(2)'s rules for the target, done as the copy-and-delete `mv` falls back to.
  if (src === dst || sameUpperInode(from.pair, to.pair))
    return [{ type: "fs.renamed", data: { from: src, to: dst } }];
  if (dst.startsWith(`${src}/`))
    throw new FsError("EINVAL", "rename", toPath, "a directory cannot move into itself");
  if (src.startsWith(`${dst}/`))
    throw new FsError("ENOTEMPTY", "rename", toPath, "the target is an ancestor of the source");
  const replaced: FsEvent[] = [];
  if (to.pair !== undefined) {
    const toIsDir = shown(to.pair).kind === "dir";
    if (isDir && !toIsDir) throw new FsError("ENOTDIR", "rename", toPath);
    if (!isDir && toIsDir) throw new FsError("EISDIR", "rename", toPath);
    if (toIsDir && !isEmptyDirPair(to.pair)) throw new FsError("ENOTEMPTY", "rename", toPath);
    replaced.push({ type: "fs.removed", data: { path: dst } });
  }
  return [
    ...replaced,
    { type: "fs.copied", data: { from: src, to: dst } },
    { type: "fs.removed", data: { path: src } },
  ];
}

/**
 * overlayfs's rename(2) marks an upper-only directory opaque when its new parent is a merge directory
 * (`trusted.overlay.opaque=y`, so that what lies below its new name cannot show through), and does so
 * before the upper filesystem renames. When that rename then refuses the target, a non-empty directory
 * that lives only in the upper layer (ENOTEMPTY: overlayfs checks only targets with a lower part
 * itself, earlier), the mark stays: the call fails, and the source is opaque. Every check that comes
 * earlier (the VFS's types and ancestor traps, overlayfs's EXDEV and its own ENOTEMPTY) is excluded.
 */
function opaqueBeforeRefusal(from: Resolved, to: Resolved, src: string, dst: string): boolean {
  const source = from.pair?.upper;
  if (source?.kind !== "dir" || source.opaque || from.pair?.lower !== undefined) return false;
  if (to.pair?.upper?.kind !== "dir" || to.pair.lower !== undefined || isEmptyDirPair(to.pair)) return false;
  if (src === dst || dst.startsWith(`${src}/`) || src.startsWith(`${dst}/`)) return false;
  return to.parent?.upper?.kind === "dir" && to.parent.lower !== undefined;
}

/** Two names of one upper inode (only upper hard links share an overlay inode). */
function sameUpperInode(a: Pair, b: Pair | undefined): boolean {
  if (b === undefined || a.upper === undefined || b.upper === undefined) return false;
  const x = a.upper;
  const y = b.upper;
  if (x.kind === "file" && y.kind === "file") return x.ino === y.ino;
  return x.kind === "symlink" && y.kind === "symlink" && x.linkId !== undefined && x.linkId === y.linkId;
}

/** A valid security.capability value: a v2 (20 bytes) or v3 (24 bytes) vfs_cap_data header. */
function validCapability(bytes: Buffer): boolean {
  if (bytes.length !== 20 && bytes.length !== 24) return false;
  const revision = bytes.readUInt32LE(0) & 0xff000000;
  return revision === (bytes.length === 20 ? 0x02000000 : 0x03000000);
}

function metadataEvents(
  ov: Overlay,
  command: Extract<
    FsCommand,
    { type: "fs.chmod" | "fs.chown" | "fs.utimes" | "fs.setxattr" | "fs.removexattr" }
  >,
): FsEvent[] {
  const op = command.type.slice(3);
  let value: Buffer | undefined;
  if (command.type === "fs.setxattr" || command.type === "fs.removexattr") {
    checkXattrName(command.name, op, command.path);
    if (command.type === "fs.setxattr") {
      if ((command.encoding ?? "utf8") === "utf8") {
        const bad = notBytes(command.value);
        if (bad?.startsWith("it is not"))
          throw new FsError(
            "EINVAL",
            op,
            command.path,
            `the value is not bytes: ${bad}; send bytes as base64`,
          );
        value = Buffer.from(command.value, "utf8");
      } else {
        value = Buffer.from(command.value, "base64");
        if (value.toString("base64") !== command.value)
          throw new FsError("EINVAL", op, command.path, "the value is not canonical base64");
      }
      if (value.length > XATTR_SIZE_MAX)
        throw new FsError("E2BIG", op, command.path, `a value has at most ${XATTR_SIZE_MAX} bytes`);
    }
  }
  const r = resolve(ov, command.path, command.follow === false ? "nofollow" : "follow", op);
  if (r.pair === undefined) throw new FsError("ENOENT", op, command.path);
  const node = shown(r.pair);
  const path = canonical(r.comps);
  switch (command.type) {
    case "fs.chmod":
      // fchmodat(AT_SYMLINK_NOFOLLOW) on a symlink: Linux cannot change a link's mode.
      if (node.kind === "symlink")
        throw new FsError("ENOTSUP", "chmod", command.path, "the mode of a symlink cannot change");
      return [{ type: "fs.modeChanged", data: { path, mode: command.mode } }];
    case "fs.chown": {
      const current =
        node.kind === "file" ? inodeOf(ov, r.pair) : node.kind === "whiteout" ? undefined : node;
      const id = (given: number, now: number | undefined) =>
        given === -1 || given === KEEP_ID ? (now ?? 0) : given;
      const uid = id(command.uid, current?.uid);
      const gid = id(command.gid, current?.gid);
      return [
        { type: "fs.ownerChanged", data: { path, uid, gid } },
        ...(node.kind === "dir" ? [] : dropCapability(ov, r.pair, path)),
      ];
    }
    case "fs.utimes":
      return [
        {
          type: "fs.timesChanged",
          data: {
            path,
            mtime: command.mtime,
            ...(command.atime === undefined ? {} : { atime: command.atime }),
          },
        },
      ];
    case "fs.setxattr": {
      const refused = xattrRefusal(node.kind, command.name);
      if (refused) throw new FsError(refused, op, command.path, `${command.name} on a ${node.kind}`);
      if (command.name === CAPABILITY && !validCapability(value as Buffer))
        throw new FsError("EINVAL", op, command.path, "not a v2 or v3 vfs_cap_data value");
      const exists = xattrsOf(ov, r.pair)?.[command.name] !== undefined;
      if (command.flag === "create" && exists)
        throw new FsError("EEXIST", op, command.path, `${command.name} exists`);
      if (command.flag === "replace" && !exists)
        throw new FsError("ENODATA", op, command.path, `no ${command.name}`);
      return [
        {
          type: "fs.xattrSet",
          data: { path, name: command.name, value: (value as Buffer).toString("base64") },
        },
      ];
    }
    case "fs.removexattr": {
      // trusted.overlay.* is never there to remove (ENODATA below), as through the kernel's mount.
      const refused = xattrRefusal(node.kind, command.name);
      if (refused === "EPERM")
        throw new FsError(refused, op, command.path, `${command.name} on a ${node.kind}`);
      if (xattrsOf(ov, r.pair)?.[command.name] === undefined)
        throw new FsError("ENODATA", op, command.path, `no ${command.name}`);
      return [{ type: "fs.xattrRemoved", data: { path, name: command.name } }];
    }
  }
}
