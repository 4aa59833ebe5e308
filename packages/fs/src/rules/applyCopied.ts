/**
 * `fs.copied` (cp -a inside the container): the union's entry at `from`, with everything under it,
 * becomes a new upper entry at `to` (new inodes; a directory made over a whiteout is opaque). Always
 * persistent (see `changesInPlace`). Part of {@link applyFsEvent}'s rules.
 */
import { type FsEvent, pathComponents } from "@strata/core";
import { copyTree } from "../copyTree.js";
import { ensureUpperDir, type InodeIds } from "../copyUp.js";
import { FsError } from "../FsError.js";
import type { Tree } from "../FsNode.js";
import { lookupPair, type Overlay } from "../Overlay.js";
import { nodeAt } from "../treeOps.js";
import { place, touchDir } from "../upperTree.js";
import { requireDirAt } from "./requireDirAt.js";

export function applyCopied(
  ov: Overlay,
  event: Extract<FsEvent, { type: "fs.copied" }>,
  t: number,
  newIno: InodeIds,
): Tree {
  const op = "copy";
  const { from, to } = event.data;
  const fromComps = pathComponents(from);
  const toComps = pathComponents(to);
  if (toComps.length === 0) throw new FsError("EEXIST", op, to);
  requireDirAt(ov, fromComps.slice(0, -1), op, from);
  requireDirAt(ov, toComps.slice(0, -1), op, to);
  const fromPair = lookupPair(ov, fromComps);
  if (fromPair === undefined) throw new FsError("ENOENT", op, from);
  if (lookupPair(ov, toComps) !== undefined) throw new FsError("EEXIST", op, to);
  if (to.startsWith(`${from}/`) || from === "/")
    throw new FsError("EINVAL", op, to, "cannot copy a directory into itself");
  const parent = ensureUpperDir(ov, toComps.slice(0, -1));
  const overWhiteout = nodeAt(parent.root, toComps)?.kind === "whiteout";
  const [copy, withInodes] = copyTree(ov, fromPair, parent, newIno);
  const node = copy.kind === "dir" && overWhiteout ? { ...copy, opaque: true } : copy;
  return touchDir(place(withInodes, toComps, node), toComps.slice(0, -1), t);
}
