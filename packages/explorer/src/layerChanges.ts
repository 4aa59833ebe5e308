/**
 * What one layer of a stack does to the union of the layers below it: the entries it adds, the ones it
 * changes (replaces), the ones its whiteouts delete, and the directories it makes opaque (hiding what
 * was below in them). A directory the layers below have too is listed through its entries, not as a
 * change of its own.
 */
import type { DirNode, FsNode, Tree } from "@strata/fs";
import { type EntryKind, listDirectory } from "./provenance.js";

export interface LayerChange {
  readonly path: string;
  readonly change: "added" | "changed" | "deleted" | "opaque";
  readonly kind: EntryKind | "whiteout";
  /** Bytes of a file's contents. */
  readonly size?: number;
}

export interface LayerChanges {
  readonly changes: readonly LayerChange[];
  /** More changes than `limit` were found: the list stops there. */
  readonly truncated: boolean;
}

/** The changes layer `index` of `stack` makes, at most `limit` of them, in path order. */
export function layerChanges(stack: readonly Tree[], index: number, limit = 5_000): LayerChanges {
  const layer = stack[index];
  if (!layer) throw new RangeError(`no layer ${index} in a stack of ${stack.length}`);
  const below = stack.slice(0, index);
  const out: LayerChange[] = [];
  let truncated = false;
  const belowNames = (path: string): Map<string, EntryKind> => {
    if (below.length === 0) return new Map();
    try {
      return new Map(listDirectory(below, path).entries.map((e) => [e.name, e.kind]));
    } catch {
      return new Map(); // not a directory below: everything here is new
    }
  };
  // Pre-order, names sorted, on a stack of its own (a path may have 2,000 components).
  type Frame = { path: string; existing: Map<string, EntryKind>; children: [string, FsNode][]; next: number };
  const open = (dir: DirNode, path: string): Frame => ({
    path,
    existing: belowNames(path),
    children: [...dir.children.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    next: 0,
  });
  const frames: Frame[] = [open(layer.root, "/")];
  walk: while (frames.length > 0) {
    const frame = frames[frames.length - 1] as Frame;
    const { path, existing } = frame;
    while (frame.next < frame.children.length) {
      const [name, child] = frame.children[frame.next++] as [string, FsNode];
      if (out.length >= limit) {
        truncated = true;
        break walk;
      }
      const childPath = path === "/" ? `/${name}` : `${path}/${name}`;
      const was = existing.get(name);
      if (child.kind === "whiteout") {
        if (was !== undefined) out.push({ path: childPath, change: "deleted", kind: "whiteout" });
        continue;
      }
      const kind = kindOf(child);
      if (child.kind === "dir") {
        if (child.opaque && was === "dir") out.push({ path: childPath, change: "opaque", kind });
        else if (was === undefined) out.push({ path: childPath, change: "added", kind });
        else if (was !== "dir") out.push({ path: childPath, change: "changed", kind });
        frames.push(open(child, childPath));
        continue walk;
      }
      const size = child.kind === "file" ? layer.inodes.get(child.ino)?.size : undefined;
      out.push({
        path: childPath,
        change: was === undefined ? "added" : "changed",
        kind,
        ...(size !== undefined ? { size } : {}),
      });
    }
    frames.pop();
  }
  return { changes: out, truncated };
}

function kindOf(node: FsNode): EntryKind {
  return node.kind === "device" ? "device" : (node.kind as EntryKind);
}
