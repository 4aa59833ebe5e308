/**
 * overlayfs's opaque mark, as an `fs.xattrSet` of the upper directory: the one `trusted.overlay.*`
 * attribute an event may set (never a command: those are ENOTSUP), for the rename that marks its
 * source opaque and then fails (see resolveFsCommand). It sets the directory's opaque flag.
 */
import type { Edit } from "../Edit.js";
import { FsError } from "../FsError.js";
import type { Tree } from "../FsNode.js";
import type { Overlay, Pair } from "../Overlay.js";
import { withNode } from "../treeOps.js";
import { withRoot } from "../upperTree.js";

/** The attribute that marks a directory opaque. */
export const OVERLAY_OPAQUE = "trusted.overlay.opaque";
/** "y", in base64. */
export const OPAQUE_YES = "eQ==";

/**
 * The upper tree with the upper-only directory at `comps` opaque: overlayfs's mark, which changes
 * nothing in the union (nothing lies below the directory) and no time.
 */
export function markOpaque(
  ov: Overlay,
  comps: readonly string[],
  pair: Pair,
  value: string,
  edit: Edit | null,
): Tree {
  const path = `/${comps.join("/")}`;
  if (value !== OPAQUE_YES)
    throw new FsError("ENOTSUP", "setxattr", path, `${OVERLAY_OPAQUE} is overlayfs's own; only "y" marks`);
  if (comps.length === 0 || pair.upper?.kind !== "dir" || pair.lower !== undefined)
    throw new FsError(
      "ENOTSUP",
      "setxattr",
      path,
      `${OVERLAY_OPAQUE} marks only a directory that lives in the upper layer alone`,
    );
  const dir = pair.upper;
  return dir.opaque
    ? ov.upper
    : withRoot(ov.upper, withNode(ov.upper.root, comps, { ...dir, opaque: true }, edit));
}
