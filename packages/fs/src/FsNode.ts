/**
 * The nodes of a layer tree. A layer is a tree of directories whose children live in persistent maps,
 * so a change copies only the path from the root to the changed node and every older tree stays
 * valid and shared.
 *
 * Regular files are names for inodes: a hard link is two names with the same `ino` in one tree, and
 * the inode table holds the content digest and metadata they share.
 */
import { PersistentMap } from "./PersistentMap.js";

/** Content and metadata of a regular file; hard links share one. */
export interface Inode {
  /** sha256 of the content (`sha256:` + 64 hex); the bytes live in the blob store. */
  readonly digest: string;
  readonly size: number;
  /** Permission bits, `0o7777` at most. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Modification time, ms since the epoch. */
  readonly mtime: number;
  /** Names in this tree that refer to it. */
  readonly nlink: number;
}

export interface FileNode {
  readonly kind: "file";
  readonly ino: string;
}
export interface DirNode {
  readonly kind: "dir";
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  /** Hides every entry of the same directory in the layers below (overlayfs `trusted.overlay.opaque=y`). */
  readonly opaque: boolean;
  /**
   * Only in read-only layer trees: the directory was not in the layer, only implied by an entry under
   * it. Stacked on a layer that has it, it takes that directory's metadata instead of its own.
   */
  readonly implied?: boolean;
  readonly children: PersistentMap<FsNode>;
}
export interface SymlinkNode {
  readonly kind: "symlink";
  /** Stored verbatim; resolved inside the container root when followed. */
  readonly target: string;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  /** Set when the symlink has several names (link(2) of a symlink): names with the same id are one inode. */
  readonly linkId?: string;
}
/** Hides the same path in the layers below (overlayfs char device 0/0, OCI `.wh.<name>`). */
export interface WhiteoutNode {
  readonly kind: "whiteout";
}

export type FsNode = FileNode | DirNode | SymlinkNode | WhiteoutNode;

/** One layer: a root directory and its inode table. */
export interface Tree {
  readonly root: DirNode;
  readonly inodes: PersistentMap<Inode>;
}

export const ROOT_META = { mode: 0o755, uid: 0, gid: 0, mtime: 0 } as const;

export function emptyDir(
  meta: { mode: number; uid: number; gid: number; mtime: number },
  opaque = false,
): DirNode {
  return {
    kind: "dir",
    mode: meta.mode,
    uid: meta.uid,
    gid: meta.gid,
    mtime: meta.mtime,
    opaque,
    children: PersistentMap.empty(),
  };
}

/** A tree with an empty root directory. */
export function emptyTree(
  rootMeta: { mode: number; uid: number; gid: number; mtime: number } = ROOT_META,
): Tree {
  return { root: emptyDir(rootMeta), inodes: PersistentMap.empty() };
}
