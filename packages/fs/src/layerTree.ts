/**
 * A read-only layer's tree from its entries (`layer.created`), and the flattening of a stack of
 * layers into one tree.
 *
 * Entries are applied in OCI changeset order, with the spec's rules, not a naive applier's:
 * - a whiteout or opaque marker only hides what lies **below** the layer: an entry of the same layer
 *   is never removed by it, whatever its position; a whiteout beside a directory of the same name (in
 *   either order, the directory given or implied) leaves that directory showing only this layer's
 *   entries (opaque), as umoci unpacks it (the spec: a whiteout applies only to the layers below);
 * - an entry's missing parents are created as directories with mode 0755, owned by root;
 * - a path given twice, an entry under a non-directory of the same layer, a hard link to something that
 *   is not an earlier file of the layer, a whiteout of `/`, a name the kernel could not hold (over 255
 *   bytes, a lone surrogate), a symlink target of 4096 bytes or more, a character device 0/0 (that is
 *   overlayfs's whiteout: say `whiteout`), and overlayfs's own `trusted.overlay.*` xattrs are refused
 *   ({@link LayerError}).
 * Each entry costs O(its depth). Trees are built under a private {@link Edit} (each node copied once,
 * then changed in place), closed before they are returned: the results are ordinary persistent trees.
 */
import { type LayerEntry, pathComponents, StrataError } from "@strata/core";
import { Edit } from "./Edit.js";
import {
  type DirNode,
  emptyDir,
  emptyTree,
  type FsNode,
  type Inode,
  type Tree,
  type Xattrs,
} from "./FsNode.js";
import { hashOf, hashOn } from "./hamt.js";
import type { PersistentMap } from "./PersistentMap.js";
import { NAME_MAX, nameTooLong, notBytes, PATH_MAX, utf8Length } from "./pathLimits.js";
import { trampoline } from "./trampoline.js";
import { drop, eachNode, nodeAt, put, recountSymlinkGroups, withNode } from "./treeOps.js";

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

/**
 * The trees {@link layerTree} built: the inode table of each holds exactly the inodes its files name
 * (no entry of a layer takes a file away). A memo of what `stackInto` checks otherwise by hashing
 * every inode id, so never another answer; trees are immutable, so the fact holds for good.
 */
const exactTrees = new WeakSet<Tree>();
const impliedDir = (opaque = false): DirNode => ({ ...emptyDir(IMPLIED_DIR, opaque), implied: true });

/**
 * The tree of one layer. Whiteouts stay in it as whiteout nodes and opaque markers as the `opaque`
 * flag of their directory: they act only when the layer is stacked on others.
 */
export function layerTree(layerId: string, entries: readonly LayerEntry[]): Tree {
  const edit = new Edit();
  try {
    const tree = buildLayerTree(layerId, entries, edit);
    exactTrees.add(tree);
    return tree;
  } finally {
    edit.close();
  }
}

function buildLayerTree(layerId: string, entries: readonly LayerEntry[], edit: Edit): Tree {
  let tree: Tree = { ...emptyTree(IMPLIED_DIR), root: impliedDir() };
  const seen = new Set<string>();
  const symlinkGroups = new Set<string>();
  const fail = (i: number, path: string, problem: string) => new LayerError(layerId, i, path, problem);
  // The inode ids are `${layerId}#${i}`: their common prefix is hashed once.
  const inoPrefix = hashOf(`${layerId}#`);
  /** Sets the node at `comps`: in its directory's map (`parent`, when known), in place when this build made that map. */
  const set = (comps: readonly string[], parent: DirNode | undefined, node: FsNode) => {
    if (parent === undefined) {
      tree = { ...tree, root: withNode(tree.root, comps, node, edit) };
      return;
    }
    const children = put(parent.children, comps[comps.length - 1] as string, node, edit);
    if (children !== parent.children)
      tree = { ...tree, root: withNode(tree.root, comps.slice(0, -1), { ...parent, children }, edit) };
  };
  entries.forEach((entry, i) => {
    const comps = pathComponents(entry.path);
    // A whiteout and an entry of the same name may both be there (the whiteout is for the layers below).
    const key =
      entry.type === "opaque"
        ? `${entry.path}/.wh..wh..opq`
        : entry.type === "whiteout"
          ? `${entry.path}\0whiteout`
          : entry.path;
    if (seen.has(key)) throw fail(i, entry.path, "the path appears twice in the layer");
    seen.add(key);
    const problem = entryProblem(entry, comps);
    if (problem !== undefined) throw fail(i, entry.path, problem);
    // Implied parents: walk down once to the deepest existing one, then add the missing chain.
    let d = 0;
    let dir: DirNode = tree.root;
    /** The first missing parent replaces a whiteout of this layer: made, not implied, and opaque. */
    let overWhiteout = false;
    for (; d < comps.length - 1; d++) {
      const child: FsNode | undefined = dir.children.get(comps[d] as string);
      if (child === undefined) break;
      if (child.kind === "whiteout") {
        overWhiteout = true;
        break;
      }
      if (child.kind !== "dir")
        throw fail(i, entry.path, `/${comps.slice(0, d + 1).join("/")} is not a directory in this layer`);
      dir = child;
    }
    // The directory that holds the entry, when it was there already (entries come by directory).
    let parent: DirNode | undefined = comps.length > 0 ? dir : undefined;
    if (d < comps.length - 1) {
      let chain = impliedDir();
      for (let j = comps.length - 2; j > d; j--) {
        const implied = impliedDir();
        chain = { ...implied, children: put(implied.children, comps[j] as string, chain, edit) };
      }
      // Over a whiteout, the directory below is gone: this one takes no metadata from it.
      if (overWhiteout) chain = { ...dropImplied(chain), opaque: true };
      tree = { ...tree, root: withNode(tree.root, comps.slice(0, d + 1), chain, edit) };
      parent = undefined;
    }
    const existing = comps.length === 0 ? tree.root : parent?.children.get(comps[comps.length - 1] as string);
    switch (entry.type) {
      case "dir": {
        const meta = {
          mode: entry.mode,
          uid: entry.uid,
          gid: entry.gid,
          mtime: entry.mtime,
          ...xattrsOf(entry.xattrs),
        };
        if (comps.length === 0) {
          // `implied: false`: the layer gives the root its metadata (an export writes it back as `./`).
          tree = { ...tree, root: { ...tree.root, ...meta, implied: false } };
          return;
        }
        if (existing !== undefined && existing.kind !== "dir" && existing.kind !== "whiteout")
          throw fail(i, entry.path, "already an entry of another type");
        set(
          comps,
          parent,
          existing?.kind === "dir"
            ? { ...dropImplied(existing), ...meta }
            : emptyDir(meta, existing?.kind === "whiteout"),
        );
        return;
      }
      case "opaque": {
        if (existing !== undefined && existing.kind !== "dir" && existing.kind !== "whiteout")
          throw fail(i, entry.path, "an opaque marker needs a directory");
        if (comps.length === 0) tree = { ...tree, root: { ...tree.root, opaque: true } };
        else if (existing?.kind === "dir") set(comps, parent, { ...existing, opaque: true });
        // In a directory a whiteout of this layer removed: made again, empty but for this layer's entries.
        else if (existing?.kind === "whiteout") set(comps, parent, emptyDir(IMPLIED_DIR, true));
        else set(comps, parent, impliedDir(true));
        return;
      }
      case "whiteout": {
        if (comps.length === 0) throw fail(i, entry.path, "the root cannot be whited out");
        // A whiteout never hides an entry of its own layer; beside a directory of it, it hides what
        // that directory held below (the directory is opaque).
        if (existing?.kind === "dir") {
          // Implied and holding nothing of this layer (only whiteouts or an opaque marker), it is
          // gone with what was below; else it stays, opaque (implied: with the metadata of the
          // directory below, as umoci's rootfs has it).
          if (existing.implied && !holdsEntries(existing)) set(comps, parent, { kind: "whiteout" });
          else if (!existing.opaque) set(comps, parent, { ...existing, opaque: true });
          return;
        }
        if (existing !== undefined) return;
        set(comps, parent, { kind: "whiteout" });
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
            root: tree.root,
            inodes: tree.inodes.setHashedIn(
              edit,
              ino,
              hashOn(inoPrefix, `${i}`),
              withXattrs(
                {
                  digest: entry.digest,
                  size: entry.size,
                  mode: entry.mode,
                  uid: entry.uid,
                  gid: entry.gid,
                  mtime: entry.mtime,
                  nlink: 1,
                },
                entry.xattrs,
              ),
            ),
          };
          node = { kind: "file", ino };
        } else if (entry.type === "device") {
          node = {
            kind: "device",
            device: entry.device,
            major: entry.device === "fifo" ? 0 : entry.major,
            minor: entry.device === "fifo" ? 0 : entry.minor,
            mode: entry.mode,
            uid: entry.uid,
            gid: entry.gid,
            mtime: entry.mtime,
            ...xattrsOf(entry.xattrs),
          };
        } else if (entry.type === "symlink") {
          node = {
            kind: "symlink",
            target: entry.target,
            uid: entry.uid,
            gid: entry.gid,
            mtime: entry.mtime,
            ...xattrsOf(entry.xattrs),
          };
        } else {
          const targetComps = pathComponents(entry.target);
          const target = nodeAt(tree.root, targetComps);
          if (target?.kind === "symlink") {
            // A hard link to a symlink (any non-directory can be hard-linked): one inode, two names.
            const linked = target.linkId === undefined ? { ...target, linkId: `${layerId}#${i}` } : target;
            symlinkGroups.add(linked.linkId as string);
            tree = { ...tree, root: withNode(tree.root, targetComps, linked, edit) };
            parent = undefined; // the target's directory may be the entry's, and a new object now
            node = linked;
          } else if (target?.kind === "file") {
            const inode = tree.inodes.get(target.ino);
            if (inode)
              tree = {
                ...tree,
                inodes: put(tree.inodes, target.ino, { ...inode, nlink: inode.nlink + 1 }, edit),
              };
            node = target;
          } else {
            throw fail(
              i,
              entry.path,
              `hard link target ${entry.target} is not an earlier file or symlink of this layer`,
            );
          }
        }
        set(comps, parent, node);
      }
    }
  });
  return symlinkGroups.size === 0 ? tree : { ...tree, root: recountSymlinkGroups(tree.root, symlinkGroups) };
}

/** Extended attributes as a node holds them (absent when there are none). */
function xattrsOf(xattrs: Xattrs | undefined): { xattrs?: Xattrs } {
  return xattrs === undefined || Object.keys(xattrs).length === 0 ? {} : { xattrs: { ...xattrs } };
}

/** `node` with a copy of `xattrs` when there are any: `{ ...node, ...xattrsOf(xattrs) }`, no spread when there are none. */
function withXattrs<T extends object>(node: T, xattrs: Xattrs | undefined): T {
  if (xattrs === undefined) return node;
  for (const _ in xattrs) return { ...node, xattrs: { ...xattrs } };
  return node;
}

/** What the kernel could not hold in an entry: a name, a symlink target, an xattr. */
function entryProblem(entry: LayerEntry, comps: readonly string[]): string | undefined {
  const bad = notBytes(entry.path);
  if (bad !== undefined) return `the path cannot be a name: ${bad}`;
  for (const name of comps)
    if (nameTooLong(name)) return `the name ${name.slice(0, 32)}… is over ${NAME_MAX} bytes`;
  if (entry.type === "device" && entry.device === "char" && entry.major === 0 && entry.minor === 0)
    return "a character device 0/0 is overlayfs's whiteout, not a device (write a whiteout entry)";
  if (entry.type === "symlink") {
    const badTarget = notBytes(entry.target);
    if (badTarget !== undefined) return `the symlink target cannot be stored: ${badTarget}`;
    if (utf8Length(entry.target) >= PATH_MAX) return `the symlink target has ${PATH_MAX} bytes or more`;
  }
  if ("xattrs" in entry && entry.xattrs !== undefined) {
    for (const name of Object.keys(entry.xattrs)) {
      if (name.startsWith("trusted.overlay.")) return `${name}: trusted.overlay.* belongs to overlayfs`;
      const badName = notBytes(name);
      if (badName !== undefined) return `the xattr name cannot be stored: ${badName}`;
      if (utf8Length(name) > NAME_MAX)
        return `the xattr name ${name.slice(0, 32)}… is over ${NAME_MAX} bytes`;
      if ((entry.type === "symlink" || entry.type === "device") && name.startsWith("user."))
        return `${name}: user.* xattrs are not allowed on a ${entry.type === "device" ? "device or FIFO" : "symlink"}`;
    }
  }
  return undefined;
}

/** Whether a layer's directory holds an entry of the layer (not only whiteouts and implied directories). */
function holdsEntries(dir: DirNode): boolean {
  let found = false;
  eachNode(dir, (n) => {
    if (n !== dir && n.kind !== "whiteout" && !(n.kind === "dir" && n.implied)) found = true;
  });
  return found;
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
  return stackLayers(below, [layer]);
}

/** `layers` stacked on `below` in turn, bottom first, under one private edit. */
export function stackLayers(below: Tree, layers: readonly Tree[]): Tree {
  const edit = new Edit();
  try {
    let acc = below;
    for (const layer of layers) acc = stackInto(acc, layer, edit);
    return acc;
  } finally {
    edit.close();
  }
}

/** One layer on `below`: what `below`'s tree got from `edit` changes in place (it is not kept). */
function stackInto(below: Tree, layer: Tree, edit: Edit): Tree {
  let inodes = below.inodes;
  // The inodes of the files taken in one pass, put at the end; and whether any were put one by one.
  const taken: string[] = [];
  let putOneByOne = false;
  type Call = readonly [DirNode | undefined, DirNode];
  /** `upper` over `lower`: the upper directory's metadata wins; the children merge unless it is opaque. */
  function* merge([lower, upper]: Call): Generator<Call, DirNode, DirNode> {
    const meta = emptyDir(upper.implied && lower ? lower : upper);
    let children = upper.opaque || lower === undefined ? meta.children : lower.children;
    /** With nothing below: the directories in it, merged first. */
    let merged: Map<string, DirNode> | undefined;
    if (children.size === 0) {
      // Nothing below: the upper directory's names as they are (no whiteout to drop), in one pass
      // that keeps the map's shape.
      let whiteouts = false;
      for (const [name, node] of upper.children.entries()) {
        if (node.kind === "dir") {
          merged ??= new Map();
          merged.set(name, yield [undefined, node]);
        } else if (node.kind === "whiteout") whiteouts = true;
      }
      if (!whiteouts) {
        const mapped = upper.children.mapValues((node, name): FsNode => {
          if (node.kind === "dir") return merged?.get(name) as DirNode;
          if (node.kind === "file") taken.push(node.ino);
          return node;
        }) as PersistentMap<FsNode>;
        // A directory holding only what the stack keeps as it is (no whiteout, opaque or implied
        // directory under it) is itself already flat: shared, not copied.
        if (mapped === upper.children && !upper.opaque && upper.implied === undefined) return upper;
        return { ...meta, children: mapped };
      }
    }
    for (const [name, node] of upper.children.entries()) {
      if (node.kind === "whiteout") {
        children = drop(children, name, edit);
        continue;
      }
      if (node.kind === "dir") {
        const l = children.get(name);
        const sub = merged?.get(name) ?? (yield [l?.kind === "dir" ? l : undefined, node]);
        children = put(children, name, sub, edit);
        continue;
      }
      if (node.kind === "file") {
        const inode = layer.inodes.get(node.ino);
        if (inode) inodes = put(inodes, node.ino, inode, edit);
        putOneByOne = true;
      }
      children = put(children, name, node, edit);
    }
    return { ...meta, children };
  }
  const root = trampoline(merge, [layer.root.opaque ? undefined : below.root, layer.root]);
  // On no inodes, the layer's own table when its files name every inode of it (a layer's tree always
  // does): the very entries the puts would give, without hashing a key.
  if (!putOneByOne && inodes.size === 0 && (exactTrees.has(layer) || namesEvery(layer.inodes, taken)))
    return { root, inodes: layer.inodes };
  for (const ino of taken) {
    const inode = layer.inodes.get(ino);
    if (inode) inodes = put(inodes, ino, inode, edit);
  }
  return { root, inodes };
}

/** Whether the inode ids `named` are exactly the keys of `inodes`. */
function namesEvery(inodes: PersistentMap<Inode>, named: readonly string[]): boolean {
  const set = new Set(named);
  return set.size === inodes.size && inodes.keys().every((ino) => set.has(ino));
}

/** The flattened tree of a stack of layer trees, bottom first. */
export function flatten(layers: readonly Tree[]): Tree {
  return stackLayers(emptyTree(IMPLIED_DIR), layers);
}
