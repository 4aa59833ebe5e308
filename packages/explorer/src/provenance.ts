/**
 * Provenance: which layer of a stack each entry of the union comes from, and what it hides. The stack
 * is the raw layer trees, bottom first (an image's layers; a container's image layers and then its
 * read-write layer), with their whiteouts and opaque directories, and the union is read with
 * overlayfs's rules (docs/fs-model.md):
 * - the topmost layer that has a name decides: a whiteout deletes it, a non-directory is the entry;
 * - a directory merges with the directories of the same name below it, unless it is opaque, or a layer
 *   between has a whiteout or a non-directory there;
 * - a whiteout, a non-directory or an opaque directory on the way down hides everything below it.
 *
 * `listDirectory` answers the union's listing of one directory with, for each entry, the layer it
 * comes from (for a merged directory, the top one, whose metadata the union shows), the layers it
 * merges with, and the layers whose entries of that name it hides; and the names that were deleted,
 * with the whiteout's layer and what it hides.
 */
import type { DirNode, FsNode, Tree } from "@strata/fs";

export type EntryKind = "file" | "dir" | "symlink" | "device";

/** An entry of the union and where it comes from (layer indexes into the stack, bottom = 0). */
export interface UnionEntry {
  readonly name: string;
  readonly kind: EntryKind;
  readonly from: number;
  /** Directories: the lower layers whose directory of that name it merges with. */
  readonly mergedWith: readonly number[];
  /** The lower layers whose entry of that name it hides. */
  readonly hides: readonly number[];
  /** Directories: opaque in the layer it comes from (nothing below shows through). */
  readonly opaque: boolean;
}

/** A name the union does not show although a lower layer has it, and why. */
export interface HiddenEntry {
  readonly name: string;
  /** The layer whose whiteout deletes it, or whose opaque directory (this one or above) hides it. */
  readonly by: number;
  readonly reason: "whiteout" | "opaque";
  /** The lower layers that have the name. */
  readonly hides: readonly number[];
}

export interface DirectoryListing {
  readonly entries: readonly UnionEntry[];
  readonly hidden: readonly HiddenEntry[];
}

/** The node at `parts` in one raw layer tree, or why the walk stopped. */
type Found =
  | { readonly at: "node"; readonly node: FsNode; readonly opaqueOnTheWay: boolean }
  | { readonly at: "absent" }
  /** A whiteout or a non-directory above the path: this layer blocks everything below it. */
  | { readonly at: "blocked" };

function findInLayer(tree: Tree, parts: readonly string[]): Found {
  let dir: DirNode = tree.root;
  let opaque = dir.opaque;
  for (let i = 0; i < parts.length; i++) {
    const child = dir.children.get(parts[i] as string);
    if (child === undefined) return opaque ? { at: "blocked" } : { at: "absent" };
    if (i === parts.length - 1) return { at: "node", node: child, opaqueOnTheWay: opaque };
    if (child.kind !== "dir") return { at: "blocked" };
    dir = child;
    opaque = opaque || dir.opaque;
  }
  return { at: "node", node: dir, opaqueOnTheWay: false };
}

export const splitPath = (path: string): string[] => path.split("/").filter((p) => p !== "" && p !== ".");

function kindOf(node: FsNode): EntryKind {
  return node.kind === "device" ? "device" : (node.kind as EntryKind);
}

/**
 * The union's listing of directory `path` with provenance. Throws an Error if `path` is not a
 * directory of the union.
 */
export function listDirectory(stack: readonly Tree[], path: string): DirectoryListing {
  const parts = splitPath(path);
  interface Building {
    name: string;
    kind: EntryKind | "whiteout";
    from: number;
    mergedWith: number[];
    hides: number[];
    opaque: boolean;
    /** Below `from`, only hidden entries of this name remain (the entry is not a merging directory). */
    closed: boolean;
    reason: "whiteout" | "opaque";
  }
  const names = new Map<string, Building>();
  let isDir = false;
  for (let i = stack.length - 1; i >= 0; i--) {
    const found = findInLayer(stack[i] as Tree, parts);
    if (found.at === "absent") continue;
    if (found.at === "blocked") break;
    const node = found.node;
    if (node.kind !== "dir") {
      if (!isDir) throw new Error(`${path}: not a directory in the union`);
      break;
    }
    isDir = true;
    for (const [name, child] of node.children.entries()) {
      const seen = names.get(name);
      if (!seen) {
        names.set(name, {
          name,
          kind: child.kind === "whiteout" ? "whiteout" : kindOf(child),
          from: i,
          mergedWith: [],
          hides: [],
          opaque: child.kind === "dir" && child.opaque,
          closed: child.kind !== "dir" || child.opaque,
          reason: "whiteout",
        });
        continue;
      }
      if (child.kind === "whiteout") {
        // A whiteout under an entry above: it hides what is below, the entry above hides it.
        if (!seen.closed) seen.closed = true;
        continue;
      }
      if (seen.closed) seen.hides.push(i);
      else if (child.kind === "dir") {
        seen.mergedWith.push(i);
        if (child.opaque) seen.closed = true;
      } else {
        seen.hides.push(i);
        seen.closed = true;
      }
    }
    if (node.opaque || found.opaqueOnTheWay) {
      // Nothing below this layer shows in this directory: the names below are hidden by it.
      for (let j = i - 1; j >= 0; j--) {
        const below = findInLayer(stack[j] as Tree, parts);
        if (below.at !== "node" || below.node.kind !== "dir") continue;
        for (const [name, child] of below.node.children.entries()) {
          if (child.kind === "whiteout") continue;
          const seen = names.get(name);
          if (seen) seen.hides.push(j);
          else
            names.set(name, {
              name,
              kind: "whiteout",
              from: i,
              mergedWith: [],
              hides: [j],
              opaque: false,
              closed: true,
              reason: "opaque",
            });
        }
      }
      break;
    }
  }
  if (!isDir) throw new Error(`${path}: no such directory in the union`);
  const entries: UnionEntry[] = [];
  const hidden: HiddenEntry[] = [];
  for (const b of [...names.values()].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    if (b.kind === "whiteout") {
      if (b.hides.length > 0) hidden.push({ name: b.name, by: b.from, reason: b.reason, hides: b.hides });
    } else
      entries.push({
        name: b.name,
        kind: b.kind,
        from: b.from,
        mergedWith: b.mergedWith,
        hides: b.hides,
        opaque: b.opaque,
      });
  }
  return { entries, hidden };
}

/** Where the entry at `path` comes from (the root: the top layer that has it). */
export function origin(stack: readonly Tree[], path: string): UnionEntry | HiddenEntry | null {
  const parts = splitPath(path);
  if (parts.length === 0)
    return { name: "/", kind: "dir", from: stack.length - 1, mergedWith: [], hides: [], opaque: false };
  const parent = `/${parts.slice(0, -1).join("/")}`;
  const name = parts[parts.length - 1] as string;
  const listing = listDirectory(stack, parent);
  return listing.entries.find((e) => e.name === name) ?? listing.hidden.find((h) => h.name === name) ?? null;
}
