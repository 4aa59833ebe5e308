/**
 * Path operations on one tree (no layering): find a node, and replace or remove one by copying only
 * the directories on its path.
 */
import type { DirNode, FsNode } from "./FsNode.js";

/** The node at `comps` in `root` (walking directories only), or undefined. */
export function nodeAt(root: DirNode, comps: readonly string[]): FsNode | undefined {
  let node: FsNode = root;
  for (const c of comps) {
    if (node.kind !== "dir") return undefined;
    const next: FsNode | undefined = node.children.get(c);
    if (next === undefined) return undefined;
    node = next;
  }
  return node;
}

/**
 * `root` with the node at `comps` replaced by `node` (or removed when `node` is undefined). Every
 * ancestor must already be a directory: the caller creates them first.
 */
export function withNode(root: DirNode, comps: readonly string[], node: FsNode | undefined): DirNode {
  if (comps.length === 0) {
    if (node === undefined || node.kind !== "dir")
      throw new Error("withNode: the root can only be replaced by a directory");
    return node;
  }
  const [head, ...rest] = comps as [string, ...string[]];
  if (rest.length === 0) {
    return {
      ...root,
      children: node === undefined ? root.children.delete(head) : root.children.set(head, node),
    };
  }
  const child = root.children.get(head);
  if (child === undefined || child.kind !== "dir") {
    throw new Error(`withNode: /${comps.join("/")}: ancestor ${head} is not a directory`);
  }
  return { ...root, children: root.children.set(head, withNode(child, rest, node)) };
}

/** `root` with the directory at `comps` changed by `f`. */
export function withDir(root: DirNode, comps: readonly string[], f: (dir: DirNode) => DirNode): DirNode {
  const dir = nodeAt(root, comps);
  if (dir === undefined || dir.kind !== "dir")
    throw new Error(`withDir: /${comps.join("/")} is not a directory`);
  return withNode(root, comps, f(dir));
}

/** Every file node under `node` (itself included), for inode bookkeeping. */
export function* filesUnder(node: FsNode): Generator<string> {
  if (node.kind === "file") yield node.ino;
  else if (node.kind === "dir") for (const [, child] of node.children.entries()) yield* filesUnder(child);
}
