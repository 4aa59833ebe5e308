/**
 * What each `fs.*` event does to a container's read-write (upper) layer, with overlayfs's rules:
 *
 * - a change to an entry that exists only below first **copies it up**: every missing ancestor
 *   directory is created in the upper layer with the union view's metadata, then the entry itself (a
 *   file gets a new inode with the same content and metadata: a hard link of the lower layer is broken
 *   there, as overlayfs does without `index`; a directory is copied without its children);
 * - removing something that exists below leaves a **whiteout**; removing something that exists only
 *   in the upper layer deletes it;
 * - creating a directory where the upper layer has a whiteout makes it **opaque**; a directory renamed
 *   inside the upper layer becomes opaque too;
 * - renaming a directory that has a lower part is **EXDEV**; a file is copied up, moved, and a whiteout
 *   left at its old name when something exists below there;
 * - adds, removes and renames set the parent directory's mtime; copy-up keeps every time it copies.
 *
 * Paths in events are canonical and their parents are already free of symlinks (the fs projection's
 * `refine` resolved them), so these functions never follow symlinks. Each checks its preconditions
 * and throws an {@link FsError} when they do not hold; nothing is changed then.
 */
import { type FsEvent, pathComponents } from "@strata/core";
import { FsError } from "./FsError.js";
import { type DirNode, emptyDir, type FsNode, type Inode, type Tree } from "./FsNode.js";
import {
  childPair,
  isEmptyDirPair,
  lookupPair,
  type Overlay,
  type Pair,
  shown,
  statPair,
} from "./Overlay.js";
import { filesUnder, nodeAt, withDir, withNode } from "./treeOps.js";

/** Makes new inode ids; deterministic for a given event (see fsProjection). */
export type InodeIds = () => string;

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
};

function requireDirAt(ov: Overlay, comps: readonly string[], op: string, path: string): Pair {
  const pair = lookupPair(ov, comps);
  if (pair === undefined) throw new FsError("ENOENT", op, path);
  if (shown(pair).kind !== "dir") throw new FsError("ENOTDIR", op, path);
  return pair;
}

/** The upper tree with a directory at every prefix of `comps` (comps included), copied up from the union. */
export function ensureUpperDir(ov: Overlay, comps: readonly string[]): Tree {
  let root = ov.upper.root;
  for (let i = 1; i <= comps.length; i++) {
    const prefix = comps.slice(0, i);
    const existing = nodeAt(root, prefix);
    if (existing?.kind === "dir") continue;
    const pair = lookupPair(ov, prefix);
    if (pair === undefined || shown(pair).kind !== "dir") {
      throw new Error(`ensureUpperDir: /${prefix.join("/")} is not a directory of the union`);
    }
    const meta = shown(pair) as DirNode;
    root = withNode(root, prefix, emptyDir(meta));
  }
  return root === ov.upper.root ? ov.upper : { ...ov.upper, root };
}

/** The upper tree with the union entry at `comps` present in it (copied up if it was only below). */
export function copyUp(ov: Overlay, comps: readonly string[], newIno: InodeIds): Tree {
  const pair = lookupPair(ov, comps);
  if (pair === undefined) throw new Error(`copyUp: /${comps.join("/")} does not exist`);
  if (pair.upper !== undefined) return ov.upper;
  const withParents = ensureUpperDir(ov, comps.slice(0, -1));
  const lower = pair.lower as FsNode;
  switch (lower.kind) {
    case "dir":
      return { ...withParents, root: withNode(withParents.root, comps, emptyDir(lower)) };
    case "symlink":
      return { ...withParents, root: withNode(withParents.root, comps, lower) };
    case "file": {
      const inode = ov.lower.inodes.get(lower.ino) as Inode;
      const ino = newIno();
      return {
        root: withNode(withParents.root, comps, { kind: "file", ino }),
        inodes: withParents.inodes.set(ino, { ...inode, nlink: 1 }),
      };
    }
    case "whiteout":
      throw new Error("copyUp: a lower tree never shows whiteouts");
  }
}

/** Drops one name of every inode under `node` from the inode table. */
function release(tree: Tree, node: FsNode | undefined): Tree {
  if (node === undefined) return tree;
  let inodes = tree.inodes;
  for (const ino of filesUnder(node)) {
    const i = inodes.get(ino);
    if (!i) continue;
    inodes = i.nlink <= 1 ? inodes.delete(ino) : inodes.set(ino, { ...i, nlink: i.nlink - 1 });
  }
  return inodes === tree.inodes ? tree : { ...tree, inodes };
}

function touchDir(tree: Tree, comps: readonly string[], mtime: number): Tree {
  return { ...tree, root: withDir(tree.root, comps, (d) => ({ ...d, mtime })) };
}

/** Whether something exists below at `comps` (overlayfs's "lower positive"): then a removal needs a whiteout. */
export function lowerPositive(ov: Overlay, comps: readonly string[]): boolean {
  const parent = lookupPair(ov, comps.slice(0, -1));
  const lowerDir = parent?.lower?.kind === "dir" ? parent.lower : undefined;
  return lowerDir?.children.has(comps[comps.length - 1] as string) ?? false;
}

/** Sets an upper node, releasing the inodes of what it replaces. */
function place(tree: Tree, comps: readonly string[], node: FsNode | undefined): Tree {
  const released = release(tree, nodeAt(tree.root, comps));
  return { ...released, root: withNode(released.root, comps, node) };
}

function setInode(tree: Tree, ino: string, f: (i: Inode) => Inode): Tree {
  const i = tree.inodes.get(ino);
  if (!i) throw new Error(`setInode: missing inode ${ino}`);
  return { ...tree, inodes: tree.inodes.set(ino, f(i)) };
}

/** Copies the union subtree at `pair` into a fresh upper subtree (new inodes, no opaque flags). */
function copyTree(ov: Overlay, pair: Pair, upper: Tree, newIno: InodeIds): [FsNode, Tree] {
  let tree = upper;
  const build = (p: Pair): FsNode => {
    const node = shown(p);
    switch (node.kind) {
      case "file": {
        const s = statPair(ov, p);
        const ino = newIno();
        tree = {
          ...tree,
          inodes: tree.inodes.set(ino, {
            digest: s.digest as string,
            size: s.size,
            mode: s.mode,
            uid: s.uid,
            gid: s.gid,
            mtime: s.mtime,
            nlink: 1,
          }),
        };
        return { kind: "file", ino };
      }
      case "symlink":
        return node;
      case "dir": {
        let dir = emptyDir(node);
        for (const [path, child] of walkChildren(p))
          dir = { ...dir, children: dir.children.set(path, build(child)) };
        return dir;
      }
      case "whiteout":
        throw new Error("copyTree: whiteouts are never shown");
    }
  };
  const root = build(pair);
  return [root, tree];
}

function* walkChildren(pair: Pair): Generator<[string, Pair]> {
  const names = new Set<string>();
  const upper = pair.upper?.kind === "dir" ? pair.upper : undefined;
  const lower = pair.lower?.kind === "dir" ? pair.lower : undefined;
  if (upper) for (const [n, c] of upper.children.entries()) if (c.kind !== "whiteout") names.add(n);
  if (lower) for (const [n] of lower.children.entries()) if (!upper?.children.has(n)) names.add(n);
  for (const n of [...names].sort()) {
    const child = childPair(pair, n);
    if (child) yield [n, child];
  }
}

/**
 * The upper tree after `event` at time `t`. Throws {@link FsError} when the event does not apply to
 * this union (the projection's `refine` checks every command this way before anything is appended).
 */
export function applyFsEvent(ov: Overlay, event: FsEvent, t: number, newIno: InodeIds): Tree {
  const op = opName[event.type];
  switch (event.type) {
    case "fs.fileWritten": {
      const { path, digest, size, mode, uid, gid } = event.data;
      const comps = pathComponents(path);
      if (comps.length === 0) throw new FsError("EISDIR", op, path);
      requireDirAt(ov, comps.slice(0, -1), op, path);
      const pair = lookupPair(ov, comps);
      if (pair !== undefined) {
        const node = shown(pair);
        if (node.kind === "dir") throw new FsError("EISDIR", op, path);
        if (node.kind !== "file")
          throw new FsError("EINVAL", op, path, "a symlink: the path must be resolved");
        const up = copyUp(ov, comps, newIno);
        const ino = (nodeAt(up.root, comps) as { ino: string }).ino;
        return setInode(up, ino, (i) => ({ ...i, digest, size, mode, uid, gid, mtime: t }));
      }
      const parent = ensureUpperDir(ov, comps.slice(0, -1));
      const ino = newIno();
      const placed = place(
        { ...parent, inodes: parent.inodes.set(ino, { digest, size, mode, uid, gid, mtime: t, nlink: 1 }) },
        comps,
        {
          kind: "file",
          ino,
        },
      );
      return touchDir(placed, comps.slice(0, -1), t);
    }
    case "fs.dirCreated":
    case "fs.symlinkCreated": {
      const { path } = event.data;
      const comps = pathComponents(path);
      if (comps.length === 0) throw new FsError("EEXIST", op, path);
      requireDirAt(ov, comps.slice(0, -1), op, path);
      if (lookupPair(ov, comps) !== undefined) throw new FsError("EEXIST", op, path);
      const parent = ensureUpperDir(ov, comps.slice(0, -1));
      const overWhiteout = nodeAt(parent.root, comps)?.kind === "whiteout";
      const node: FsNode =
        event.type === "fs.dirCreated"
          ? emptyDir(
              { mode: event.data.mode, uid: event.data.uid, gid: event.data.gid, mtime: t },
              overWhiteout,
            )
          : {
              kind: "symlink",
              target: event.data.target,
              uid: event.data.uid,
              gid: event.data.gid,
              mtime: t,
            };
      return touchDir(place(parent, comps, node), comps.slice(0, -1), t);
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
      const up = copyUp(ov, targetComps, newIno);
      const withTarget: Overlay = { lower: ov.lower, upper: up };
      const parent = ensureUpperDir(withTarget, comps.slice(0, -1));
      let linked = nodeAt(parent.root, targetComps) as FsNode;
      let base = parent;
      if (linked.kind === "symlink" && linked.linkId === undefined) {
        // link(2) of a symlink links the symlink itself: both names become one inode.
        linked = { ...linked, linkId: newIno() };
        base = { ...parent, root: withNode(parent.root, targetComps, linked) };
      }
      let tree = place(base, comps, linked);
      if (linked.kind === "file") tree = setInode(tree, linked.ino, (i) => ({ ...i, nlink: i.nlink + 1 }));
      return touchDir(tree, comps.slice(0, -1), t);
    }
    case "fs.removed": {
      const { path } = event.data;
      const comps = pathComponents(path);
      if (comps.length === 0) throw new FsError("EBUSY", op, path);
      if (lookupPair(ov, comps) === undefined) throw new FsError("ENOENT", op, path);
      const positive = lowerPositive(ov, comps);
      const parent = ensureUpperDir(ov, comps.slice(0, -1));
      return touchDir(
        place(parent, comps, positive ? { kind: "whiteout" } : undefined),
        comps.slice(0, -1),
        t,
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
    case "fs.timesChanged": {
      const { path } = event.data;
      const comps = pathComponents(path);
      const pair = lookupPair(ov, comps);
      if (pair === undefined) throw new FsError("ENOENT", op, path);
      const node = shown(pair);
      if (node.kind === "symlink" && event.type === "fs.modeChanged") {
        throw new FsError("EINVAL", op, path, "the mode of a symlink cannot change");
      }
      const up = comps.length === 0 ? ov.upper : copyUp(ov, comps, newIno);
      const current = comps.length === 0 ? up.root : (nodeAt(up.root, comps) as FsNode);
      const change = <T extends { mode?: number; uid: number; gid: number; mtime: number }>(
        m: T,
        isFile: boolean,
      ): T => {
        if (event.type === "fs.modeChanged") return { ...m, mode: event.data.mode };
        if (event.type === "fs.timesChanged") return { ...m, mtime: event.data.mtime };
        // chown of a regular file clears setuid, and setgid when group-exec is set (kernel rule).
        let mode = m.mode;
        if (isFile && mode !== undefined) {
          mode &= ~0o4000;
          if (mode & 0o010) mode &= ~0o2000;
        }
        return { ...m, uid: event.data.uid, gid: event.data.gid, ...(mode === undefined ? {} : { mode }) };
      };
      if (current.kind === "file") return setInode(up, current.ino, (i) => change(i, true));
      if (current.kind === "dir") {
        const dir = change(current, false);
        return comps.length === 0 ? { ...up, root: dir } : { ...up, root: withNode(up.root, comps, dir) };
      }
      if (current.kind === "symlink")
        return { ...up, root: withNode(up.root, comps, change(current, false)) };
      throw new Error("unreachable: whiteout shown");
    }
  }
}
