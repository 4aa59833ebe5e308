/**
 * Changes to a read-write layer's tree that keep its inode table right: placing or removing a node
 * releases the inodes it held and recounts its symlink groups; touching a directory sets its mtime.
 */
import type { Edit } from "./Edit.js";
import { type DirNode, type FsNode, type Inode, type Tree, withMtime } from "./FsNode.js";
import type { PersistentMap } from "./PersistentMap.js";
import {
  drop,
  filesUnder,
  nodeAt,
  put,
  recountSymlinkGroups,
  symlinkGroupsUnder,
  withDir,
  withNode,
} from "./treeOps.js";

/** `tree` with `root` (itself when it is the same: unchanged, or changed in place). */
export function withRoot(tree: Tree, root: DirNode): Tree {
  return root === tree.root ? tree : { ...tree, root };
}

/** `tree` with `inodes` (itself when they are the same map). */
export function withInodes(tree: Tree, inodes: PersistentMap<Inode>): Tree {
  return inodes === tree.inodes ? tree : { ...tree, inodes };
}

/**
 * Drops one name of every inode under `node` from the inode table, and recounts symlink groups.
 * Every function here takes an optional open `edit`: the parts of the tree it made change in place.
 */
export function release(tree: Tree, node: FsNode | undefined, edit: Edit | null = null): Tree {
  if (node === undefined) return tree;
  let inodes = tree.inodes;
  for (const ino of filesUnder(node)) {
    const i = inodes.get(ino);
    if (!i) continue;
    inodes = i.nlink <= 1 ? drop(inodes, ino, edit) : put(inodes, ino, { ...i, nlink: i.nlink - 1 }, edit);
  }
  return withInodes(tree, inodes);
}

export function touchDir(
  tree: Tree,
  comps: readonly string[],
  mtime: number,
  edit: Edit | null = null,
): Tree {
  return withRoot(
    tree,
    withDir(tree.root, comps, (d) => withMtime(d, mtime), edit),
  );
}

/** Sets an upper node, releasing the inodes of what it replaces (and recounting its symlink groups). */
export function place(
  tree: Tree,
  comps: readonly string[],
  node: FsNode | undefined,
  edit: Edit | null = null,
): Tree {
  const old = nodeAt(tree.root, comps);
  const released = release(tree, old, edit);
  const root = withNode(released.root, comps, node, edit);
  // Only a symlink or a directory can take names out of a symlink group.
  if (old === undefined || (old.kind !== "symlink" && old.kind !== "dir")) return withRoot(released, root);
  return withRoot(released, recountSymlinkGroups(root, symlinkGroupsUnder(old)));
}

export function setInode(tree: Tree, ino: string, f: (i: Inode) => Inode, edit: Edit | null = null): Tree {
  const i = tree.inodes.get(ino);
  if (!i) throw new Error(`setInode: missing inode ${ino}`);
  return withInodes(tree, put(tree.inodes, ino, f(i), edit));
}
