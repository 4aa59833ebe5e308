/**
 * Runs generated layers and operations through the model (an FsEngine) and lists the result in the
 * same form the kernel harness does, so the two can be compared entry by entry.
 */
import { type Clock, type Command, type LayerEntry, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, type FsEngine, FsError, type FsNode, type Tree } from "@strata/fs";
import type { GenEntry, GenOp } from "./generators.js";

/** One entry of a listing (kernel or model). */
export interface Listed {
  path: string;
  type: string;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  sha256?: string;
  target?: string;
  opaque?: boolean;
  /** Times in ms, or "now" for the time of the operations (the model's clock, the kernel's wall clock). */
  mtime?: number | "now";
  atime?: number | "now";
  /** Files and symlinks: names of the inode. */
  nlink?: number;
  /** Files and symlinks with several names: the first path of the listing that is the same inode. */
  link?: string;
  /** Extended attributes, name → base64 (overlayfs's own trusted.overlay.* left out). */
  xattrs?: Record<string, string>;
}

/**
 * A listing without what an image round trip through another tool does not keep exactly: times (tars
 * hold whole seconds and no atime; a commit stamps its own "now"), xattrs, link counts.
 */
export function withoutTimesAndLinks(listing: readonly Listed[]): Listed[] {
  return listing.map(({ mtime: _m, atime: _a, xattrs: _x, nlink: _n, link: _l, ...rest }) => rest);
}

/**
 * A listing as an OCI layer carries it: mtimes in whole seconds, no atime, link counts left out (a
 * copy-up that changed nothing is not committed, so a broken lower hard link is whole again); xattrs kept.
 */
export function asLayersKeepIt(listing: readonly Listed[]): Listed[] {
  return listing.map(({ atime: _a, nlink: _n, link: _l, mtime, ...rest }) =>
    mtime === undefined ? rest : { ...rest, mtime: mtime === "now" ? NOW : mtime - (mtime % 1000) },
  );
}

/** Names in byte order (their UTF-8 bytes compared), as our listings sort them. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The model's clock during the operations: every time it stamps is "now". */
export const NOW = Date.UTC(2026, 0, 1);
const time = (t: number): number | "now" => (t === NOW ? "now" : t);

/** Sets `link` on the entries that share an inode key with an earlier one, and drops the keys. */
function linkGroups(entries: (Listed & { key?: string })[]): Listed[] {
  const first = new Map<string, string>();
  return entries.map(({ key, ...e }) => {
    if (key === undefined) return e;
    const seen = first.get(key);
    if (seen === undefined) {
      first.set(key, e.path);
      return e;
    }
    return { ...e, link: seen };
  });
}

export function layerId(i: number): string {
  return `sha256:${(i + 1).toString(16).padStart(64, "0")}`;
}

/** Generated entries as `layer.create` entries (mtime 0; file contents stored by `store`, which returns the digest). */
export function layerEntries(
  entries: readonly GenEntry[],
  store: (bytes: Uint8Array) => string,
): LayerEntry[] {
  return entries.map((e): LayerEntry => {
    switch (e.type) {
      case "dir":
        return {
          type: "dir",
          path: e.path,
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          mtime: e.mtime,
          ...xattrs(e),
        };
      case "file": {
        const bytes = Buffer.from(e.content);
        return {
          type: "file",
          path: e.path,
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          mtime: e.mtime,
          digest: store(bytes),
          size: bytes.length,
          ...xattrs(e),
        };
      }
      case "symlink":
        return {
          type: "symlink",
          path: e.path,
          target: e.target,
          uid: e.uid,
          gid: e.gid,
          mtime: e.mtime,
          ...xattrs(e),
        };
      default:
        return e;
    }
  });
}

const xattrs = (e: { xattrs: Record<string, string> }) =>
  Object.keys(e.xattrs).length === 0 ? {} : { xattrs: { ...e.xattrs } };

/** Builds the model: one layer.create per generated layer, an image of them, a container on it. */
export function buildModel(layers: readonly GenEntry[][], clock: Clock = simulatedClock(NOW)): FsEngine {
  const engine = createFsEngine({ clock, ids: sequentialIds("oracle") });
  const must = (c: Command) => {
    const r = engine.execute(c);
    if (!r.ok) throw new Error(`setup ${c.type} failed: ${r.error.message}`);
  };
  layers.forEach((entries, i) => {
    must({
      type: "layer.create",
      layerId: layerId(i),
      entries: layerEntries(entries, (bytes) => engine.putBlob(bytes)),
    });
  });
  must({
    type: "image.create",
    layers: layers.map((_, i) => ({ id: layerId(i), parent: i === 0 ? null : layerId(i - 1) })),
    tags: ["oracle:1"],
  });
  must({ type: "container.create", image: "oracle:1", name: "box" });
  return engine;
}

export function commandOf(op: Exclude<GenOp, { op: "getxattr" }>): Command {
  const container = "box";
  switch (op.op) {
    case "write":
      return {
        type: "fs.writeFile",
        container,
        path: op.path,
        content: op.content,
        append: op.append,
        create: op.create,
        mode: op.mode,
      };
    case "truncate":
      return { type: "fs.truncate", container, path: op.path, size: op.size };
    case "mkdir":
      return { type: "fs.mkdir", container, path: op.path, mode: op.mode };
    case "mkdirp":
      return { type: "fs.mkdir", container, path: op.path, mode: op.mode, parents: true };
    case "symlink":
      return { type: "fs.symlink", container, path: op.path, target: op.target };
    case "link":
      return { type: "fs.link", container, path: op.path, target: op.target };
    case "remove":
      return { type: "fs.remove", container, path: op.path, recursive: op.recursive };
    case "unlink":
      return { type: "fs.unlink", container, path: op.path };
    case "rmdir":
      return { type: "fs.rmdir", container, path: op.path };
    case "rename":
      return { type: "fs.rename", container, from: op.from, to: op.to };
    case "move":
      return { type: "fs.move", container, from: op.from, to: op.to };
    case "chmod":
      return { type: "fs.chmod", container, path: op.path, mode: op.mode, follow: op.follow };
    case "chown":
      return { type: "fs.chown", container, path: op.path, uid: op.uid, gid: op.gid, follow: op.follow };
    case "utimes":
      return {
        type: "fs.utimes",
        container,
        path: op.path,
        mtime: op.mtime,
        ...(op.atime === null ? {} : { atime: op.atime }),
        follow: op.follow,
      };
    case "setxattr":
      return {
        type: "fs.setxattr",
        container,
        path: op.path,
        name: op.name,
        value: op.value,
        encoding: "base64",
        ...(op.flag === 0 ? {} : { flag: op.flag === 1 ? ("create" as const) : ("replace" as const) }),
        follow: op.follow,
      };
    case "removexattr":
      return { type: "fs.removexattr", container, path: op.path, name: op.name, follow: op.follow };
  }
}

/** Runs the ops; each result is null (success) or the errno the model answered. */
export function runOps(engine: FsEngine, ops: readonly GenOp[]): (string | null)[] {
  return ops.map((op) => {
    if (op.op === "getxattr") {
      try {
        engine.view("box").getxattr(op.path, op.name, { follow: op.follow });
        return null;
      } catch (e) {
        if (e instanceof FsError) return e.errno;
        throw e;
      }
    }
    const r = engine.execute(commandOf(op));
    return r.ok ? null : r.error.code;
  });
}

/** The merged view of `ref` (default: the container), listed like the harness lists the kernel's. */
export function listMerged(engine: FsEngine, ref = "box"): Listed[] {
  const view = engine.view(ref);
  return linkGroups(
    [...view.walk("/")].map((e) => {
      // From the walk, not getxattr: an entry reached through symlinks may lie deeper than PATH_MAX.
      const xattrs = { ...(e.xattrs ?? {}) };
      const common = {
        path: e.path,
        uid: e.uid,
        gid: e.gid,
        mtime: time(e.mtime),
        atime: time(e.atime),
        xattrs,
      };
      if (e.type === "file")
        return {
          ...common,
          type: "file",
          mode: e.mode,
          size: e.size,
          sha256: e.digest as string,
          nlink: e.nlink as number,
          key: e.ino as string,
        };
      if (e.type === "symlink")
        return {
          ...common,
          type: "symlink",
          target: e.target as string,
          nlink: e.nlink as number,
          ...(e.ino === undefined ? {} : { key: e.ino }),
        };
      return { ...common, type: "dir", mode: e.mode };
    }),
  );
}

/** A tree (a read-write layer) listed with whiteouts and opaque flags, like the harness lists upperdir. */
export function listTree(tree: Tree): Listed[] {
  const out: (Listed & { key?: string })[] = [];
  const common = (n: { uid: number; gid: number; mtime: number; atime?: number; xattrs?: object }) => ({
    uid: n.uid,
    gid: n.gid,
    mtime: time(n.mtime),
    atime: time(n.atime ?? n.mtime),
    xattrs: { ...(n.xattrs ?? {}) } as Record<string, string>,
  });
  const visit = (node: FsNode, path: string) => {
    switch (node.kind) {
      case "dir":
        out.push({ path: path || "/", type: "dir", mode: node.mode, ...common(node), opaque: node.opaque });
        for (const name of node.children.sortedKeys())
          visit(node.children.get(name) as FsNode, `${path}/${name}`);
        return;
      case "file": {
        const i = tree.inodes.get(node.ino);
        if (!i) throw new Error(`missing inode ${node.ino}`);
        out.push({
          path,
          type: "file",
          mode: i.mode,
          ...common(i),
          size: i.size,
          sha256: i.digest,
          nlink: i.nlink,
          key: node.ino,
        });
        return;
      }
      case "symlink":
        out.push({
          path,
          type: "symlink",
          ...common(node),
          target: node.target,
          nlink: node.nlink ?? 1,
          ...(node.linkId === undefined ? {} : { key: node.linkId }),
        });
        return;
      case "whiteout":
        out.push({ path, type: "whiteout" });
        return;
    }
  };
  visit(tree.root, "");
  return linkGroups(out);
}

export function listUpper(engine: FsEngine): Listed[] {
  const id = engine.state.names.box as string;
  const c = engine.projected.containers.get(id);
  if (!c) throw new Error("no container box");
  return listTree(c.upper);
}
