/**
 * `fs.hardLinked` (link(2)): the target is copied up (a lower hard link is broken there), then gets a
 * second name; a symlink's names become one inode (a link group). Always persistent: the rule reads
 * the union after its own copy-up (see `changesInPlace`). Part of {@link applyFsEvent}'s rules.
 */
import { type FsEvent, pathComponents } from "@strata/core";
import { copyUp, ensureUpperDir, type InodeIds } from "../copyUp.js";
import { FsError } from "../FsError.js";
import type { FsNode, SymlinkNode, Tree } from "../FsNode.js";
import { lookupPair, type Overlay, shown } from "../Overlay.js";
import { nodeAt, recountSymlinkGroups, withNode } from "../treeOps.js";
import { place, setInode, touchDir } from "../upperTree.js";
import { requireDirAt } from "./requireDirAt.js";

export function applyHardLinked(
  ov: Overlay,
  event: Extract<FsEvent, { type: "fs.hardLinked" }>,
  t: number,
  newIno: InodeIds,
): Tree {
  const { path, target } = event.data;
  const targetComps = pathComponents(target);
  const targetPair = lookupPair(ov, targetComps);
  if (targetPair === undefined) throw new FsError("ENOENT", "link", target);
  const comps = pathComponents(path);
  requireDirAt(ov, comps.slice(0, -1), "link", path);
  if (comps.length === 0 || lookupPair(ov, comps) !== undefined) throw new FsError("EEXIST", "link", path);
  // link(2) looks up the target, then creates the new name (EEXIST), and only then refuses a directory.
  if (shown(targetPair).kind === "dir") {
    throw new FsError("EPERM", "link", target, "hard links to directories are not allowed");
  }
  if (shown(targetPair).kind === "device") {
    // link(2)'s EPERM: "the filesystem does not support the creation of hard links" (of these).
    throw new FsError("EPERM", "link", target, "hard links to devices and FIFOs are not modelled");
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
