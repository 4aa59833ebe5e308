/**
 * A read-only layer's tree from its entries (`layer.created`), and the flattening of a stack of
 * layers into one tree.
 *
 * Entries are applied in OCI changeset order, with the spec's rules, not a naive applier's:
 * - a whiteout or opaque marker only hides what lies **below** the layer: an entry of the same layer
 *   is never removed by it, whatever its position;
 * - an entry's missing parents are created as directories with mode 0755, owned by root;
 * - a path given twice, an entry under a non-directory of the same layer, a hard link to something that
 *   is not an earlier file of the layer, or a whiteout of `/` are refused ({@link LayerError}).
 */
import { type LayerEntry, pathComponents, StrataError } from "@strata/core";
import { type DirNode, emptyDir, emptyTree, type FsNode, type Tree } from "./FsNode.js";
import { nodeAt, withNode } from "./treeOps.js";

/** A layer whose entries do not form a valid changeset: names the entry (index and path). */
export class LayerError extends StrataError {
  readonly layerId: string;
  readonly entry: number;
  readonly path: string;
  constructor(layerId: string, entry: number, path: string, problem: string) {
    super("InvalidLayer", 400, "invalid-layer", `layer ${layerId}: entry ${entry} (${path}): ${problem}`);
    this.layerId = layerId;
    this.entry = entry;
    this.path = path;
  }
}

export const IMPLIED_DIR = { mode: 0o755, uid: 0, gid: 0, mtime: 0 } as const;
const impliedDir = (opaque = false): DirNode => ({ ...emptyDir(IMPLIED_DIR, opaque), implied: true });

/**
 * The tree of one layer. Whiteouts stay in it as whiteout nodes and opaque markers as the `opaque`
 * flag of their directory: they act only when the layer is stacked on others.
 */
export function layerTree(layerId: string, entries: readonly LayerEntry[]): Tree {
  let tree: Tree = { ...emptyTree(IMPLIED_DIR), root: impliedDir() };
  const seen = new Set<string>();
  const fail = (i: number, path: string, problem: string) => new LayerError(layerId, i, path, problem);
  entries.forEach((entry, i) => {
    const comps = pathComponents(entry.path);
    const key = entry.type === "opaque" ? `${entry.path}/.wh..wh..opq` : entry.path;
    if (seen.has(key)) throw fail(i, entry.path, "the path appears twice in the layer");
    seen.add(key);
    // Implied parents.
    let root = tree.root;
    for (let d = 1; d < comps.length; d++) {
      const prefix = comps.slice(0, d);
      const existing = nodeAt(root, prefix);
      if (existing === undefined) root = withNode(root, prefix, impliedDir());
      else if (existing.kind !== "dir")
        throw fail(i, entry.path, `/${prefix.join("/")} is not a directory in this layer`);
    }
    tree = { ...tree, root };
    const existing = nodeAt(tree.root, comps);
    switch (entry.type) {
      case "dir": {
        const meta = { mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime };
        if (comps.length === 0) {
          const { implied: _implied, ...root } = tree.root;
          tree = { ...tree, root: { ...root, ...meta } };
          return;
        }
        if (existing !== undefined && existing.kind !== "dir")
          throw fail(i, entry.path, "already an entry of another type");
        const dir: DirNode =
          existing?.kind === "dir" ? { ...dropImplied(existing), ...meta } : emptyDir(meta);
        tree = { ...tree, root: withNode(tree.root, comps, dir) };
        return;
      }
      case "opaque": {
        if (existing !== undefined && existing.kind !== "dir")
          throw fail(i, entry.path, "an opaque marker needs a directory");
        const dir: DirNode = existing?.kind === "dir" ? { ...existing, opaque: true } : impliedDir(true);
        tree =
          comps.length === 0
            ? { ...tree, root: { ...tree.root, opaque: true } }
            : { ...tree, root: withNode(tree.root, comps, dir) };
        return;
      }
      case "whiteout": {
        if (comps.length === 0) throw fail(i, entry.path, "the root cannot be whited out");
        // A whiteout never hides an entry of its own layer.
        if (existing !== undefined && existing.kind !== "whiteout") return;
        tree = { ...tree, root: withNode(tree.root, comps, { kind: "whiteout" }) };
        return;
      }
      default: {
        if (comps.length === 0) throw fail(i, entry.path, "the root can only be a directory");
        if (existing !== undefined && existing.kind === "dir")
          throw fail(i, entry.path, "already a directory in this layer");
        let node: FsNode;
        if (entry.type === "file") {
          const ino = `${layerId}#${i}`;
          tree = {
            ...tree,
            inodes: tree.inodes.set(ino, {
              digest: entry.digest,
              size: entry.size,
              mode: entry.mode,
              uid: entry.uid,
              gid: entry.gid,
              mtime: entry.mtime,
              nlink: 1,
            }),
          };
          node = { kind: "file", ino };
        } else if (entry.type === "symlink") {
          node = {
            kind: "symlink",
            target: entry.target,
            uid: entry.uid,
            gid: entry.gid,
            mtime: entry.mtime,
          };
        } else {
          const targetComps = pathComponents(entry.target);
          const target = nodeAt(tree.root, targetComps);
          if (target?.kind === "symlink") {
            // A hard link to a symlink (any non-directory can be hard-linked): one inode, two names.
            const linked = target.linkId === undefined ? { ...target, linkId: `${layerId}#${i}` } : target;
            tree = { ...tree, root: withNode(tree.root, targetComps, linked) };
            node = linked;
          } else if (target?.kind === "file") {
            const inode = tree.inodes.get(target.ino);
            if (inode)
              tree = { ...tree, inodes: tree.inodes.set(target.ino, { ...inode, nlink: inode.nlink + 1 }) };
            node = target;
          } else {
            throw fail(
              i,
              entry.path,
              `hard link target ${entry.target} is not an earlier file or symlink of this layer`,
            );
          }
        }
        tree = { ...tree, root: withNode(tree.root, comps, node) };
      }
    }
  });
  return tree;
}

function dropImplied(dir: DirNode): DirNode {
  const { implied: _implied, ...rest } = dir;
  return rest;
}

/**
 * Applies `layer` over the flattened tree `below` (which holds no whiteouts and no opaque flags) and
 * returns the flattened result: overlayfs's lookup rules, computed once per layer so that lookups in
 * the union never walk the stack.
 */
export function stackLayer(below: Tree, layer: Tree): Tree {
  let inodes = below.inodes;
  const merge = (lower: DirNode | undefined, upper: DirNode): DirNode => {
    // The upper directory's metadata wins; its children merge with the lower ones unless it is opaque.
    let children = upper.opaque || lower === undefined ? emptyDir(upper).children : lower.children;
    for (const [name, node] of upper.children.entries()) {
      if (node.kind === "whiteout") {
        children = children.delete(name);
        continue;
      }
      if (node.kind === "dir") {
        const l = children.get(name);
        children = children.set(name, merge(l?.kind === "dir" ? l : undefined, node));
        continue;
      }
      if (node.kind === "file") {
        const inode = layer.inodes.get(node.ino);
        if (inode) inodes = inodes.set(node.ino, inode);
      }
      children = children.set(name, node);
    }
    return { ...emptyDir(upper.implied && lower ? lower : upper), children };
  };
  const root = merge(layer.root.opaque ? undefined : below.root, layer.root);
  return { root, inodes };
}

/** The flattened tree of a stack of layer trees, bottom first. */
export function flatten(layers: readonly Tree[]): Tree {
  let acc = emptyTree(IMPLIED_DIR);
  for (const layer of layers) acc = stackLayer(acc, layer);
  return acc;
}
