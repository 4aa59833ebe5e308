/**
 * `fs.fileWritten` (open with O_CREAT and a write): a file of the upper layer is written where it is,
 * one only below is copied up first, and a new name gets a new inode and moves its directory's mtime.
 * Part of {@link applyFsEvent}'s rules (see its header for `edit`).
 */
import { type FsEvent, pathComponents } from "@strata/core";
import { copyUp, ensureUpperDir, type InodeIds } from "../copyUp.js";
import type { Edit } from "../Edit.js";
import { FsError } from "../FsError.js";
import { type FileNode, type Inode, type Tree, writtenInode } from "../FsNode.js";
import { childPair, type Overlay, shown } from "../Overlay.js";
import { nodeAt, put } from "../treeOps.js";
import { place, setInode, touchDir } from "../upperTree.js";
import { requireDirAt } from "./requireDirAt.js";

type FileWritten = Extract<FsEvent, { type: "fs.fileWritten" }>;

/**
 * Why content cannot be written to a device or FIFO: opening one is not modelled (a container's device
 * cgroup refuses the nodes an image brings: EPERM), and a write would not change the file anyway.
 */
export const DEVICE_OPEN =
  "a device or FIFO: opening it to write is not modelled (a container's device cgroup refuses it)";

/**
 * What an `fs.fileWritten` does to a file the upper layer holds already (inode `ino`): its content and
 * metadata replaced, its mtime moved; no copy-up, and its directory's mtime unchanged (no name added).
 */
export function writeUpperFile(
  upper: Tree,
  ino: string,
  event: FileWritten,
  t: number,
  edit: Edit | null,
): Tree {
  const { digest, size, mode, uid, gid } = event.data;
  const mtime = event.data.mtime ?? t;
  return setInode(upper, ino, (i) => writtenInode(i, digest, size, mode, uid, gid, mtime), edit);
}

/** The upper tree after an `fs.fileWritten` at time `t`; throws {@link FsError} when it does not apply. */
export function applyFileWritten(
  ov: Overlay,
  event: FileWritten,
  t: number,
  newIno: InodeIds,
  edit: Edit | null,
): Tree {
  const { path, digest, size, mode, uid, gid } = event.data;
  const mtime = event.data.mtime ?? t;
  const comps = pathComponents(path);
  if (comps.length === 0) throw new FsError("EISDIR", "open", path);
  const parentComps = comps.slice(0, -1);
  const pair = childPair(requireDirAt(ov, parentComps, "open", path), comps[comps.length - 1] as string);
  if (pair !== undefined) {
    const node = shown(pair);
    if (node.kind === "dir") throw new FsError("EISDIR", "open", path);
    if (node.kind === "device") throw new FsError("EPERM", "open", path, DEVICE_OPEN);
    if (node.kind !== "file")
      throw new FsError("EINVAL", "open", path, "a symlink: the path must be resolved");
    // A file of the upper layer is written where it is; one only below is copied up first.
    const up = pair.upper === undefined ? copyUp(ov, comps, newIno, edit, pair) : ov.upper;
    const ino = pair.upper === undefined ? (nodeAt(up.root, comps) as FileNode).ino : node.ino;
    return writeUpperFile(up, ino, event, t, edit);
  }
  const parent = ensureUpperDir(ov, parentComps, edit);
  const ino = newIno();
  const inode: Inode = { digest, size, mode, uid, gid, mtime, nlink: 1 };
  const withInode: Tree = { ...parent, inodes: put(parent.inodes, ino, inode, edit) };
  return touchDir(place(withInode, comps, { kind: "file", ino }, edit), parentComps, t, edit);
}
