/**
 * Changes to a read-write layer's tree that keep its inode table right: placing or removing a node
 * releases the inodes it held and recounts its symlink groups; touching a directory sets its mtime.
 */
import { type FsNode, type Inode, type Tree, withMtime } from "./FsNode.js";
import {
  filesUnder,
  nodeAt,
  recountSymlinkGroups,
  symlinkGroupsUnder,
  withDir,
  withNode,
} from "./treeOps.js";

/** Drops one name of every inode under `node` from the inode table, and recounts symlink groups. */
export function release(tree: Tree, node: FsNode | undefined): Tree {
  if (node === undefined) return tree;
  let inodes = tree.inodes;
  for (const ino of filesUnder(node)) {
    const i = inodes.get(ino);
    if (!i) continue;
    inodes = i.nlink <= 1 ? inodes.delete(ino) : inodes.set(ino, { ...i, nlink: i.nlink - 1 });
  }
  return inodes === tree.inodes ? tree : { ...tree, inodes };
}

export function touchDir(tree: Tree, comps: readonly string[], mtime: number): Tree {
  return { ...tree, root: withDir(tree.root, comps, (d) => withMtime(d, mtime)) };
}

/** Sets an upper node, releasing the inodes of what it replaces (and recounting its symlink groups). */
export function place(tree: Tree, comps: readonly string[], node: FsNode | undefined): Tree {
  const old = nodeAt(tree.root, comps);
  const released = release(tree, old);
  const root = withNode(released.root, comps, node);
  return { ...released, root: recountSymlinkGroups(root, symlinkGroupsUnder(old)) };
}

export function setInode(tree: Tree, ino: string, f: (i: Inode) => Inode): Tree {
  const i = tree.inodes.get(ino);
  if (!i) throw new Error(`setInode: missing inode ${ino}`);
  return { ...tree, inodes: tree.inodes.set(ino, f(i)) };
}
