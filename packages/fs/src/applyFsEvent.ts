/**
 * What each `fs.*` event does to a container's read-write (upper) layer, with overlayfs's rules:
 *
 * - a change to an entry that exists only below first **copies it up**: every missing ancestor
 *   directory is created in the upper layer with the union view's metadata, then the entry itself (a
 *   file gets a new inode with the same content, metadata and xattrs: a hard link of the lower layer is
 *   broken there, as overlayfs does without `index`; a directory is copied without its children);
 * - removing something that exists below leaves a **whiteout**; removing something that exists only
 *   in the upper layer deletes it;
 * - creating a directory where the upper layer has a whiteout makes it **opaque**; an upper-only
 *   directory renamed into a merge directory becomes opaque too, even when the rename then fails
 *   (an `fs.xattrSet` of `trusted.overlay.opaque` records the mark);
 * - renaming a directory that has a lower part is **EXDEV**; a file is copied up, moved, and a whiteout
 *   left at its old name when something exists below there;
 * - adds, removes and renames set the parent directory's mtime; copy-up keeps every time it copies.
 *
 * One rule per event type, each in its own file under `rules/`. Paths in events are canonical and
 * their parents are already free of symlinks (the fs projection's `refine` resolved them), so the
 * rules never follow symlinks. Each checks its preconditions and throws an `FsError` when they
 * do not hold; nothing is changed then. Each costs O(path depth), plus the size of what it copies or
 * removes.
 *
 * Under an open {@link Edit} (a transient fold), the rules written linearly (each step goes on from
 * the tree the step before returned, never from an older one: see {@link changesInPlace}) change the
 * parts of the upper tree that edit made in place instead of copying them.
 */
import type { FsEvent } from "@strata/core";
import type { InodeIds } from "./copyUp.js";
import type { Edit } from "./Edit.js";
import type { Tree } from "./FsNode.js";
import type { Overlay } from "./Overlay.js";
import { applyCopied } from "./rules/applyCopied.js";
import { applyDirCreated } from "./rules/applyDirCreated.js";
import { applyFileWritten } from "./rules/applyFileWritten.js";
import { applyHardLinked } from "./rules/applyHardLinked.js";
import { applyMetadataChanged } from "./rules/applyMetadataChanged.js";
import { applyRemoved } from "./rules/applyRemoved.js";
import { applyRenamed } from "./rules/applyRenamed.js";
import { applySymlinkCreated } from "./rules/applySymlinkCreated.js";

/**
 * Whether {@link applyFsEvent} changes in place, under an edit, what that edit made for events of
 * `type`: its rule is written linearly (each step goes on from the tree the step before returned and
 * never reads an older one). A link, a rename and a copy are applied persistently whatever the edit
 * (their rules read the union before and after their own changes); a transient fold closes its edit
 * after one, so that nothing it shares can change later.
 */
export function changesInPlace(type: FsEvent["type"]): boolean {
  return type !== "fs.hardLinked" && type !== "fs.renamed" && type !== "fs.copied";
}

/**
 * The upper tree after `event` at time `t`. Throws `FsError` when the event does not apply to
 * this union (the projection's `refine` checks every command this way before anything is appended).
 * Under an open `edit`, the upper tree's parts made under it may change in place (see
 * {@link changesInPlace}): the caller goes on from the tree returned and keeps no older one.
 */
export function applyFsEvent(
  ov: Overlay,
  event: FsEvent,
  t: number,
  newIno: InodeIds,
  edit: Edit | null = null,
): Tree {
  switch (event.type) {
    case "fs.fileWritten":
      return applyFileWritten(ov, event, t, newIno, edit);
    case "fs.dirCreated":
      return applyDirCreated(ov, event, t, edit);
    case "fs.symlinkCreated":
      return applySymlinkCreated(ov, event, t, edit);
    case "fs.hardLinked":
      return applyHardLinked(ov, event, t, newIno);
    case "fs.removed":
      return applyRemoved(ov, event, t, edit);
    case "fs.renamed":
      return applyRenamed(ov, event, t, newIno);
    case "fs.copied":
      return applyCopied(ov, event, t, newIno);
    case "fs.modeChanged":
    case "fs.ownerChanged":
    case "fs.timesChanged":
    case "fs.xattrSet":
    case "fs.xattrRemoved":
      return applyMetadataChanged(ov, event, newIno, edit);
  }
}
