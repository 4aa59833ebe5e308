/**
 * `fs.symlinkCreated` (symlink(2)): a new symlink in an existing directory; its target is never
 * looked up, nor copied up. Part of {@link applyFsEvent}'s rules (see its header for `edit`).
 */
import { type FsEvent, pathComponents } from "@strata/core";
import { ensureUpperDir } from "../copyUp.js";
import type { Edit } from "../Edit.js";
import { FsError } from "../FsError.js";
import type { SymlinkNode, Tree } from "../FsNode.js";
import { lookupPair, type Overlay } from "../Overlay.js";
import { place, touchDir } from "../upperTree.js";
import { requireDirAt } from "./requireDirAt.js";

export function applySymlinkCreated(
  ov: Overlay,
  event: Extract<FsEvent, { type: "fs.symlinkCreated" }>,
  t: number,
  edit: Edit | null,
): Tree {
  const { path } = event.data;
  const comps = pathComponents(path);
  if (comps.length === 0) throw new FsError("EEXIST", "symlink", path);
  requireDirAt(ov, comps.slice(0, -1), "symlink", path);
  if (lookupPair(ov, comps) !== undefined) throw new FsError("EEXIST", "symlink", path);
  const parent = ensureUpperDir(ov, comps.slice(0, -1), edit);
  const node: SymlinkNode = {
    kind: "symlink",
    target: event.data.target,
    uid: event.data.uid,
    gid: event.data.gid,
    mtime: t,
  };
  return touchDir(place(parent, comps, node, edit), comps.slice(0, -1), t, edit);
}
