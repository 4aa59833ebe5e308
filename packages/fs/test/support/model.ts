/**
 * Runs generated layers and operations through the model (an FsEngine) and lists the result in the
 * same form the kernel harness does, so the two can be compared entry by entry.
 */
import { type Command, type LayerEntry, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, type FsEngine, type FsNode, type Tree } from "@strata/fs";
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
        return { type: "dir", path: e.path, mode: e.mode, uid: e.uid, gid: e.gid, mtime: 0 };
      case "file": {
        const bytes = Buffer.from(e.content);
        return {
          type: "file",
          path: e.path,
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          mtime: 0,
          digest: store(bytes),
          size: bytes.length,
        };
      }
      case "symlink":
        return { type: "symlink", path: e.path, target: e.target, uid: e.uid, gid: e.gid, mtime: 0 };
      default:
        return e;
    }
  });
}

/** Builds the model: one layer.create per generated layer, an image of them, a container on it. */
export function buildModel(layers: readonly GenEntry[][]): FsEngine {
  const engine = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("oracle") });
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

export function commandOf(op: GenOp): Command {
  const container = "box";
  switch (op.op) {
    case "write":
      return {
        type: "fs.writeFile",
        container,
        path: op.path,
        content: op.content,
        append: op.append,
        mode: op.mode,
      };
    case "truncate":
      return { type: "fs.truncate", container, path: op.path, size: op.size };
    case "mkdir":
      return { type: "fs.mkdir", container, path: op.path, mode: op.mode };
    case "symlink":
      return { type: "fs.symlink", container, path: op.path, target: op.target };
    case "link":
      return { type: "fs.link", container, path: op.path, target: op.target };
    case "remove":
      return { type: "fs.remove", container, path: op.path, recursive: op.recursive };
    case "rename":
      return { type: "fs.rename", container, from: op.from, to: op.to };
    case "move":
      return { type: "fs.move", container, from: op.from, to: op.to };
    case "chmod":
      return { type: "fs.chmod", container, path: op.path, mode: op.mode };
    case "chown":
      return { type: "fs.chown", container, path: op.path, uid: op.uid, gid: op.gid };
    case "utimes":
      return { type: "fs.utimes", container, path: op.path, mtime: op.mtime };
  }
}

/** Runs the ops; each result is null (success) or the errno the model answered. */
export function runOps(engine: FsEngine, ops: readonly GenOp[]): (string | null)[] {
  return ops.map((op) => {
    const r = engine.execute(commandOf(op));
    return r.ok ? null : r.error.code;
  });
}

/** The merged view of `ref` (default: the container), listed like the harness lists the kernel's. */
export function listMerged(engine: FsEngine, ref = "box"): Listed[] {
  return [...engine.view(ref).walk("/")].map((e) => {
    if (e.type === "file")
      return {
        path: e.path,
        type: "file",
        mode: e.mode,
        uid: e.uid,
        gid: e.gid,
        size: e.size,
        sha256: e.digest as string,
      };
    if (e.type === "symlink")
      return { path: e.path, type: "symlink", uid: e.uid, gid: e.gid, target: e.target as string };
    return { path: e.path, type: "dir", mode: e.mode, uid: e.uid, gid: e.gid };
  });
}

/** A tree (a read-write layer) listed with whiteouts and opaque flags, like the harness lists upperdir. */
export function listTree(tree: Tree): Listed[] {
  const out: Listed[] = [];
  const visit = (node: FsNode, path: string) => {
    switch (node.kind) {
      case "dir":
        out.push({
          path: path || "/",
          type: "dir",
          mode: node.mode,
          uid: node.uid,
          gid: node.gid,
          opaque: node.opaque,
        });
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
          uid: i.uid,
          gid: i.gid,
          size: i.size,
          sha256: i.digest,
        });
        return;
      }
      case "symlink":
        out.push({ path, type: "symlink", uid: node.uid, gid: node.gid, target: node.target });
        return;
      case "whiteout":
        out.push({ path, type: "whiteout" });
        return;
    }
  };
  visit(tree.root, "");
  return out;
}

export function listUpper(engine: FsEngine): Listed[] {
  const id = engine.state.names.box as string;
  const c = engine.projected.containers.get(id);
  if (!c) throw new Error("no container box");
  return listTree(c.upper);
}
