/**
 * Copy-up, as overlayfs does it: the missing ancestors of an entry are created in the upper tree with
 * the union's metadata, then the entry itself (a new inode for a file or a symlink; a directory without
 * its children). One walk down both trees: O(depth).
 */
import type { Edit } from "./Edit.js";
import { type DirNode, emptyDir, type FsNode, type Inode, type Tree } from "./FsNode.js";
import { childPair, lookupPair, type Overlay, type Pair, rootPair, shown } from "./Overlay.js";
import { put, withNode } from "./treeOps.js";
import { withRoot } from "./upperTree.js";

/** Makes new inode ids; deterministic for a given event (see fsProjection). */
export type InodeIds = () => string;

/**
 * The upper tree with a directory at every prefix of `comps` (comps included), copied up from the
 * union. One walk down both trees: O(depth). Under an open `edit`, what the edit made changes in place.
 */
export function ensureUpperDir(ov: Overlay, comps: readonly string[], edit: Edit | null = null): Tree {
  let upper: DirNode = ov.upper.root;
  let pair: Pair | undefined = rootPair(ov);
  let i = 0;
  for (; i < comps.length; i++) {
    const next: FsNode | undefined = upper.children.get(comps[i] as string);
    pair = pair === undefined ? undefined : childPair(pair, comps[i] as string);
    if (next?.kind !== "dir") break;
    upper = next;
  }
  if (i === comps.length) return ov.upper;
  // From comps[i] down, the upper layer has no directory: copy the union's up, as one new chain.
  const metas: DirNode[] = [];
  for (let j = i; j < comps.length; j++) {
    if (j > i) pair = pair === undefined ? undefined : childPair(pair, comps[j] as string);
    if (pair === undefined || shown(pair).kind !== "dir")
      throw new Error(`ensureUpperDir: /${comps.slice(0, j + 1).join("/")} is not a directory of the union`);
    metas.push(shown(pair) as DirNode);
  }
  let chain: DirNode = emptyDir(metas[metas.length - 1] as DirNode);
  for (let j = metas.length - 2; j >= 0; j--) {
    const dir = emptyDir(metas[j] as DirNode);
    chain = { ...dir, children: put(dir.children, comps[i + j + 1] as string, chain, edit) };
  }
  return withRoot(ov.upper, withNode(ov.upper.root, comps.slice(0, i + 1), chain, edit));
}

/**
 * The upper tree with the union entry at `comps` present in it (copied up if it was only below).
 * `known` is that entry's pair when the caller has looked it up already.
 */
export function copyUp(
  ov: Overlay,
  comps: readonly string[],
  newIno: InodeIds,
  edit: Edit | null = null,
  known?: Pair,
): Tree {
  const pair = known ?? lookupPair(ov, comps);
  if (pair === undefined) throw new Error(`copyUp: /${comps.join("/")} does not exist`);
  if (pair.upper !== undefined) return ov.upper;
  const withParents = ensureUpperDir(ov, comps.slice(0, -1), edit);
  const lower = pair.lower as FsNode;
  switch (lower.kind) {
    case "dir":
      return withRoot(withParents, withNode(withParents.root, comps, emptyDir(lower), edit));
    case "device":
      return withRoot(withParents, withNode(withParents.root, comps, lower, edit));
    case "symlink": {
      // A new inode: a lower hard link of a symlink is broken by copy-up, as for files.
      const { linkId: _l, nlink: _n, ...copy } = lower;
      return withRoot(withParents, withNode(withParents.root, comps, copy, edit));
    }
    case "file": {
      const inode = ov.lower.inodes.get(lower.ino) as Inode;
      const ino = newIno();
      return {
        root: withNode(withParents.root, comps, { kind: "file", ino }, edit),
        inodes: put(withParents.inodes, ino, { ...inode, nlink: 1 }, edit),
      };
    }
    case "whiteout":
      throw new Error("copyUp: a lower tree never shows whiteouts");
  }
}

/** Whether something exists below at `comps` (overlayfs's "lower positive"): then a removal needs a whiteout. */
export function lowerPositive(ov: Overlay, comps: readonly string[]): boolean {
  const parent = lookupPair(ov, comps.slice(0, -1));
  const lowerDir = parent?.lower?.kind === "dir" ? parent.lower : undefined;
  return lowerDir?.children.has(comps[comps.length - 1] as string) ?? false;
}
