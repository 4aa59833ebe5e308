/**
 * A copy of a union subtree into the upper tree, as `cp -a` makes it: new inodes, metadata, times and
 * xattrs kept, hard links inside the tree kept.
 */
import type { InodeIds } from "./copyUp.js";
import { emptyDir, type FsNode, type Inode, type Tree } from "./FsNode.js";
import { childPair, type Overlay, type Pair, shown } from "./Overlay.js";
import { sortNames } from "./PersistentMap.js";
import { trampoline } from "./trampoline.js";
import { setInode } from "./upperTree.js";

/** The union entries under a directory pair, by name in byte order. */
function* walkChildren(pair: Pair): Generator<[string, Pair]> {
  const names = new Set<string>();
  const upper = pair.upper?.kind === "dir" ? pair.upper : undefined;
  const lower = pair.lower?.kind === "dir" ? pair.lower : undefined;
  if (upper) for (const [n, c] of upper.children.entries()) if (c.kind !== "whiteout") names.add(n);
  if (lower) for (const [n] of lower.children.entries()) if (!upper?.children.has(n)) names.add(n);
  for (const n of sortNames([...names])) {
    const child = childPair(pair, n);
    if (child) yield [n, child];
  }
}

/**
 * Copies the union subtree at `pair` into a fresh upper subtree (new inodes, no opaque flags), keeping
 * the hard links inside it as `cp -a` does: names of one inode (one file inode, or one symlink group)
 * stay names of one new inode.
 */
export function copyTree(ov: Overlay, pair: Pair, upper: Tree, newIno: InodeIds): [FsNode, Tree] {
  let tree = upper;
  const identity = (p: Pair, id: string) => `${p.upper ? "u" : "l"}:${id}`;
  // Names of each symlink group in the subtree, so that each copy gets its nlink at once.
  const groupNames = new Map<string, number>();
  const pending: Pair[] = [pair];
  for (let p = pending.pop(); p !== undefined; p = pending.pop()) {
    const node = shown(p);
    if (node.kind === "symlink" && node.linkId !== undefined) {
      const key = identity(p, node.linkId);
      groupNames.set(key, (groupNames.get(key) ?? 0) + 1);
    } else if (node.kind === "dir") for (const [, child] of walkChildren(p)) pending.push(child);
  }
  const copies = new Map<string, string>();
  function* build(p: Pair): Generator<Pair, FsNode, FsNode> {
    const node = shown(p);
    switch (node.kind) {
      case "file": {
        const key = identity(p, node.ino);
        const done = copies.get(key);
        if (done !== undefined) {
          tree = setInode(tree, done, (i) => ({ ...i, nlink: i.nlink + 1 }));
          return { kind: "file", ino: done };
        }
        const source = (p.upper ? ov.upper : ov.lower).inodes.get(node.ino) as Inode;
        const ino = newIno();
        copies.set(key, ino);
        tree = { ...tree, inodes: tree.inodes.set(ino, { ...source, nlink: 1 }) };
        return { kind: "file", ino };
      }
      case "symlink": {
        const { linkId, nlink: _n, ...copy } = node;
        if (linkId === undefined) return copy;
        const key = identity(p, linkId);
        const names = groupNames.get(key) ?? 1;
        if (names < 2) return copy;
        let id = copies.get(key);
        if (id === undefined) {
          id = newIno();
          copies.set(key, id);
        }
        return { ...copy, linkId: id, nlink: names };
      }
      case "device":
        return node;
      case "dir": {
        let dir = emptyDir(node);
        for (const [name, child] of walkChildren(p))
          dir = { ...dir, children: dir.children.set(name, yield child) };
        return dir;
      }
      case "whiteout":
        throw new Error("copyTree: whiteouts are never shown");
    }
  }
  const root = trampoline(build, pair);
  return [root, tree];
}
