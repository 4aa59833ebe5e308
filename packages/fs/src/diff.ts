/**
 * Differences between two trees of the union (flattened: no whiteouts):
 * - `changeset(a, b)`: a layer that turns `a` into `b` when stacked on it (deletions as whiteouts);
 * - `changes(a, b)`: Docker's change list (`docker diff`), A/C/D with moby's rules (a content change
 *   counts, as the kernel's mtime would show it).
 */
import { joinPath } from "@strata/core";
import {
  type DeviceNode,
  type DirNode,
  emptyDir,
  type FsNode,
  type Inode,
  type Tree,
  type Xattrs,
} from "./FsNode.js";
import { PersistentMap, sortNames } from "./PersistentMap.js";
import { trampoline } from "./trampoline.js";
import { eachNode } from "./treeOps.js";

const CAPABILITY = "security.capability";

function inode(tree: Tree, node: FsNode): Inode | undefined {
  return node.kind === "file" ? tree.inodes.get(node.ino) : undefined;
}

/** Whether two sets of extended attributes are equal. */
export function sameXattrs(x: Xattrs | undefined, y: Xattrs | undefined): boolean {
  const xk = Object.keys(x ?? {});
  if (xk.length !== Object.keys(y ?? {}).length) return false;
  return xk.every((k) => y?.[k] === x?.[k]);
}

function xattrsOfNode(tree: Tree, node: FsNode): Xattrs | undefined {
  if (node.kind === "file") return tree.inodes.get(node.ino)?.xattrs;
  return node.kind === "whiteout" ? undefined : node.xattrs;
}

/**
 * Whether two entries (of trees `a` and `b`) have the same type, content and metadata, extended
 * attributes included (the access time is not part of a layer: tars do not carry it).
 */
export function sameEntry(a: Tree, an: FsNode, b: Tree, bn: FsNode): boolean {
  if (an.kind !== bn.kind) return false;
  if (!sameXattrs(xattrsOfNode(a, an), xattrsOfNode(b, bn))) return false;
  if (an.kind === "file" && bn.kind === "file") {
    const x = inode(a, an);
    const y = inode(b, bn);
    return (
      !!x &&
      !!y &&
      x.digest === y.digest &&
      x.size === y.size &&
      x.mode === y.mode &&
      x.uid === y.uid &&
      x.gid === y.gid &&
      x.mtime === y.mtime
    );
  }
  if (an.kind === "symlink" && bn.kind === "symlink") {
    return an.target === bn.target && an.uid === bn.uid && an.gid === bn.gid && an.mtime === bn.mtime;
  }
  if (an.kind === "dir" && bn.kind === "dir")
    return an.mode === bn.mode && an.uid === bn.uid && an.gid === bn.gid && an.mtime === bn.mtime;
  if (an.kind === "device" && bn.kind === "device") return sameDevice(an, bn) && an.mtime === bn.mtime;
  return false;
}

/** Whether two devices are the same kind and numbers, with the same mode and owner. */
function sameDevice(x: DeviceNode, y: DeviceNode): boolean {
  return (
    x.device === y.device &&
    x.major === y.major &&
    x.minor === y.minor &&
    x.mode === y.mode &&
    x.uid === y.uid &&
    x.gid === y.gid
  );
}

/**
 * A layer `c` with `stackLayer(a, c)` equal to `b`: entries for what was added or changed (with
 * their parents), whiteouts for what was deleted.
 */
export function changeset(a: Tree, b: Tree): Tree {
  let inodes = PersistentMap.empty<Inode>();
  const take = (node: FsNode): FsNode => {
    eachNode(node, (n) => {
      if (n.kind !== "file") return;
      const i = b.inodes.get(n.ino);
      if (i) inodes = inodes.set(n.ino, i);
    });
    return node;
  };
  type Call = readonly [DirNode, DirNode];
  function* dir([ad, bd]: Call): Generator<Call, DirNode | undefined, DirNode | undefined> {
    let children = PersistentMap.empty<FsNode>();
    for (const [name, bn] of bd.children.entries()) {
      const an = ad.children.get(name);
      if (an === undefined || an.kind !== "dir" || bn.kind !== "dir") {
        if (an === undefined || !sameEntry(a, an, b, bn)) children = children.set(name, take(bn));
        continue;
      }
      const sub = yield [an, bn];
      if (sub) children = children.set(name, sub);
    }
    for (const [name] of ad.children.entries())
      if (!bd.children.has(name)) children = children.set(name, { kind: "whiteout" });
    if (children.size === 0 && sameEntry(a, ad, b, bd)) return undefined;
    return { ...emptyDir(bd), children };
  }
  return { root: trampoline(dir, [a.root, b.root]) ?? emptyDir(b.root), inodes };
}

/** One line of `docker diff`. */
export interface Change {
  readonly kind: "A" | "C" | "D";
  readonly path: string;
}

/**
 * Docker's change list between `a` (the image) and `b` (the container), as moby's ChangesDirs
 * computes it (overlay2 and the containerd store both use it: moby graphdriver/overlay2 `Changes` is
 * the naive diff since 2018, daemon/containerd/image_changes.go): A for a new path and every path
 * under a new directory; D for a deleted path only at its top; C for a non-directory whose type, mode,
 * owner, mtime or size changed, for a directory whose type, mode or owner changed (not its mtime or
 * size), for any entry whose `security.capability` changed, and for every directory that contains a
 * change. `/` is never listed. Sorted by path.
 *
 * moby compares no content: a write moves the kernel's mtime (nanoseconds) and that is what it sees.
 * Here mtimes come from the injected clock in milliseconds, and a clock that did not move makes a
 * rewrite look untouched; so a file whose content differs counts as changed, as its mtime would have.
 * An entry only copied up (a chmod to the same mode) is not a change, as in Docker.
 */
export function changes(a: Tree, b: Tree): Change[] {
  const out: Change[] = [];
  const statDifferent = (an: FsNode, bn: FsNode): boolean => {
    if (an.kind !== bn.kind) return true;
    // moby compares one extended attribute: the file capabilities.
    if (xattrsOfNode(a, an)?.[CAPABILITY] !== xattrsOfNode(b, bn)?.[CAPABILITY]) return true;
    if (an.kind === "dir" && bn.kind === "dir")
      return an.mode !== bn.mode || an.uid !== bn.uid || an.gid !== bn.gid;
    if (an.kind === "file" && bn.kind === "file") {
      const x = inode(a, an);
      const y = inode(b, bn);
      return (
        !x ||
        !y ||
        x.mode !== y.mode ||
        x.uid !== y.uid ||
        x.gid !== y.gid ||
        x.mtime !== y.mtime ||
        x.size !== y.size ||
        x.digest !== y.digest
      );
    }
    if (an.kind === "device" && bn.kind === "device") return !sameDevice(an, bn) || an.mtime !== bn.mtime;
    if (an.kind === "symlink" && bn.kind === "symlink") {
      return (
        an.uid !== bn.uid ||
        an.gid !== bn.gid ||
        an.mtime !== bn.mtime ||
        an.target.length !== bn.target.length ||
        an.target !== bn.target
      );
    }
    return true;
  };
  /** `node` and everything under it, added (pre-order, names in byte order). */
  const added = (node: FsNode, path: string) => {
    const stack: [FsNode, string][] = [[node, path]];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const [n, p] = top;
      out.push({ kind: "A", path: p });
      if (n.kind !== "dir") continue;
      const names = n.children.sortedKeys();
      for (let i = names.length - 1; i >= 0; i--) {
        const name = names[i] as string;
        stack.push([n.children.get(name) as FsNode, joinPath(p, name)]);
      }
    }
  };
  type Call = readonly [FsNode, FsNode, string];
  /** Returns whether anything under (or at) path changed. */
  function* visit([an, bn, path]: Call): Generator<Call, boolean, boolean> {
    const mark = out.length;
    let changed = false;
    if (bn.kind === "dir" && an.kind === "dir") {
      const names = new Set([...an.children.keys(), ...bn.children.keys()]);
      for (const name of sortNames([...names])) {
        const ac = an.children.get(name);
        const bc = bn.children.get(name);
        const p = joinPath(path, name);
        if (ac === undefined && bc !== undefined) {
          added(bc, p);
          changed = true;
        } else if (ac !== undefined && bc === undefined) {
          out.push({ kind: "D", path: p });
          changed = true;
        } else if (ac !== undefined && bc !== undefined) {
          changed = (yield [ac, bc, p]) || changed;
        }
      }
    } else if (bn.kind === "dir") {
      // A non-directory became a directory: everything in it is new.
      for (const name of bn.children.sortedKeys())
        added(bn.children.get(name) as FsNode, joinPath(path, name));
      changed = bn.children.size > 0;
    }
    const self = statDifferent(an, bn);
    if ((self || changed) && path !== "/") out.splice(mark, 0, { kind: "C", path });
    return self || changed;
  }
  trampoline(visit, [a.root, b.root, "/"]);
  return out;
}
