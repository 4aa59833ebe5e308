/**
 * Path operations on one tree (no layering): find a node, and replace or remove one by copying only
 * the directories on its path.
 */
import type { Edit } from "./Edit.js";
import type { DirNode, FsNode, SymlinkNode } from "./FsNode.js";
import type { PersistentMap } from "./PersistentMap.js";
import { trampoline } from "./trampoline.js";

/** `map` with `key` set: persistently, or in place under an open `edit` (see Edit). */
export function put<V>(map: PersistentMap<V>, key: string, value: V, edit: Edit | null): PersistentMap<V> {
  return edit === null ? map.set(key, value) : map.setIn(edit, key, value);
}

/** `map` without `key`: persistently, or in place under an open `edit`. */
export function drop<V>(map: PersistentMap<V>, key: string, edit: Edit | null): PersistentMap<V> {
  return edit === null ? map.delete(key) : map.deleteIn(edit, key);
}

/** `dir` with `children` (itself when they are the same map: unchanged, or changed in place). */
function withChildren(dir: DirNode, children: PersistentMap<FsNode>): DirNode {
  return children === dir.children ? dir : { ...dir, children };
}

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
 * ancestor must already be a directory: the caller creates them first. O(depth): one lookup and one
 * new directory per level. Under an open `edit`, the directories whose children maps the edit made
 * change in place, and nothing above them is copied.
 */
export function withNode(
  root: DirNode,
  comps: readonly string[],
  node: FsNode | undefined,
  edit: Edit | null = null,
): DirNode {
  if (comps.length === 0) {
    if (node === undefined || node.kind !== "dir")
      throw new Error("withNode: the root can only be replaced by a directory");
    return node;
  }
  const path: DirNode[] = [root];
  for (let i = 0; i < comps.length - 1; i++) {
    const child = (path[i] as DirNode).children.get(comps[i] as string);
    if (child === undefined || child.kind !== "dir")
      throw new Error(`withNode: /${comps.join("/")}: ancestor ${comps[i]} is not a directory`);
    path.push(child);
  }
  let i = comps.length - 1;
  const dir = path[i] as DirNode;
  const head = comps[i] as string;
  let built = withChildren(
    dir,
    node === undefined ? drop(dir.children, head, edit) : put(dir.children, head, node, edit),
  );
  for (i -= 1; i >= 0; i--) {
    // The same directory (unchanged, or changed in place): nothing above it changes.
    if (built === path[i + 1]) return root;
    const parent = path[i] as DirNode;
    built = withChildren(parent, put(parent.children, comps[i] as string, built, edit));
  }
  return built;
}

/** `root` with the directory at `comps` changed by `f` (see {@link withNode} for `edit`). */
export function withDir(
  root: DirNode,
  comps: readonly string[],
  f: (dir: DirNode) => DirNode,
  edit: Edit | null = null,
): DirNode {
  const dir = nodeAt(root, comps);
  if (dir === undefined || dir.kind !== "dir")
    throw new Error(`withDir: /${comps.join("/")} is not a directory`);
  const next = f(dir);
  return next === dir ? root : withNode(root, comps, next, edit);
}

/** Calls `f` on `node` and every node under it (pre-order, children in map order), on a stack of its own. */
export function eachNode(node: FsNode, f: (node: FsNode) => void): void {
  const stack: FsNode[] = [node];
  for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
    f(n);
    if (n.kind === "dir") for (const [, child] of n.children.entries()) stack.push(child);
  }
}

/** Every file node under `node` (itself included), for inode bookkeeping. */
export function filesUnder(node: FsNode): string[] {
  const out: string[] = [];
  eachNode(node, (n) => {
    if (n.kind === "file") out.push(n.ino);
  });
  return out;
}

/**
 * `root` with `f` applied to every symlink of hard-link group `linkId` (the names of one inode: they
 * hold its metadata, kept equal). Walks the tree: only for symlinks with several names, which are rare.
 */
export function mapLinkedSymlinks(
  root: DirNode,
  linkId: string,
  f: (node: SymlinkNode) => SymlinkNode,
): DirNode {
  return trampoline(function* visit(dir: DirNode): Generator<DirNode, DirNode, DirNode> {
    let children = dir.children;
    for (const [name, child] of dir.children.entries()) {
      if (child.kind === "dir") {
        const next = yield child;
        if (next !== child) children = children.set(name, next);
      } else if (child.kind === "symlink" && child.linkId === linkId) {
        children = children.set(name, f(child));
      }
    }
    return children === dir.children ? dir : { ...dir, children };
  }, root);
}

/** The hard-link groups of symlinks under `node`. */
export function symlinkGroupsUnder(node: FsNode | undefined, into: Set<string> = new Set()): Set<string> {
  if (node !== undefined)
    eachNode(node, (n) => {
      if (n.kind === "symlink" && n.linkId !== undefined) into.add(n.linkId);
    });
  return into;
}

/** `root` with the nlink of every symlink of the groups `linkIds` set to the names left in it. */
export function recountSymlinkGroups(root: DirNode, linkIds: ReadonlySet<string>): DirNode {
  if (linkIds.size === 0) return root;
  const counts = new Map<string, number>();
  eachNode(root, (node) => {
    if (node.kind === "symlink" && node.linkId !== undefined && linkIds.has(node.linkId))
      counts.set(node.linkId, (counts.get(node.linkId) ?? 0) + 1);
  });
  let out = root;
  for (const id of linkIds) {
    const n = counts.get(id) ?? 0;
    if (n === 0) continue;
    out = mapLinkedSymlinks(out, id, (s) => {
      if (n > 1) return s.nlink === n ? s : { ...s, nlink: n };
      const { nlink: _n, ...rest } = s;
      return rest;
    });
  }
  return out;
}
