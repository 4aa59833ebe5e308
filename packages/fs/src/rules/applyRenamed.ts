/**
 * `fs.renamed` (rename(2)), with overlayfs's rules: renaming a directory that has a lower part is
 * EXDEV; a file is copied up, moved, and a whiteout left at its old name when something exists below
 * there; an upper-only directory moved into a merge directory becomes opaque. Always persistent: the
 * rule reads the union before and after its own changes (see `changesInPlace`). Part of
 * {@link applyFsEvent}'s rules.
 */
import { type FsEvent, pathComponents } from "@strata/core";
import { copyUp, ensureUpperDir, type InodeIds, lowerPositive } from "../copyUp.js";
import { FsError } from "../FsError.js";
import type { FsNode, Tree } from "../FsNode.js";
import { isEmptyDirPair, lookupPair, type Overlay, shown } from "../Overlay.js";
import { nodeAt, withNode } from "../treeOps.js";
import { place, touchDir } from "../upperTree.js";
import { requireDirAt } from "./requireDirAt.js";

export function applyRenamed(
  ov: Overlay,
  event: Extract<FsEvent, { type: "fs.renamed" }>,
  t: number,
  newIno: InodeIds,
): Tree {
  const op = "rename";
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
  if (to.startsWith(`${from}/`)) throw new FsError("EINVAL", op, to, "a directory cannot move into itself");
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
