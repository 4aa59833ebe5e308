/**
 * `fs.dirCreated` (mkdir, and mkdir -p with `parents`): the missing directories as one new chain; a
 * directory made where the upper layer has a whiteout is opaque (what lay below stays hidden).
 * Part of {@link applyFsEvent}'s rules (see its header for `edit`).
 */
import { type FsEvent, pathComponents } from "@strata/core";
import { ensureUpperDir } from "../copyUp.js";
import type { Edit } from "../Edit.js";
import { FsError } from "../FsError.js";
import { type DirNode, emptyDir, type Tree } from "../FsNode.js";
import { childPair, type Overlay, type Pair, rootPair, shown } from "../Overlay.js";
import { nodeAt, put } from "../treeOps.js";
import { place, touchDir } from "../upperTree.js";

export function applyDirCreated(
  ov: Overlay,
  event: Extract<FsEvent, { type: "fs.dirCreated" }>,
  t: number,
  edit: Edit | null,
): Tree {
  const { path, mode, uid, gid } = event.data;
  const comps = pathComponents(path);
  if (comps.length === 0) throw new FsError("EEXIST", "mkdir", path);
  // The first missing component: the last one, or (mkdir -p) any after existing directories.
  let pair: Pair | undefined = rootPair(ov);
  let first = 0;
  for (; first < comps.length; first++) {
    const next = childPair(pair as Pair, comps[first] as string);
    if (next === undefined) break;
    if (shown(next).kind !== "dir")
      throw new FsError(first === comps.length - 1 ? "EEXIST" : "ENOTDIR", "mkdir", path);
    pair = next;
  }
  if (first === comps.length) throw new FsError("EEXIST", "mkdir", path);
  if (first < comps.length - 1 && !event.data.parents) throw new FsError("ENOENT", "mkdir", path);
  const parentComps = comps.slice(0, first);
  const parent = ensureUpperDir(ov, parentComps, edit);
  const overWhiteout = nodeAt(parent.root, comps.slice(0, first + 1))?.kind === "whiteout";
  const meta = { mode, uid, gid, mtime: t };
  let chain: DirNode = emptyDir(meta, overWhiteout && first === comps.length - 1);
  for (let j = comps.length - 2; j >= first; j--) {
    const dir = emptyDir(meta, overWhiteout && j === first);
    chain = { ...dir, children: put(dir.children, comps[j + 1] as string, chain, edit) };
  }
  return touchDir(place(parent, comps.slice(0, first + 1), chain, edit), parentComps, t, edit);
}
