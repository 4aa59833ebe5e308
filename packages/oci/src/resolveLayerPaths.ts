/**
 * Writes through symlinks, resolved inside the container root, as containerd and moby apply layers:
 * an entry `localetc/unbroken`, where `localetc` is a symlink to `/etc` (in a lower layer or earlier in
 * the same layer), lands at `/etc/unbroken` — the container's `/etc`, never the host's. Every parent
 * component is resolved against the union of the layers below and the entries before it (absolute
 * targets restart at the container root, `..` stops at the root, at most 40 links); the last component
 * is never followed (an entry replaces a symlink, it does not write through it). A hard link's target is
 * resolved the same way, so a hard link to a symlink links the symlink itself.
 *
 * A directory an entry implies never replaces a non-directory: an entry under a file, a device or a
 * FIFO of a layer below (`etc/passwd/x` over the file `/etc/passwd`, or through a symlink to it), a
 * whiteout in such a "directory" (`etc/passwd/.wh.x`) and an opaque marker in one are refused, as
 * umoci, containerd and GNU tar stop there ("not a directory"). Only an explicit directory entry
 * replaces a non-directory of a layer below.
 *
 * A whiteout only hides what lies below: beside an entry of the same name in this layer (in either
 * order) that entry stays, and what was below under that name no longer shows (umoci's rootfs).
 */
import { type LayerEntry, normalizeFsPath, pathComponents } from "@strata/core";
import type { FsNode, Tree } from "@strata/fs";
import { OciError, type OciWhere } from "./OciError.js";

const MAX_LINKS = 40;

type Kind = "dir" | "file" | "symlink" | "missing";

/** What a non-directory is, in words. */
function noun(node: FsNode | LayerEntry | undefined): string {
  if (node === undefined) return "a file";
  const kind = "kind" in node ? node.kind : node.type;
  if (kind === "device") {
    const d = (node as { device: string }).device;
    return d === "fifo" ? "a FIFO" : `a ${d === "char" ? "character" : "block"} device`;
  }
  return kind === "hardlink" ? "a file (a hard link)" : "a file";
}

/** This layer's entries so far, as a tree of names (so that a walk costs O(1) per component). */
interface Own {
  entry?: LayerEntry;
  opaque?: boolean;
  readonly children: Map<string, Own>;
}

/** One step of a walk: this layer's node and the lower layers' node at the same path. */
interface Frame {
  readonly own: Own | undefined;
  /** The lower node, or undefined when missing or hidden (by a whiteout or opaque directory of this layer). */
  readonly lower: FsNode | undefined;
}

/**
 * Rewrites the entries' paths with their parent symlinks resolved; `lower` is the flattened layers
 * below. Each entry costs O(its depth and the targets followed).
 */
export function resolveLayerPaths(
  lower: Tree,
  entries: readonly LayerEntry[],
  layer: string,
  place: { layerIndex?: number; origins?: readonly { index: number; name: string }[] } = {},
): LayerEntry[] {
  const at = (i: number, name: string): OciWhere => ({
    layer,
    ...(place.layerIndex === undefined ? {} : { layerIndex: place.layerIndex }),
    entry: place.origins?.[i] ?? { index: i, name },
  });
  const ownRoot: Own = { children: new Map() };
  const ownAt = (path: string): Own => {
    let node = ownRoot;
    for (const c of pathComponents(path)) {
      let next = node.children.get(c);
      if (next === undefined) {
        next = { children: new Map() };
        node.children.set(c, next);
      }
      node = next;
    }
    return node;
  };
  /**
   * The frame of child `c` of `frame`, what `c` is in the union of the layers below and this one so
   * far, its symlink target, and whether it comes from this layer.
   */
  const step = (frame: Frame, c: string): [Frame, Kind, string?, (FsNode | LayerEntry)?] => {
    const own = frame.own?.children.get(c);
    const hiddenBelow = frame.own?.opaque === true;
    const lowerChild = hiddenBelow || frame.lower?.kind !== "dir" ? undefined : frame.lower.children.get(c);
    const e = own?.entry;
    if (e !== undefined) {
      if (e.type === "whiteout") return [{ own, lower: undefined }, "missing"];
      const kind: Kind = e.type === "symlink" ? "symlink" : e.type === "dir" ? "dir" : "file";
      return [{ own, lower: lowerChild }, kind, e.type === "symlink" ? e.target : undefined, e];
    }
    if (lowerChild === undefined || lowerChild.kind === "whiteout")
      return [{ own, lower: undefined }, "missing"];
    const kind: Kind = lowerChild.kind === "symlink" ? "symlink" : lowerChild.kind === "dir" ? "dir" : "file";
    return [
      { own, lower: lowerChild },
      kind,
      lowerChild.kind === "symlink" ? lowerChild.target : undefined,
      lowerChild,
    ];
  };

  /** The canonical path of `path` with every component but the last resolved (`all`: the last too). */
  const resolveParents = (path: string, all: boolean, entryIndex: number, name: string): string => {
    const comps = pathComponents(path);
    const last = all ? undefined : comps.pop();
    const root: Frame = { own: ownRoot, lower: lower.root };
    const frames: Frame[] = [root];
    const out: string[] = [];
    const pending = comps.reverse(); // a stack: the next component last
    let links = 0;
    while (pending.length > 0) {
      const c = pending.pop() as string;
      if (c === "" || c === ".") continue;
      if (c === "..") {
        if (out.length > 0) {
          out.pop();
          frames.pop();
        }
        continue;
      }
      const [frame, kind, target, node] = step(frames[frames.length - 1] as Frame, c);
      if (kind === "file") {
        const own = node !== undefined && "type" in node;
        const where = `/${[...out, c].join("/")}`;
        throw new OciError(
          "InvalidEntry",
          `${where} is ${noun(node)} ${own ? "earlier in this layer" : "in a layer below"}, not a directory, so nothing can be put under it (not a directory)`,
          at(entryIndex, name),
        );
      }
      if (kind === "symlink") {
        links += 1;
        if (links > MAX_LINKS)
          throw new OciError(
            "InvalidEntry",
            `more than ${MAX_LINKS} symlinks on the way`,
            at(entryIndex, name),
          );
        if ((target as string).startsWith("/")) {
          out.length = 0;
          frames.length = 1;
        }
        const parts = (target as string).split("/");
        for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i] as string);
        continue;
      }
      out.push(c);
      frames.push(frame);
    }
    if (last !== undefined) out.push(last);
    return normalizeFsPath(`/${out.join("/")}`);
  };

  return entries.map((entry, i) => {
    if (entry.type === "opaque") {
      const resolved = { ...entry, path: resolveParents(entry.path, true, i, entry.path) };
      ownAt(resolved.path).opaque = true;
      return resolved;
    }
    const path = resolveParents(entry.path, false, i, entry.path);
    const resolved: LayerEntry =
      entry.type === "hardlink"
        ? { ...entry, path, target: resolveParents(entry.target, false, i, entry.path) }
        : { ...entry, path };
    const own = ownAt(path);
    if (resolved.type === "whiteout") {
      // For the layers below only: an entry of this layer at that name stays, in either order, and
      // nothing under the name shows from below any more.
      if (own.entry === undefined || own.entry.type === "whiteout") own.entry = resolved;
      own.opaque = true;
    } else own.entry = resolved;
    return resolved;
  });
}
