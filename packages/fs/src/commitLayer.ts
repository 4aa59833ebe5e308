/**
 * `commit`: the read-write layer becomes an immutable layer holding only what changed. Entries the
 * upper layer holds only because they were copied up without a change (an ancestor directory of a new
 * file, a file opened for writing and left as it was, a chmod to the same mode) are left out, except
 * directories that must stay as parents of a change. Whiteouts are kept: overlayfs only creates them
 * where something existed below.
 */
import { sameEntry } from "./diff.js";
import { Edit } from "./Edit.js";
import { type DirNode, emptyDir, type FsNode, type Inode, type Tree } from "./FsNode.js";
import { PersistentMap } from "./PersistentMap.js";
import { trampoline } from "./trampoline.js";

/**
 * The layer `upper` becomes when committed over `lower`: a tree with whiteouts and opaque flags, in
 * the same vocabulary as `layer.created`. Empty (`isEmptyLayer`) when nothing changed.
 */
export function commitLayer(lower: Tree, upper: Tree): Tree {
  const edit = new Edit();
  try {
    return commitUnder(lower, upper, edit);
  } finally {
    edit.close();
  }
}

/** The committed layer, built under a private edit (each new map made once, then changed in place). */
function commitUnder(lower: Tree, upper: Tree, edit: Edit): Tree {
  let inodes = PersistentMap.empty<Inode>();
  type Call = readonly [DirNode, FsNode | undefined];
  function* visit([u, l]: Call): Generator<Call, DirNode | undefined, DirNode | undefined> {
    const lowerDir = !u.opaque && l?.kind === "dir" ? l : undefined;
    let children = PersistentMap.empty<FsNode>();
    for (const [name, node] of u.children.entries()) {
      const below = lowerDir?.children.get(name);
      if (node.kind === "dir") {
        const kept = yield [node, below];
        if (kept) children = children.setIn(edit, name, kept);
        continue;
      }
      // Copied up and left as it was: not a change.
      if (node.kind !== "whiteout" && below !== undefined && sameEntry(lower, below, upper, node)) continue;
      if (node.kind === "file") {
        const inode = upper.inodes.get(node.ino);
        if (inode) inodes = inodes.setIn(edit, node.ino, inode);
      }
      children = children.setIn(edit, name, node);
    }
    const changedItself = u.opaque || l === undefined || !sameEntry(lower, l, upper, u);
    if (children.size === 0 && !changedItself) return undefined;
    return { ...emptyDir(u, u.opaque), children };
  }
  // Layer tars carry no entry for the root: its metadata is not committed (as with Docker and podman).
  const root = trampoline(visit, [upper.root, lower.root]) ?? emptyDir(upper.root);
  return { root: { ...root, implied: true }, inodes };
}

/**
 * Whether a committed layer holds nothing (Docker then adds no layer to the image). The root's own
 * metadata does not count: layer tars carry no entry for the root.
 */
export function isEmptyLayer(layer: Tree): boolean {
  return layer.root.children.size === 0 && !layer.root.opaque;
}
