/**
 * The nodes of a layer tree. A layer is a tree of directories whose children live in persistent maps,
 * so a change copies only the path from the root to the changed node and every older tree stays
 * valid and shared.
 *
 * Regular files are names for inodes: a hard link is two names with the same `ino` in one tree, and
 * the inode table holds the content digest and metadata they share.
 */
import { PersistentMap } from "./PersistentMap.js";

/** Extended attributes by name (`user.*`, `security.*`, `trusted.*`); values are bytes in base64. */
export type Xattrs = Readonly<Record<string, string>>;

/** Times and attributes every kind of entry has beside its own metadata. */
interface Common {
  /** Modification time, ms since the epoch. */
  readonly mtime: number;
  /** Access time, ms since the epoch; absent: equal to `mtime` (set together at creation). */
  readonly atime?: number;
  /** Extended attributes; absent: none. */
  readonly xattrs?: Xattrs;
}

/** Content and metadata of a regular file; hard links share one. */
export interface Inode extends Common {
  /** sha256 of the content (`sha256:` + 64 hex); the bytes live in the blob store. */
  readonly digest: string;
  readonly size: number;
  /** Permission bits, `0o7777` at most. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Names in this tree that refer to it. */
  readonly nlink: number;
}

export interface FileNode {
  readonly kind: "file";
  readonly ino: string;
}
export interface DirNode extends Common {
  readonly kind: "dir";
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Hides every entry of the same directory in the layers below (overlayfs `trusted.overlay.opaque=y`). */
  readonly opaque: boolean;
  /**
   * Only in read-only layer trees: the directory was not in the layer, only implied by an entry under
   * it. Stacked on a layer that has it, it takes that directory's metadata instead of its own. `false`
   * on a layer's root: the layer gave the root its own metadata (a `./` entry).
   */
  readonly implied?: boolean;
  readonly children: PersistentMap<FsNode>;
}
export interface SymlinkNode extends Common {
  readonly kind: "symlink";
  /** Stored verbatim; resolved inside the container root when followed. */
  readonly target: string;
  readonly uid: number;
  readonly gid: number;
  /**
   * Set when the symlink has several names (link(2) of a symlink): names with the same id are one
   * inode, and each of them holds the inode's metadata (kept equal by every change).
   */
  readonly linkId?: string;
  /** Names of this inode in its tree, when more than one. */
  readonly nlink?: number;
}
/**
 * A character or block device (its major and minor numbers) or a FIFO (0 and 0): a name with metadata
 * and no content. Never a character device 0/0: that is overlayfs's whiteout.
 */
export interface DeviceNode extends Common {
  readonly kind: "device";
  readonly device: "char" | "block" | "fifo";
  readonly major: number;
  readonly minor: number;
  /** Permission bits, `0o7777` at most. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}
/** Hides the same path in the layers below (overlayfs char device 0/0, OCI `.wh.<name>`). */
export interface WhiteoutNode {
  readonly kind: "whiteout";
}

export type FsNode = FileNode | DirNode | SymlinkNode | DeviceNode | WhiteoutNode;

/** One layer: a root directory and its inode table. */
export interface Tree {
  readonly root: DirNode;
  readonly inodes: PersistentMap<Inode>;
}

export const ROOT_META = { mode: 0o755, uid: 0, gid: 0, mtime: 0 } as const;

/** An empty directory with `meta`'s metadata (its atime and xattrs too, when it has them). */
export function emptyDir(
  meta: {
    readonly mode: number;
    readonly uid: number;
    readonly gid: number;
    readonly mtime: number;
    readonly atime?: number;
    readonly xattrs?: Xattrs;
  },
  opaque = false,
): DirNode {
  const dir: DirNode = {
    kind: "dir",
    mode: meta.mode,
    uid: meta.uid,
    gid: meta.gid,
    mtime: meta.mtime,
    opaque,
    children: PersistentMap.empty(),
  };
  if (meta.atime === undefined && meta.xattrs === undefined) return dir;
  return {
    ...dir,
    ...(meta.atime === undefined ? {} : { atime: meta.atime }),
    ...(meta.xattrs === undefined ? {} : { xattrs: meta.xattrs }),
  };
}

/** `node` with a new mtime, its atime kept (an absent atime follows mtime, so it is written down first). */
export function withMtime<T extends { readonly mtime: number; readonly atime?: number }>(
  node: T,
  mtime: number,
): T {
  if (node.mtime === mtime) return node;
  return { ...node, atime: node.atime ?? node.mtime, mtime };
}

/**
 * `inode` with the content and metadata a write gives it, its link count, atime and xattrs kept, its
 * mtime set (as {@link withMtime}). The same object as `withMtime({ ...inode, digest, … }, mtime)`,
 * built without a spread for the common inode (no atime, no xattrs yet): the spread of objects of
 * many shapes is one of the costs of a replay.
 */
export function writtenInode(
  inode: Inode,
  digest: string,
  size: number,
  mode: number,
  uid: number,
  gid: number,
  mtime: number,
): Inode {
  if (inode.atime !== undefined || inode.xattrs !== undefined)
    return withMtime({ ...inode, digest, size, mode, uid, gid }, mtime);
  if (inode.mtime === mtime) return { digest, size, mode, uid, gid, mtime, nlink: inode.nlink };
  return { digest, size, mode, uid, gid, mtime, nlink: inode.nlink, atime: inode.mtime };
}

/** `node` with xattr `name` set to `value` (base64), or removed when `value` is undefined. */
export function withXattr<T extends { readonly xattrs?: Xattrs }>(
  node: T,
  name: string,
  value: string | undefined,
): T {
  const { [name]: _old, ...rest } = node.xattrs ?? {};
  const xattrs = value === undefined ? rest : { ...rest, [name]: value };
  if (Object.keys(xattrs).length === 0) {
    const { xattrs: _x, ...bare } = node;
    return bare as T;
  }
  return { ...node, xattrs };
}

/** A tree with an empty root directory. */
export function emptyTree(
  rootMeta: { mode: number; uid: number; gid: number; mtime: number } = ROOT_META,
): Tree {
  return { root: emptyDir(rootMeta), inodes: PersistentMap.empty() };
}
