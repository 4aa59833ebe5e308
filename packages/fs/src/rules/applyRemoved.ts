/**
 * `fs.removed` (unlink, rmdir, rm -r): an entry that exists below leaves a whiteout, one only in the
 * upper layer is deleted (its inodes released). Part of {@link applyFsEvent}'s rules (see its header
 * for `edit`).
 */
import { type FsEvent, pathComponents } from "@strata/core";
import { ensureUpperDir, lowerPositive } from "../copyUp.js";
import type { Edit } from "../Edit.js";
import { FsError } from "../FsError.js";
import type { Tree } from "../FsNode.js";
import { lookupPair, type Overlay } from "../Overlay.js";
import { place, touchDir } from "../upperTree.js";

export function applyRemoved(
  ov: Overlay,
  event: Extract<FsEvent, { type: "fs.removed" }>,
  t: number,
  edit: Edit | null,
): Tree {
  const { path } = event.data;
  const comps = pathComponents(path);
  if (comps.length === 0) throw new FsError("EBUSY", "unlink", path);
  if (lookupPair(ov, comps) === undefined) throw new FsError("ENOENT", "unlink", path);
  const positive = lowerPositive(ov, comps);
  const parent = ensureUpperDir(ov, comps.slice(0, -1), edit);
  return touchDir(
    place(parent, comps, positive ? { kind: "whiteout" } : undefined, edit),
    comps.slice(0, -1),
    t,
    edit,
  );
}
