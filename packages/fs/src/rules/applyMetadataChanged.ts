/**
 * The metadata events (`fs.modeChanged`, `fs.ownerChanged`, `fs.timesChanged`, `fs.xattrSet`,
 * `fs.xattrRemoved`): the entry is copied up unless it is the root, then its metadata changes (an
 * inode's for a file, every name's for a linked symlink); no directory's mtime moves. Part of
 * {@link applyFsEvent}'s rules (see its header for `edit`).
 */
import { type FsEvent, pathComponents } from "@strata/core";
import { copyUp, type InodeIds } from "../copyUp.js";
import type { Edit } from "../Edit.js";
import { FsError } from "../FsError.js";
import {
  type DeviceNode,
  type DirNode,
  type FsNode,
  type Inode,
  type SymlinkNode,
  type Tree,
  withXattr,
  type Xattrs,
} from "../FsNode.js";
import { lookupPair, type Overlay, shown, xattrsOf } from "../Overlay.js";
import { mapLinkedSymlinks, nodeAt, withNode } from "../treeOps.js";
import { setInode, withRoot } from "../upperTree.js";
import { markOpaque, OVERLAY_OPAQUE } from "./markOpaque.js";
import { xattrRefusal } from "./xattrRefusal.js";

/** chown's "leave this id as it is" (`(uid_t)-1`), resolved to the current id before an event is written. */
export const KEEP_ID = 0xffffffff;

export type MetadataEvent = Extract<
  FsEvent,
  { type: "fs.modeChanged" | "fs.ownerChanged" | "fs.timesChanged" | "fs.xattrSet" | "fs.xattrRemoved" }
>;

const opName: Record<MetadataEvent["type"], string> = {
  "fs.modeChanged": "chmod",
  "fs.ownerChanged": "chown",
  "fs.timesChanged": "utimes",
  "fs.xattrSet": "setxattr",
  "fs.xattrRemoved": "removexattr",
};

/** Applies `f` to the upper node at `comps` (to every name of its inode for linked symlinks). */
function changeNode(
  up: Tree,
  comps: readonly string[],
  onFile: (i: Inode) => Inode,
  onOther: <T extends DirNode | SymlinkNode | DeviceNode>(n: T) => T,
  edit: Edit | null,
): Tree {
  const current = comps.length === 0 ? up.root : (nodeAt(up.root, comps) as FsNode);
  switch (current.kind) {
    case "file":
      return setInode(up, current.ino, onFile, edit);
    case "dir": {
      const dir = onOther(current);
      return withRoot(up, comps.length === 0 ? dir : withNode(up.root, comps, dir, edit));
    }
    case "symlink":
      if (current.linkId !== undefined)
        return withRoot(
          up,
          mapLinkedSymlinks(up.root, current.linkId, (s) => onOther(s)),
        );
      return withRoot(up, withNode(up.root, comps, onOther(current), edit));
    case "device":
      return withRoot(up, withNode(up.root, comps, onOther(current), edit));
    case "whiteout":
      throw new Error("unreachable: whiteout shown");
  }
}

/** The metadata `event` gives `m` (a file's inode when `isFile`, or a node). */
function changed<
  T extends { mode?: number; uid: number; gid: number; mtime: number; atime?: number; xattrs?: Xattrs },
>(event: MetadataEvent, m: T, isFile: boolean): T {
  switch (event.type) {
    case "fs.modeChanged":
      return { ...m, mode: event.data.mode };
    case "fs.timesChanged": {
      const { mtime, atime } = event.data;
      return { ...m, mtime, atime: atime ?? m.atime ?? m.mtime };
    }
    case "fs.xattrSet":
      return withXattr(m, event.data.name, event.data.value);
    case "fs.xattrRemoved":
      return withXattr(m, event.data.name, undefined);
    case "fs.ownerChanged": {
      // chown of a non-directory clears setuid, and setgid when group-exec is set (kernel rule).
      let mode = m.mode;
      if (isFile && mode !== undefined) {
        mode &= ~0o4000;
        if (mode & 0o010) mode &= ~0o2000;
      }
      // The ids are the new ones: chown's -1 was resolved to the current id before the event was
      // written, so an old log's 4294967295 replays as it was written.
      return {
        ...m,
        uid: event.data.uid,
        gid: event.data.gid,
        ...(mode === undefined ? {} : { mode }),
      };
    }
  }
}

export function applyMetadataChanged(
  ov: Overlay,
  event: MetadataEvent,
  newIno: InodeIds,
  edit: Edit | null,
): Tree {
  const op = opName[event.type];
  const { path } = event.data;
  const comps = pathComponents(path);
  const pair = lookupPair(ov, comps);
  if (pair === undefined) throw new FsError("ENOENT", op, path);
  const node = shown(pair);
  if (node.kind === "symlink" && event.type === "fs.modeChanged") {
    throw new FsError("ENOTSUP", op, path, "the mode of a symlink cannot change");
  }
  if (event.type === "fs.xattrSet" && event.data.name === OVERLAY_OPAQUE)
    return markOpaque(ov, comps, pair, event.data.value, edit);
  if (event.type === "fs.xattrSet" || event.type === "fs.xattrRemoved") {
    const refused = xattrRefusal(node.kind, event.data.name);
    if (refused) throw new FsError(refused, op, path, `${event.data.name} on a ${node.kind}`);
    if (event.type === "fs.xattrRemoved" && xattrsOf(ov, pair)?.[event.data.name] === undefined)
      throw new FsError("ENODATA", op, path, `no ${event.data.name}`);
  }
  const up = comps.length === 0 ? ov.upper : copyUp(ov, comps, newIno, edit, pair);
  return changeNode(
    up,
    comps,
    (i) => changed(event, i, true),
    (n) => changed(event, n, n.kind === "device"),
    edit,
  );
}
