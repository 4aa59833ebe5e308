/**
 * `squash(layers)`: one layer with the same effect as a run of layers stacked in order. It keeps the
 * whiteouts and opaque directories that still matter to the layers below the run, so
 * `flatten([...below, squash(run)])` equals `flatten([...below, ...run])` for any `below`.
 */
import { type DirNode, emptyDir, emptyTree, type FsNode, type Inode, type Tree } from "./FsNode.js";
import { IMPLIED_DIR } from "./layerTree.js";
import { PersistentMap } from "./PersistentMap.js";
import { trampoline } from "./trampoline.js";
import { eachNode } from "./treeOps.js";

/** The layer that does what `lower` then `upper` do. */
export function composeLayers(lower: Tree, upper: Tree): Tree {
  let inodes: PersistentMap<Inode> = PersistentMap.empty();
  const keep = (node: FsNode, from: Tree) =>
    eachNode(node, (n) => {
      if (n.kind !== "file") return;
      const i = from.inodes.get(n.ino);
      if (i) inodes = inodes.set(n.ino, i);
    });
  type Call = readonly [DirNode, DirNode];
  function* dir([l, u]: Call): Generator<Call, DirNode, DirNode> {
    if (u.opaque) {
      keep(u, upper);
      return u;
    }
    const meta = u.implied ? l : u;
    let children = l.children;
    for (const [, child] of l.children.entries()) keep(child, lower);
    for (const [name, child] of u.children.entries()) {
      const below = l.children.get(name);
      if (child.kind === "dir") {
        if (below?.kind === "dir") {
          children = children.set(name, yield [below, child]);
        } else {
          // A directory over a whiteout or a non-directory shows only itself: opaque for what lies below.
          keep(child, upper);
          children = children.set(name, below === undefined ? child : { ...child, opaque: true });
        }
        continue;
      }
      keep(child, upper);
      children = children.set(name, child);
    }
    const result: DirNode = { ...emptyDir(meta, l.opaque), children };
    return l.implied && u.implied ? { ...result, implied: true } : result;
  }
  const root = trampoline(dir, [lower.root, upper.root]);
  // `keep` ran over lower children that upper replaced too; drop inodes no name refers to any more.
  const used = new Set<string>();
  eachNode(root, (node) => {
    if (node.kind === "file") used.add(node.ino);
  });
  for (const ino of [...inodes.keys()]) if (!used.has(ino)) inodes = inodes.delete(ino);
  return { root, inodes };
}

/** One layer equivalent to `layers` (bottom first) stacked in order. */
export function squash(layers: readonly Tree[]): Tree {
  const implied: Tree = {
    ...emptyTree(IMPLIED_DIR),
    root: { ...emptyTree(IMPLIED_DIR).root, implied: true },
  };
  return layers.reduce(composeLayers, implied);
}
