/**
 * A deliberately naive reference for the union of read-only layers, written from overlayfs's lookup
 * description (KDOC / KNAMEI), independently of the tree code: each layer is a map from full paths to
 * entries, and a lookup walks the components down the layers, top first.
 */
import { sha256Digest } from "@strata/fs";
import type { GenEntry } from "./generators.js";
import type { Listed } from "./model.js";

type Entry =
  | Exclude<GenEntry, { type: "opaque" | "hardlink" }>
  | { type: "hardlink"; path: string; target: string };

interface NaiveLayer {
  entries: Map<string, Entry>;
  opaque: Set<string>;
}

function index(layer: readonly GenEntry[]): NaiveLayer {
  const entries = new Map<string, Entry>();
  const opaque = new Set<string>();
  for (const e of layer) {
    if (e.type === "opaque") opaque.add(e.path);
    else entries.set(e.path, e);
  }
  return { entries, opaque };
}

function resolveLink(layer: NaiveLayer, e: Entry): Entry {
  return e.type === "hardlink" ? (layer.entries.get(e.target) as Entry) : e;
}

/** The visible entry at `path` (canonical), or undefined. */
export function naiveLookup(layers: readonly GenEntry[][], path: string): Entry | undefined {
  const idx = layers.map(index);
  const comps = path === "/" ? [] : path.slice(1).split("/");
  let active = idx.map((_, k) => k).reverse(); // top first
  let result: Entry | undefined = idx[idx.length - 1]?.entries.get("/") ?? undefined;
  for (let d = 0; d < comps.length; d++) {
    const prefix = `/${comps.slice(0, d + 1).join("/")}`;
    const next: number[] = [];
    result = undefined;
    for (const k of active) {
      const layer = idx[k] as NaiveLayer;
      const raw = layer.entries.get(prefix);
      if (raw === undefined) continue;
      if (raw.type === "whiteout") break;
      const e = resolveLink(layer, raw);
      if (e.type !== "dir") {
        if (result === undefined) result = { ...e, path: prefix };
        break;
      }
      if (result === undefined) result = e;
      next.push(k);
      if (layer.opaque.has(prefix)) break;
    }
    if (result === undefined) return undefined;
    if (result.type !== "dir" && d < comps.length - 1) return undefined;
    active = next;
  }
  return result;
}

/** The whole view, listed like the kernel harness lists a merged dir. */
export function naiveListing(layers: readonly GenEntry[][]): Listed[] {
  const paths = new Set<string>(["/"]);
  for (const layer of layers) for (const e of layer) paths.add(e.path);
  const out: Listed[] = [];
  for (const path of [...paths].sort(comparePaths)) {
    const e = naiveLookup(layers, path);
    if (e === undefined || e.type === "hardlink" || e.type === "whiteout") continue;
    const meta = { mtime: e.mtime, atime: e.mtime, xattrs: { ...e.xattrs } };
    if (e.type === "dir") out.push({ path, type: "dir", mode: e.mode, uid: e.uid, gid: e.gid, ...meta });
    else if (e.type === "file") {
      const bytes = Buffer.from(e.content);
      out.push({
        path,
        type: "file",
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        size: bytes.length,
        sha256: sha256Digest(bytes),
        ...meta,
      });
    } else if (e.type === "symlink")
      out.push({ path, type: "symlink", uid: e.uid, gid: e.gid, target: e.target, ...meta });
  }
  return out;
}

/** Pre-order path order: a directory, then everything under it, siblings in byte order. */
export function comparePaths(a: string, b: string): number {
  const x = a === "/" ? [] : a.slice(1).split("/");
  const y = b === "/" ? [] : b.slice(1).split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as string;
    const q = y[i] as string;
    if (p !== q) return Buffer.compare(Buffer.from(p), Buffer.from(q)); // byte order, as readdir's listing
  }
  return x.length - y.length;
}
