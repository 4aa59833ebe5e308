/**
 * The fs projection: folds the log into layer trees and union views (`evolve`), stores file content
 * and completes filesystem commands before they are decided (`prepare`), and checks every change
 * against the union view before it is appended (`refine`): a refused change is an {@link FsError}
 * named like errno, and nothing is appended.
 *
 * Plug it into the core engine: `new Engine({ clock, ids, projection: fsProjection({ blobs }) })`,
 * or use {@link createFsEngine}.
 */
import {
  type Command,
  type EngineState,
  type EventEnvelope,
  type FsEvent,
  findContainer,
  InvalidParameterError,
  type NewEvent,
  NotFoundError,
  normalizeFsPath,
  type Projection,
  pathComponents,
  ReplayError,
  StrataError,
  withoutCommitLayer,
} from "@strata/core";
import { applyFsEvent, type InodeIds } from "./applyFsEvent.js";
import type { BlobStore } from "./BlobStore.js";
import { commitLayer, isEmptyLayer } from "./commitLayer.js";
import { FsError } from "./FsError.js";
import { emptyTree, type Tree } from "./FsNode.js";
import { type ContainerFs, emptyUpper, type FsState, initialFsState } from "./FsState.js";
import { flatten, IMPLIED_DIR, layerTree, stackLayer } from "./layerTree.js";
import { inodeOf, lookupPair, type Overlay, resolve, shown } from "./Overlay.js";

export interface FsProjectionOptions {
  /** Where file bytes go. */
  readonly blobs: BlobStore;
}

const isFsEvent = (e: { type: string }): e is FsEvent => e.type.startsWith("fs.");

function overlayOf(c: ContainerFs): Overlay {
  return { lower: c.lower, upper: c.upper };
}

function inoIds(prefix: string): InodeIds {
  let n = 0;
  return () => `${prefix}.${n++}`;
}

/** The layer trees of `layerIds` (an unknown id counts as an empty layer: metadata-only images). */
function treesOf(state: FsState, layerIds: readonly string[]): Tree[] {
  return layerIds.map((id) => state.layers.get(id) ?? emptyTree(IMPLIED_DIR));
}

/** The state after one event. Pure. */
export function evolveFs(state: FsState, event: EventEnvelope): FsState {
  const next = { ...state, seq: event.seq };
  switch (event.type) {
    case "layer.created": {
      const tree = layerTree(event.data.layerId, event.data.entries);
      return { ...next, layers: state.layers.set(event.data.layerId, tree) };
    }
    case "image.created": {
      const { imageId, layers, parentId, containerId } = event.data;
      let layerTrees = state.layers;
      const top = layers[layers.length - 1];
      if (containerId !== null && top !== undefined && !layerTrees.has(top.id)) {
        const c = state.containers.get(containerId);
        if (c) layerTrees = layerTrees.set(top.id, commitLayer(c.lower, c.upper));
      }
      const withLayers = { ...next, layers: layerTrees };
      const ids = layers.map((l) => l.id);
      const parent = parentId === null ? undefined : state.images.get(parentId);
      const flattened =
        parent?.layerIds.every((id, i) => ids[i] === id) === true
          ? treesOf(withLayers, ids.slice(parent.layerIds.length)).reduce(stackLayer, parent.flattened)
          : flatten(treesOf(withLayers, ids));
      return { ...withLayers, images: state.images.set(imageId, { layerIds: ids, flattened }) };
    }
    case "container.created": {
      const image = state.images.get(event.data.imageId);
      const lower = image?.flattened ?? emptyTree(IMPLIED_DIR);
      const container: ContainerFs = { imageId: event.data.imageId, lower, upper: emptyUpper(lower) };
      return { ...next, containers: state.containers.set(event.streamId, container) };
    }
    case "container.destroyed":
      return { ...next, containers: state.containers.delete(event.streamId) };
    default:
      break;
  }
  if (isFsEvent(event)) {
    const c = state.containers.get(event.streamId);
    if (!c)
      throw new ReplayError(
        event.seq,
        "no-rw-layer",
        `${event.type}: container ${event.streamId} has no read-write layer`,
      );
    try {
      const upper = applyFsEvent(overlayOf(c), event, event.recordedAt, inoIds(`${event.seq}`));
      return { ...next, containers: state.containers.set(event.streamId, { ...c, upper }) };
    } catch (e) {
      if (e instanceof FsError) throw new ReplayError(event.seq, "fs-not-applicable", e.message);
      throw e;
    }
  }
  return next;
}

/** The container's union view, for a command that names it. */
function containerFs(
  state: FsState,
  core: EngineState,
  ref: string,
): { id: string; fs: ContainerFs } | undefined {
  const record = findContainer(core, ref);
  const fs = record ? state.containers.get(record.context.id) : undefined;
  return record && fs ? { id: record.context.id, fs } : undefined;
}

const canonical = (comps: readonly string[]) => `/${comps.join("/")}`;

/** Resolves what a filesystem command names into the events it appends, checking each against the union. */
function resolveFsCommand(
  ov: Overlay,
  command: Extract<Command, { type: `fs.${string}` }>,
  drafts: readonly NewEvent[],
): FsEvent[] {
  const first = drafts[0] as FsEvent & NewEvent;
  switch (command.type) {
    case "fs.writeFile":
    case "fs.truncate": {
      const op = command.type === "fs.truncate" ? "truncate" : "open";
      const r = resolve(ov, command.path, true, op);
      if (r.comps.length === 0) throw new FsError("EISDIR", op, command.path);
      const parent = lookupPair(ov, r.comps.slice(0, -1));
      if (parent === undefined) throw new FsError("ENOENT", op, command.path);
      if (shown(parent).kind !== "dir") throw new FsError("ENOTDIR", op, command.path);
      const data = (first as Extract<FsEvent, { type: "fs.fileWritten" }>).data;
      if (r.pair !== undefined) {
        const node = shown(r.pair);
        if (node.kind === "dir") throw new FsError("EISDIR", op, command.path);
        const inode = inodeOf(ov, r.pair);
        return [
          {
            type: "fs.fileWritten",
            data: { ...data, path: canonical(r.comps), mode: inode.mode, uid: inode.uid, gid: inode.gid },
          },
        ];
      }
      if (command.type === "fs.truncate") throw new FsError("ENOENT", op, command.path);
      const dir = shown(parent);
      const setgid = dir.kind === "dir" && (dir.mode & 0o2000) !== 0;
      return [
        {
          type: "fs.fileWritten",
          data: {
            ...data,
            path: canonical(r.comps),
            uid: 0,
            gid: setgid && dir.kind === "dir" ? dir.gid : 0,
          },
        },
      ];
    }
    case "fs.mkdir": {
      // mkdir(2) keeps only the permission and sticky bits of its mode argument.
      const mode = (command.mode ?? 0o755) & 0o1777;
      if (!command.parents) {
        const r = resolve(ov, command.path, false, "mkdir");
        return [
          { type: "fs.dirCreated", data: { path: canonical(r.comps), ...inheritFrom(ov, r.comps, mode) } },
        ];
      }
      // mkdir -p: create each missing directory, following symlinks on the way; an existing directory is
      // fine, anything else is EEXIST (last component) or ENOTDIR.
      const events: FsEvent[] = [];
      const comps = pathComponents(normalizeFsPath(command.path));
      let scratch = ov;
      for (let i = 1; i <= comps.length; i++) {
        const prefix = comps.slice(0, i);
        const at = resolve(scratch, canonical(prefix), true, "mkdir");
        if (at.pair !== undefined) {
          if (shown(at.pair).kind !== "dir")
            throw new FsError(i === comps.length ? "EEXIST" : "ENOTDIR", "mkdir", command.path);
          continue;
        }
        const e: FsEvent = {
          type: "fs.dirCreated",
          data: { path: canonical(at.comps), ...inheritFrom(scratch, at.comps, mode) },
        };
        scratch = { lower: scratch.lower, upper: applyFsEvent(scratch, e, 0, inoIds("check")) };
        events.push(e);
      }
      return events;
    }
    case "fs.symlink": {
      const r = resolve(ov, command.path, false, "symlink");
      return [
        {
          type: "fs.symlinkCreated",
          // A new entry in a setgid directory takes the directory's group.
          data: {
            path: canonical(r.comps),
            target: command.target,
            uid: 0,
            gid: inheritFrom(ov, r.comps, 0).gid,
          },
        },
      ];
    }
    case "fs.link": {
      const target = resolve(ov, command.target, false, "link");
      if (target.pair === undefined) throw new FsError("ENOENT", "link", command.target);
      const r = resolve(ov, command.path, false, "link");
      return [{ type: "fs.hardLinked", data: { path: canonical(r.comps), target: canonical(target.comps) } }];
    }
    case "fs.remove": {
      const r = resolve(ov, command.path, false, "unlink");
      if (r.pair === undefined) throw new FsError("ENOENT", "unlink", command.path);
      if (!command.recursive && shown(r.pair).kind === "dir") {
        const names = lookupPair(ov, r.comps);
        if (names && !isEmpty(names)) throw new FsError("ENOTEMPTY", "rmdir", command.path);
      }
      return [{ type: "fs.removed", data: { path: canonical(r.comps) } }];
    }
    case "fs.rename": {
      // rename(2) looks up both parents before the source itself.
      const from = resolve(ov, command.from, false, "rename");
      const to = resolve(ov, command.to, false, "rename");
      if (from.pair === undefined) throw new FsError("ENOENT", "rename", command.from);
      return [{ type: "fs.renamed", data: { from: canonical(from.comps), to: canonical(to.comps) } }];
    }
    case "fs.move": {
      // rename(2) looks up both parents before the source itself.
      const from = resolve(ov, command.from, false, "rename");
      const to = resolve(ov, command.to, false, "rename");
      if (from.pair === undefined) throw new FsError("ENOENT", "rename", command.from);
      return [
        { type: "fs.copied", data: { from: canonical(from.comps), to: canonical(to.comps) } },
        { type: "fs.removed", data: { path: canonical(from.comps) } },
      ];
    }
    case "fs.chmod":
    case "fs.chown":
    case "fs.utimes": {
      const op = command.type.slice(3);
      const r = resolve(ov, command.path, true, op);
      if (r.pair === undefined) throw new FsError("ENOENT", op, command.path);
      const path = canonical(r.comps);
      if (command.type === "fs.chmod")
        return [{ type: "fs.modeChanged", data: { path, mode: command.mode } }];
      if (command.type === "fs.chown")
        return [{ type: "fs.ownerChanged", data: { path, uid: command.uid, gid: command.gid } }];
      return [{ type: "fs.timesChanged", data: { path, mtime: command.mtime } }];
    }
  }
}

function isEmpty(pair: ReturnType<typeof lookupPair>): boolean {
  if (!pair) return true;
  const u = pair.upper?.kind === "dir" ? pair.upper : undefined;
  const l = pair.lower?.kind === "dir" ? pair.lower : undefined;
  if (u) for (const [, n] of u.children.entries()) if (n.kind !== "whiteout") return false;
  if (l) for (const [name] of l.children.entries()) if (!u?.children.has(name)) return false;
  return true;
}

/** Owner of a new directory: root, with the parent's group and setgid bit when the parent is setgid. */
function inheritFrom(
  ov: Overlay,
  comps: readonly string[],
  mode: number,
): { uid: number; gid: number; mode: number } {
  const parent = lookupPair(ov, comps.slice(0, -1));
  const dir = parent ? shown(parent) : undefined;
  if (dir?.kind === "dir" && (dir.mode & 0o2000) !== 0) return { uid: 0, gid: dir.gid, mode: mode | 0o2000 };
  return { uid: 0, gid: 0, mode };
}

/** Creates the fs projection. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function fsProjection(options: FsProjectionOptions): Projection<FsState> {
  const { blobs } = options;
  return {
    initialState: initialFsState,
    evolve: (state, event) => evolveFs(state, event),
    prepare(state, core, command) {
      if (command.type !== "fs.writeFile" && command.type !== "fs.truncate") return command;
      if (
        command.digest !== undefined &&
        command.size !== undefined &&
        !("append" in command && command.append)
      ) {
        if (!blobs.has(command.digest)) {
          throw new InvalidParameterError(
            "unknown-content",
            `${command.type}: no content stored under ${command.digest}`,
          );
        }
        return command;
      }
      const target = containerFs(state, core, command.container);
      const current = (): Uint8Array => {
        if (!target) return new Uint8Array(0);
        try {
          const r = resolve(overlayOf(target.fs), command.path, true, "open");
          if (r.pair === undefined || shown(r.pair).kind !== "file") return new Uint8Array(0);
          return blobs.get(inodeOf(overlayOf(target.fs), r.pair).digest) ?? new Uint8Array(0);
        } catch {
          return new Uint8Array(0); // refine reports the path's error
        }
      };
      let bytes: Uint8Array;
      if (command.type === "fs.truncate") {
        const old = current();
        bytes = new Uint8Array(command.size);
        bytes.set(old.subarray(0, command.size));
      } else {
        const content = command.content ?? "";
        // Buffer.from skips what is not base64: refuse it instead of storing other bytes than were sent.
        if (command.encoding === "base64" && !BASE64.test(content))
          throw new InvalidParameterError(
            "invalid-base64",
            `${command.type}: content is not base64 (A-Z a-z 0-9 + /, padded with = to a multiple of 4)`,
          );
        const added =
          command.encoding === "base64" ? Buffer.from(content, "base64") : Buffer.from(content, "utf8");
        bytes = command.append ? Buffer.concat([current(), added]) : added;
      }
      const digest = blobs.put(bytes);
      if (command.type === "fs.truncate") return { ...command, digest };
      const { content: _c, encoding: _e, append: _a, ...rest } = command;
      return { ...rest, digest, size: bytes.length };
    },
    refine(state, core, command, events) {
      if (command.type === "layer.create") {
        layerTree(command.layerId ?? "", command.entries); // throws LayerError naming the entry
        for (const e of command.entries) {
          if (e.type === "file" && !blobs.has(e.digest)) {
            throw new InvalidParameterError(
              "unknown-content",
              `layer.create: ${e.path}: no content stored under ${e.digest}`,
            );
          }
        }
        return events;
      }
      if (command.type === "image.create") {
        for (const layer of command.layers) {
          if (!state.layers.has(layer.id))
            throw new NotFoundError("no-such-layer", `No such layer: ${layer.id}`);
        }
        return events;
      }
      if (command.type === "container.commit") {
        const target = containerFs(state, core, command.container);
        if (!target) return events;
        const layer = commitLayer(target.fs.lower, target.fs.upper);
        if (!isEmptyLayer(layer)) return events;
        // Nothing changed: Docker adds no layer (the history entry is an empty layer).
        return events.map(withoutCommitLayer);
      }
      if (!command.type.startsWith("fs.")) return events;
      const fsCommand = command as Extract<Command, { type: `fs.${string}` }>;
      const target = containerFs(state, core, fsCommand.container);
      if (!target)
        throw new StrataError(
          "System",
          500,
          "no-rw-layer",
          `container ${fsCommand.container} has no read-write layer`,
        );
      const resolved = resolveFsCommand(overlayOf(target.fs), fsCommand, events);
      // Check the whole sequence on a scratch copy: a command applies entirely or not at all.
      let scratch = overlayOf(target.fs);
      for (const e of resolved)
        scratch = { lower: scratch.lower, upper: applyFsEvent(scratch, e, 0, inoIds("check")) };
      const base = events[0] as NewEvent;
      return resolved.map(
        (e) =>
          ({
            ...e,
            streamId: base.streamId,
            schemaVersion: base.schemaVersion,
            recordedAt: base.recordedAt,
          }) as NewEvent,
      );
    },
  };
}
