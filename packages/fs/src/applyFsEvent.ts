/**
 * What each `fs.*` event does to a container's read-write (upper) layer, with overlayfs's rules:
 *
 * - a change to an entry that exists only below first **copies it up**: every missing ancestor
 *   directory is created in the upper layer with the union view's metadata, then the entry itself (a
 *   file gets a new inode with the same content, metadata and xattrs: a hard link of the lower layer is
 *   broken there, as overlayfs does without `index`; a directory is copied without its children);
 * - removing something that exists below leaves a **whiteout**; removing something that exists only
 *   in the upper layer deletes it;
 * - creating a directory where the upper layer has a whiteout makes it **opaque**; an upper-only
 *   directory renamed into a merge directory becomes opaque too, even when the rename then fails
 *   (an `fs.xattrSet` of `trusted.overlay.opaque` records the mark);
 * - renaming a directory that has a lower part is **EXDEV**; a file is copied up, moved, and a whiteout
 *   left at its old name when something exists below there;
 * - adds, removes and renames set the parent directory's mtime; copy-up keeps every time it copies.
 *
 * Paths in events are canonical and their parents are already free of symlinks (the fs projection's
 * `refine` resolved them), so these functions never follow symlinks. Each checks its preconditions
 * and throws an {@link FsError} when they do not hold; nothing is changed then. Each costs O(path
 * depth), plus the size of what it copies or removes.
 *
 * Under an open {@link Edit} (a transient fold), the rules written linearly (each step goes on from
 * the tree the step before returned, never from an older one: see {@link changesInPlace}) change the
 * parts of the upper tree that edit made in place instead of copying them.
 */
import { type FsEvent, pathComponents } from "@strata/core";
import { copyTree } from "./copyTree.js";
import { copyUp, ensureUpperDir, type InodeIds, lowerPositive } from "./copyUp.js";
import type { Edit } from "./Edit.js";
import { FsError } from "./FsError.js";
import {
  type DeviceNode,
  type DirNode,
  emptyDir,
  type FileNode,
  type FsNode,
  type Inode,
  type SymlinkNode,
  type Tree,
  withXattr,
  writtenInode,
  type Xattrs,
} from "./FsNode.js";
import {
  childPair,
  isEmptyDirPair,
  lookupPair,
  type Overlay,
  type Pair,
  rootPair,
  shown,
  xattrsOf,
} from "./Overlay.js";
import { mapLinkedSymlinks, nodeAt, put, recountSymlinkGroups, withNode } from "./treeOps.js";
import { place, setInode, touchDir, withRoot } from "./upperTree.js";

export type { InodeIds };
export { copyUp, ensureUpperDir, lowerPositive };

/**
 * Why content cannot be written to a device or FIFO: opening one is not modelled (a container's device
 * cgroup refuses the nodes an image brings: EPERM), and a write would not change the file anyway.
 */
export const DEVICE_OPEN =
  "a device or FIFO: opening it to write is not modelled (a container's device cgroup refuses it)";

/**
 * overlayfs's opaque mark, as an `fs.xattrSet` of the upper directory: the one `trusted.overlay.*`
 * attribute an event may set (never a command: those are ENOTSUP), for the rename that marks its
 * source opaque and then fails (see resolveFsCommand). It sets the directory's opaque flag.
 */
export const OVERLAY_OPAQUE = "trusted.overlay.opaque";
/** "y", in base64. */
export const OPAQUE_YES = "eQ==";

/** chown's "leave this id as it is" (`(uid_t)-1`), resolved to the current id before an event is written. */
export const KEEP_ID = 0xffffffff;

const opName: Record<FsEvent["type"], string> = {
  "fs.fileWritten": "open",
  "fs.dirCreated": "mkdir",
  "fs.symlinkCreated": "symlink",
  "fs.hardLinked": "link",
  "fs.removed": "unlink",
  "fs.renamed": "rename",
  "fs.copied": "copy",
  "fs.modeChanged": "chmod",
  "fs.ownerChanged": "chown",
  "fs.timesChanged": "utimes",
  "fs.xattrSet": "setxattr",
  "fs.xattrRemoved": "removexattr",
};

function requireDirAt(ov: Overlay, comps: readonly string[], op: string, path: string): Pair {
  const pair = lookupPair(ov, comps);
  if (pair === undefined) throw new FsError("ENOENT", op, path);
  if (shown(pair).kind !== "dir") throw new FsError("ENOTDIR", op, path);
  return pair;
}

/** Applies `f` to the upper node at `comps` (to every name of its inode for linked symlinks). */
function changeNode(
  up: Tree,
  comps: readonly string[],
  onFile: (i: Inode) => Inode,
  onOther: <T extends DirNode | SymlinkNode | DeviceNode>(n: T) => T,
  edit: Edit | null,
): Tree {
  const current = comps.length === 0 ? up.root : (nodeAt(up.root, comps) as FsNode);
  switch (current.kind) {
    case "file":
      return setInode(up, current.ino, onFile, edit);
    case "dir": {
      const dir = onOther(current);
      return withRoot(up, comps.length === 0 ? dir : withNode(up.root, comps, dir, edit));
    }
    case "symlink":
      if (current.linkId !== undefined)
        return withRoot(
          up,
          mapLinkedSymlinks(up.root, current.linkId, (s) => onOther(s)),
        );
      return withRoot(up, withNode(up.root, comps, onOther(current), edit));
    case "device":
      return withRoot(up, withNode(up.root, comps, onOther(current), edit));
    case "whiteout":
      throw new Error("unreachable: whiteout shown");
  }
}

/**
 * Why an xattr may not be set on (or removed from) this kind of entry: user.* lives only on files and
 * directories (EPERM), and overlayfs's own trusted.overlay.* is never set through the union (ENOTSUP).
 */
export function xattrRefusal(kind: FsNode["kind"], name: string): "EPERM" | "ENOTSUP" | undefined {
  if (name.startsWith("user.") && kind !== "file" && kind !== "dir") return "EPERM";
  if (name.startsWith("trusted.overlay.")) return "ENOTSUP";
  return undefined;
}

/**
 * The upper tree with the upper-only directory at `comps` opaque: overlayfs's mark, which changes
 * nothing in the union (nothing lies below the directory) and no time.
 */
function markOpaque(
  ov: Overlay,
  comps: readonly string[],
  pair: Pair,
  value: string,
  edit: Edit | null,
): Tree {
  const path = `/${comps.join("/")}`;
  if (value !== OPAQUE_YES)
    throw new FsError("ENOTSUP", "setxattr", path, `${OVERLAY_OPAQUE} is overlayfs's own; only "y" marks`);
  if (comps.length === 0 || pair.upper?.kind !== "dir" || pair.lower !== undefined)
    throw new FsError(
      "ENOTSUP",
      "setxattr",
      path,
      `${OVERLAY_OPAQUE} marks only a directory that lives in the upper layer alone`,
    );
  const dir = pair.upper;
  return dir.opaque
    ? ov.upper
    : withRoot(ov.upper, withNode(ov.upper.root, comps, { ...dir, opaque: true }, edit));
}

/**
 * Whether {@link applyFsEvent} changes in place, under an edit, what that edit made for events of
 * `type`: its rule is written linearly (each step goes on from the tree the step before returned and
 * never reads an older one). A link, a rename and a copy are applied persistently whatever the edit
 * (their rules read the union before and after their own changes); a transient fold closes its edit
 * after one, so that nothing it shares can change later.
 */
export function changesInPlace(type: FsEvent["type"]): boolean {
  return type !== "fs.hardLinked" && type !== "fs.renamed" && type !== "fs.copied";
}

/**
 * What an `fs.fileWritten` does to a file the upper layer holds already (inode `ino`): its content and
 * metadata replaced, its mtime moved; no copy-up, and its directory's mtime unchanged (no name added).
 */
export function writeUpperFile(
  upper: Tree,
  ino: string,
  event: Extract<FsEvent, { type: "fs.fileWritten" }>,
  t: number,
  edit: Edit | null,
): Tree {
  const { digest, size, mode, uid, gid } = event.data;
  const mtime = event.data.mtime ?? t;
  return setInode(upper, ino, (i) => writtenInode(i, digest, size, mode, uid, gid, mtime), edit);
}

/**
 * The upper tree after `event` at time `t`. Throws {@link FsError} when the event does not apply to
 * this union (the projection's `refine` checks every command this way before anything is appended).
 * Under an open `edit`, the upper tree's parts made under it may change in place (see
 * {@link changesInPlace}): the caller goes on from the tree returned and keeps no older one.
 */
export function applyFsEvent(
  ov: Overlay,
  event: FsEvent,
  t: number,
  newIno: InodeIds,
  edit: Edit | null = null,
): Tree {
  const op = opName[event.type];
  const e = edit !== null && changesInPlace(event.type) ? edit : null;
  switch (event.type) {
    case "fs.fileWritten": {
      const { path, digest, size, mode, uid, gid } = event.data;
      const mtime = event.data.mtime ?? t;
      const comps = pathComponents(path);
      if (comps.length === 0) throw new FsError("EISDIR", op, path);
      const parentComps = comps.slice(0, -1);
      const pair = childPair(requireDirAt(ov, parentComps, op, path), comps[comps.length - 1] as string);
      if (pair !== undefined) {
        const node = shown(pair);
        if (node.kind === "dir") throw new FsError("EISDIR", op, path);
        if (node.kind === "device") throw new FsError("EPERM", op, path, DEVICE_OPEN);
        if (node.kind !== "file")
          throw new FsError("EINVAL", op, path, "a symlink: the path must be resolved");
        // A file of the upper layer is written where it is; one only below is copied up first.
        const up = pair.upper === undefined ? copyUp(ov, comps, newIno, e, pair) : ov.upper;
        const ino = pair.upper === undefined ? (nodeAt(up.root, comps) as FileNode).ino : node.ino;
        return writeUpperFile(up, ino, event, t, e);
      }
      const parent = ensureUpperDir(ov, parentComps, e);
      const ino = newIno();
      const inode: Inode = { digest, size, mode, uid, gid, mtime, nlink: 1 };
      const withInode: Tree = { ...parent, inodes: put(parent.inodes, ino, inode, e) };
      return touchDir(place(withInode, comps, { kind: "file", ino }, e), parentComps, t, e);
    }
    case "fs.dirCreated": {
      const { path, mode, uid, gid } = event.data;
      const comps = pathComponents(path);
      if (comps.length === 0) throw new FsError("EEXIST", op, path);
      // The first missing component: the last one, or (mkdir -p) any after existing directories.
      let pair: Pair | undefined = rootPair(ov);
      let first = 0;
      for (; first < comps.length; first++) {
        const next = childPair(pair as Pair, comps[first] as string);
        if (next === undefined) break;
        if (shown(next).kind !== "dir")
          throw new FsError(first === comps.length - 1 ? "EEXIST" : "ENOTDIR", op, path);
        pair = next;
      }
      if (first === comps.length) throw new FsError("EEXIST", op, path);
      if (first < comps.length - 1 && !event.data.parents) throw new FsError("ENOENT", op, path);
      const parentComps = comps.slice(0, first);
      const parent = ensureUpperDir(ov, parentComps, e);
      const overWhiteout = nodeAt(parent.root, comps.slice(0, first + 1))?.kind === "whiteout";
      const meta = { mode, uid, gid, mtime: t };
      let chain: DirNode = emptyDir(meta, overWhiteout && first === comps.length - 1);
      for (let j = comps.length - 2; j >= first; j--) {
        const dir = emptyDir(meta, overWhiteout && j === first);
        chain = { ...dir, children: put(dir.children, comps[j + 1] as string, chain, e) };
      }
      return touchDir(place(parent, comps.slice(0, first + 1), chain, e), parentComps, t, e);
    }
    case "fs.symlinkCreated": {
      const { path } = event.data;
      const comps = pathComponents(path);
      if (comps.length === 0) throw new FsError("EEXIST", op, path);
      requireDirAt(ov, comps.slice(0, -1), op, path);
      if (lookupPair(ov, comps) !== undefined) throw new FsError("EEXIST", op, path);
      const parent = ensureUpperDir(ov, comps.slice(0, -1), e);
      const node: SymlinkNode = {
        kind: "symlink",
        target: event.data.target,
        uid: event.data.uid,
        gid: event.data.gid,
        mtime: t,
      };
      return touchDir(place(parent, comps, node, e), comps.slice(0, -1), t, e);
    }
    case "fs.hardLinked": {
      const { path, target } = event.data;
      const targetComps = pathComponents(target);
      const targetPair = lookupPair(ov, targetComps);
      if (targetPair === undefined) throw new FsError("ENOENT", op, target);
      const comps = pathComponents(path);
      requireDirAt(ov, comps.slice(0, -1), op, path);
      if (comps.length === 0 || lookupPair(ov, comps) !== undefined) throw new FsError("EEXIST", op, path);
      // link(2) looks up the target, then creates the new name (EEXIST), and only then refuses a directory.
      if (shown(targetPair).kind === "dir") {
        throw new FsError("EPERM", op, target, "hard links to directories are not allowed");
      }
      if (shown(targetPair).kind === "device") {
        // link(2)'s EPERM: "the filesystem does not support the creation of hard links" (of these).
        throw new FsError("EPERM", op, target, "hard links to devices and FIFOs are not modelled");
      }
      const up = copyUp(ov, targetComps, newIno);
      const withTarget: Overlay = { lower: ov.lower, upper: up };
      const parent = ensureUpperDir(withTarget, comps.slice(0, -1));
      const linked = nodeAt(parent.root, targetComps) as FsNode;
      if (linked.kind === "symlink") {
        // link(2) of a symlink links the symlink itself: its names become one inode.
        const linkId = linked.linkId ?? newIno();
        const grouped: SymlinkNode = { ...linked, linkId };
        const base = { ...parent, root: withNode(parent.root, targetComps, grouped) };
        const tree = place(base, comps, grouped);
        const root = recountSymlinkGroups(tree.root, new Set([linkId]));
        return touchDir({ ...tree, root }, comps.slice(0, -1), t);
      }
      let tree = place(parent, comps, linked);
      if (linked.kind === "file") tree = setInode(tree, linked.ino, (i) => ({ ...i, nlink: i.nlink + 1 }));
      return touchDir(tree, comps.slice(0, -1), t);
    }
    case "fs.removed": {
      const { path } = event.data;
      const comps = pathComponents(path);
      if (comps.length === 0) throw new FsError("EBUSY", op, path);
      if (lookupPair(ov, comps) === undefined) throw new FsError("ENOENT", op, path);
      const positive = lowerPositive(ov, comps);
      const parent = ensureUpperDir(ov, comps.slice(0, -1), e);
      return touchDir(
        place(parent, comps, positive ? { kind: "whiteout" } : undefined, e),
        comps.slice(0, -1),
        t,
        e,
      );
    }
    case "fs.renamed": {
      const { from, to } = event.data;
      const fromComps = pathComponents(from);
      const toComps = pathComponents(to);
      if (fromComps.length === 0 || toComps.length === 0) throw new FsError("EBUSY", op, from);
      requireDirAt(ov, fromComps.slice(0, -1), op, from);
      requireDirAt(ov, toComps.slice(0, -1), op, to);
      const fromPair = lookupPair(ov, fromComps);
      if (fromPair === undefined) throw new FsError("ENOENT", op, from);
      if (from === to) return ov.upper;
      const fromNode = shown(fromPair);
      const isDir = fromNode.kind === "dir";
      // The VFS's lock_rename traps: the source may not be an ancestor of the target, nor the target of the source.
      if (to.startsWith(`${from}/`))
        throw new FsError("EINVAL", op, to, "a directory cannot move into itself");
      if (from.startsWith(`${to}/`))
        throw new FsError("ENOTEMPTY", op, to, "the target is an ancestor of the source");
      const toPair = lookupPair(ov, toComps);
      if (toPair !== undefined) {
        const toNode = shown(toPair);
        // Two names of one inode: rename(2) does nothing. Only upper hard links share an overlay inode;
        // two names of a lower hard link are distinct overlay inodes (no index), so the rename happens.
        const sameInode =
          fromPair.upper !== undefined &&
          toPair.upper !== undefined &&
          ((fromNode.kind === "file" && toNode.kind === "file" && fromNode.ino === toNode.ino) ||
            (fromNode.kind === "symlink" &&
              toNode.kind === "symlink" &&
              fromNode.linkId !== undefined &&
              fromNode.linkId === toNode.linkId));
        if (sameInode) return ov.upper;
        if (isDir && toNode.kind !== "dir") throw new FsError("ENOTDIR", op, to);
        if (!isDir && toNode.kind === "dir") throw new FsError("EISDIR", op, to);
      }
      if (isDir && fromPair.lower !== undefined) {
        throw new FsError(
          "EXDEV",
          op,
          from,
          "a directory with a lower part cannot be renamed (overlayfs without redirect_dir)",
        );
      }
      if (toPair !== undefined && shown(toPair).kind === "dir" && !isEmptyDirPair(toPair))
        throw new FsError("ENOTEMPTY", op, to);
      const positive = lowerPositive(ov, fromComps);
      const up = copyUp(ov, fromComps, newIno);
      const moving = nodeAt(up.root, fromComps) as FsNode;
      // An upper-only directory moved into a merge directory (one with a lower part) becomes opaque,
      // so that what lies below its new name does not show through (overlayfs's ovl_rename).
      const toParentMerged = lookupPair(ov, toComps.slice(0, -1))?.lower !== undefined;
      const node: FsNode = moving.kind === "dir" && toParentMerged ? { ...moving, opaque: true } : moving;
      // Take it away from its old name (the node moves: its inodes are not released).
      const gone: Tree = {
        ...up,
        root: withNode(up.root, fromComps, positive ? { kind: "whiteout" } : undefined),
      };
      const afterRemoval: Overlay = { lower: ov.lower, upper: touchDir(gone, fromComps.slice(0, -1), t) };
      const parent = ensureUpperDir(afterRemoval, toComps.slice(0, -1));
      return touchDir(place(parent, toComps, node), toComps.slice(0, -1), t);
    }
    case "fs.copied": {
      const { from, to } = event.data;
      const fromComps = pathComponents(from);
      const toComps = pathComponents(to);
      if (toComps.length === 0) throw new FsError("EEXIST", op, to);
      requireDirAt(ov, fromComps.slice(0, -1), op, from);
      requireDirAt(ov, toComps.slice(0, -1), op, to);
      const fromPair = lookupPair(ov, fromComps);
      if (fromPair === undefined) throw new FsError("ENOENT", op, from);
      if (lookupPair(ov, toComps) !== undefined) throw new FsError("EEXIST", op, to);
      if (to.startsWith(`${from}/`) || from === "/")
        throw new FsError("EINVAL", op, to, "cannot copy a directory into itself");
      const parent = ensureUpperDir(ov, toComps.slice(0, -1));
      const overWhiteout = nodeAt(parent.root, toComps)?.kind === "whiteout";
      const [copy, withInodes] = copyTree(ov, fromPair, parent, newIno);
      const node = copy.kind === "dir" && overWhiteout ? { ...copy, opaque: true } : copy;
      return touchDir(place(withInodes, toComps, node), toComps.slice(0, -1), t);
    }
    case "fs.modeChanged":
    case "fs.ownerChanged":
    case "fs.timesChanged":
    case "fs.xattrSet":
    case "fs.xattrRemoved": {
      const { path } = event.data;
      const comps = pathComponents(path);
      const pair = lookupPair(ov, comps);
      if (pair === undefined) throw new FsError("ENOENT", op, path);
      const node = shown(pair);
      if (node.kind === "symlink" && event.type === "fs.modeChanged") {
        throw new FsError("ENOTSUP", op, path, "the mode of a symlink cannot change");
      }
      if (event.type === "fs.xattrSet" && event.data.name === OVERLAY_OPAQUE)
        return markOpaque(ov, comps, pair, event.data.value, e);
      if (event.type === "fs.xattrSet" || event.type === "fs.xattrRemoved") {
        const refused = xattrRefusal(node.kind, event.data.name);
        if (refused) throw new FsError(refused, op, path, `${event.data.name} on a ${node.kind}`);
        if (event.type === "fs.xattrRemoved" && xattrsOf(ov, pair)?.[event.data.name] === undefined)
          throw new FsError("ENODATA", op, path, `no ${event.data.name}`);
      }
      const up = comps.length === 0 ? ov.upper : copyUp(ov, comps, newIno, e, pair);
      const change = <
        T extends { mode?: number; uid: number; gid: number; mtime: number; atime?: number; xattrs?: Xattrs },
      >(
        m: T,
        isFile: boolean,
      ): T => {
        switch (event.type) {
          case "fs.modeChanged":
            return { ...m, mode: event.data.mode };
          case "fs.timesChanged": {
            const { mtime, atime } = event.data;
            return { ...m, mtime, atime: atime ?? m.atime ?? m.mtime };
          }
          case "fs.xattrSet":
            return withXattr(m, event.data.name, event.data.value);
          case "fs.xattrRemoved":
            return withXattr(m, event.data.name, undefined);
          case "fs.ownerChanged": {
            // chown of a non-directory clears setuid, and setgid when group-exec is set (kernel rule).
            let mode = m.mode;
            if (isFile && mode !== undefined) {
              mode &= ~0o4000;
              if (mode & 0o010) mode &= ~0o2000;
            }
            // The ids are the new ones: chown's -1 was resolved to the current id before the event was
            // written, so an old log's 4294967295 replays as it was written.
            return {
              ...m,
              uid: event.data.uid,
              gid: event.data.gid,
              ...(mode === undefined ? {} : { mode }),
            };
          }
        }
      };
      return changeNode(
        up,
        comps,
        (i) => change(i, true),
        (n) => change(n, n.kind === "device"),
        e,
      );
    }
  }
}
