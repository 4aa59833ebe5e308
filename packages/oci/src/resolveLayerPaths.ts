/**
 * Writes through symlinks, resolved inside the container root, as containerd and moby apply layers:
 * an entry `localetc/unbroken`, where `localetc` is a symlink to `/etc` (in a lower layer or earlier in
 * the same layer), lands at `/etc/unbroken` — the container's `/etc`, never the host's. Every parent
 * component is resolved against the union of the layers below and the entries before it (absolute
 * targets restart at the container root, `..` stops at the root, at most 40 links); the last component
 * is never followed (an entry replaces a symlink, it does not write through it). A hard link's target is
 * resolved the same way, so a hard link to a symlink links the symlink itself.
 */
import { type LayerEntry, normalizeFsPath, pathComponents } from "@strata/core";
import type { Tree } from "@strata/fs";
import { OciError } from "./OciError.js";

const MAX_LINKS = 40;

type Kind = "dir" | "file" | "symlink" | "whiteout" | "missing";

/** Rewrites the entries' paths with their parent symlinks resolved; `lower` is the flattened layers below. */
export function resolveLayerPaths(lower: Tree, entries: readonly LayerEntry[], layer: string): LayerEntry[] {
  /** This layer's entries so far, by resolved path. */
  const current = new Map<string, LayerEntry>();
  const opaqueDirs = new Set<string>();

  const lowerNode = (comps: readonly string[]) => {
    let node = lower.root as Tree["root"] | import("@strata/fs").FsNode;
    for (const c of comps) {
      if (node.kind !== "dir") return undefined;
      const next = node.children.get(c);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  };
  /** What `comps` is in the union of the layers below and this layer's entries so far. */
  const kindAt = (comps: readonly string[]): { kind: Kind; target?: string } => {
    const path = `/${comps.join("/")}`;
    const own = current.get(path);
    if (own)
      return own.type === "symlink"
        ? { kind: "symlink", target: own.target }
        : { kind: own.type === "whiteout" ? "whiteout" : own.type === "dir" ? "dir" : "file" };
    // Hidden from below by a whiteout or an opaque directory of this layer on the way?
    for (let i = 1; i <= comps.length; i++) {
      const prefix = `/${comps.slice(0, i).join("/")}`;
      if (current.get(prefix)?.type === "whiteout") return { kind: "missing" };
      if (i < comps.length && opaqueDirs.has(prefix)) return { kind: "missing" };
    }
    const node = lowerNode(comps);
    if (!node) return { kind: "missing" };
    if (node.kind === "symlink") return { kind: "symlink", target: node.target };
    return { kind: node.kind === "dir" ? "dir" : "file" };
  };

  /** The canonical path of `comps` with every component but the last resolved (`all`: the last too). */
  const resolveParents = (path: string, all: boolean, entryIndex: number, name: string): string => {
    const comps = pathComponents(path);
    const last = all ? undefined : comps.pop();
    let out: string[] = [];
    let pending = [...comps];
    let links = 0;
    while (pending.length > 0) {
      const c = pending.shift() as string;
      if (c === "" || c === ".") continue;
      if (c === "..") {
        out.pop();
        continue;
      }
      const here = kindAt([...out, c]);
      if (here.kind === "symlink") {
        links += 1;
        if (links > MAX_LINKS)
          throw new OciError("InvalidEntry", `more than ${MAX_LINKS} symlinks on the way`, {
            layer,
            entry: { index: entryIndex, name },
          });
        const target = here.target as string;
        if (target.startsWith("/")) out = [];
        pending = [...target.split("/"), ...pending];
        continue;
      }
      out.push(c);
    }
    if (last !== undefined) out.push(last);
    return normalizeFsPath(`/${out.join("/")}`);
  };

  return entries.map((entry, i) => {
    let resolved: LayerEntry;
    if (entry.type === "opaque") {
      resolved = { ...entry, path: resolveParents(entry.path, true, i, entry.path) };
      opaqueDirs.add(resolved.path);
      return resolved;
    }
    const path = resolveParents(entry.path, false, i, entry.path);
    resolved =
      entry.type === "hardlink"
        ? { ...entry, path, target: resolveParents(entry.target, false, i, entry.path) }
        : { ...entry, path };
    current.set(path, resolved);
    return resolved;
  });
}
