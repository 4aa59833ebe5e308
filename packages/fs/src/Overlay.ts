/**
 * The union of a read-only lower tree and a read-write upper tree, with overlayfs's rules.
 *
 * The lower tree is the image's layers flattened into one (their whiteouts and opaque markers already
 * applied, see `flatten.ts`), so a lookup walks two trees whatever the depth of the image: O(path
 * depth), never O(layers). The upper tree is the container's read-write layer: what overlayfs's
 * upperdir holds, with whiteouts and opaque directories.
 *
 * Lookup of a name in a directory of the union:
 * - upper has a whiteout → absent, and the lower entry is hidden;
 * - upper has a non-directory → it, alone;
 * - upper has a directory → it, merged with the lower directory of the same name unless the upper one
 *   is opaque or the lower entry is not a directory;
 * - upper has nothing → the lower entry.
 * A merged directory's metadata is the upper directory's.
 */
import type { DirNode, FsNode, Inode, Tree } from "./FsNode.js";
import { sortNames } from "./PersistentMap.js";

export interface Overlay {
  readonly lower: Tree;
  readonly upper: Tree;
}

/** An entry of the union: its upper node (never a whiteout) and/or the lower node it merges with. */
export interface Pair {
  readonly upper: FsNode | undefined;
  readonly lower: FsNode | undefined;
}

/** The kinds of entry a union view shows. */
export type EntryType = "file" | "dir" | "symlink" | "char-device" | "block-device" | "fifo";

/** What `stat` answers. */
export interface Stat {
  readonly type: EntryType;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  /** Access time (set with mtime at creation and by utimes; reads do not change it). */
  readonly atime: number;
  /** Content length for files, target length in bytes for symlinks, 0 for directories and devices. */
  readonly size: number;
  /** Files: content digest. */
  readonly digest?: string;
  /** Files and symlinks: names of this inode in its layer. */
  readonly nlink?: number;
  /**
   * Files, and symlinks with several names: the inode's identity. Two names with the same `ino` are
   * hard links of one inode (names of a lower hard link broken by copy-up have different ones).
   */
  readonly ino?: string;
  /** Symlinks: the target, verbatim. */
  readonly target?: string;
  /** Character and block devices: the device numbers. */
  readonly major?: number;
  readonly minor?: number;
  /** Which tree the entry comes from: `upper` (the read-write layer) or `lower` (the image). */
  readonly layer: "upper" | "lower";
}

export function rootPair(ov: Overlay): Pair {
  return { upper: ov.upper.root, lower: ov.upper.root.opaque ? undefined : ov.lower.root };
}

/** The child `name` of a directory pair, or undefined if the union has no such entry. */
export function childPair(pair: Pair, name: string): Pair | undefined {
  const u = pair.upper?.kind === "dir" ? pair.upper.children.get(name) : undefined;
  if (u?.kind === "whiteout") return undefined;
  const lowerDir = pair.lower?.kind === "dir" ? pair.lower : undefined;
  if (u !== undefined && u.kind !== "dir") return { upper: u, lower: undefined };
  if (u !== undefined) {
    const l = u.opaque ? undefined : lowerDir?.children.get(name);
    return { upper: u, lower: l?.kind === "dir" ? l : undefined };
  }
  const l = lowerDir?.children.get(name);
  return l === undefined ? undefined : { upper: undefined, lower: l };
}

/** The entry at canonical `comps`, without following symlinks. */
export function lookupPair(ov: Overlay, comps: readonly string[]): Pair | undefined {
  let pair: Pair | undefined = rootPair(ov);
  for (const c of comps) {
    if (pair === undefined) return undefined;
    pair = childPair(pair, c);
  }
  return pair;
}

/** The node a pair shows (the upper one if any). */
export function shown(pair: Pair): FsNode {
  return (pair.upper ?? pair.lower) as FsNode;
}

/** The inode of a file pair. */
export function inodeOf(ov: Overlay, pair: Pair): Inode {
  const node = shown(pair);
  if (node.kind !== "file") throw new Error("inodeOf: not a file");
  const tree = pair.upper ? ov.upper : ov.lower;
  const inode = tree.inodes.get(node.ino);
  if (!inode) throw new Error(`inodeOf: missing inode ${node.ino}`);
  return inode;
}

export function statPair(ov: Overlay, pair: Pair): Stat {
  const node = shown(pair);
  const layer = pair.upper ? "upper" : "lower";
  switch (node.kind) {
    case "file": {
      const i = inodeOf(ov, pair);
      return {
        type: "file",
        mode: i.mode,
        uid: i.uid,
        gid: i.gid,
        mtime: i.mtime,
        atime: i.atime ?? i.mtime,
        size: i.size,
        digest: i.digest,
        nlink: i.nlink,
        ino: node.ino,
        layer,
      };
    }
    case "dir":
      return {
        type: "dir",
        mode: node.mode,
        uid: node.uid,
        gid: node.gid,
        mtime: node.mtime,
        atime: node.atime ?? node.mtime,
        size: 0,
        layer,
      };
    case "symlink":
      return {
        type: "symlink",
        mode: 0o777,
        uid: node.uid,
        gid: node.gid,
        mtime: node.mtime,
        atime: node.atime ?? node.mtime,
        size: Buffer.byteLength(node.target),
        target: node.target,
        nlink: node.nlink ?? 1,
        ...(node.linkId === undefined ? {} : { ino: node.linkId }),
        layer,
      };
    case "device":
      return {
        type: node.device === "fifo" ? "fifo" : node.device === "char" ? "char-device" : "block-device",
        mode: node.mode,
        uid: node.uid,
        gid: node.gid,
        mtime: node.mtime,
        atime: node.atime ?? node.mtime,
        size: 0,
        ...(node.device === "fifo" ? {} : { major: node.major, minor: node.minor }),
        layer,
      };
    case "whiteout":
      throw new Error("statPair: a whiteout is never shown");
  }
}

/** The extended attributes of a union entry (names to base64 values). */
export function xattrsOf(ov: Overlay, pair: Pair): Readonly<Record<string, string>> | undefined {
  const node = shown(pair);
  if (node.kind === "file") return (pair.upper ? ov.upper : ov.lower).inodes.get(node.ino)?.xattrs;
  if (node.kind === "whiteout") return undefined;
  return node.xattrs;
}

/** Names in a directory pair, merged, whiteouts applied, in byte order. */
export function readdirPair(pair: Pair): string[] {
  const names = new Set<string>();
  const upper = pair.upper?.kind === "dir" ? pair.upper : undefined;
  const lower = pair.lower?.kind === "dir" ? pair.lower : undefined;
  if (upper)
    for (const [name, node] of upper.children.entries()) if (node.kind !== "whiteout") names.add(name);
  if (lower) for (const [name] of lower.children.entries()) if (!upper?.children.has(name)) names.add(name);
  return sortNames([...names]);
}

/** Whether the directory pair lists nothing. */
export function isEmptyDirPair(pair: Pair): boolean {
  const upper = pair.upper?.kind === "dir" ? pair.upper : undefined;
  const lower = pair.lower?.kind === "dir" ? pair.lower : undefined;
  if (upper) for (const [, node] of upper.children.entries()) if (node.kind !== "whiteout") return false;
  if (lower) for (const [name] of lower.children.entries()) if (!upper?.children.has(name)) return false;
  return true;
}

/** Walks the union under `comps` in pre-order, names in byte order, yielding each path and its pair. */
export function* walkPairs(_ov: Overlay, comps: readonly string[], pair: Pair): Generator<[string[], Pair]> {
  // A stack of its own (a path may have 2,000 components); each entry's components are built once.
  const stack: [string[], Pair][] = [[[...comps], pair]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [at, p] = top;
    yield [at, p];
    if (shown(p).kind !== "dir") continue;
    const names = readdirPair(p);
    for (let i = names.length - 1; i >= 0; i--) {
      const name = names[i] as string;
      const child = childPair(p, name);
      if (child) stack.push([[...at, name], child]);
    }
  }
}

export type { DirNode };
