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
  findContainer,
  InvalidParameterError,
  mainCommand,
  type NewEvent,
  NotFoundError,
  type Projection,
  StrataError,
  withoutCommitLayer,
} from "@strata/core";
import { applyFsEvent } from "./applyFsEvent.js";
import type { BlobStore } from "./BlobStore.js";
import { commitLayer, isEmptyLayer } from "./commitLayer.js";
import { evolveFs } from "./evolveFs.js";
import { FsError } from "./FsError.js";
import { FsFold } from "./FsFold.js";
import { type ContainerFs, type FsState, initialFsState } from "./FsState.js";
import { layerTree } from "./layerTree.js";
import { lookPath } from "./lookPath.js";
import { inodeOf, type Overlay, shown } from "./Overlay.js";
import { MAX_FILE_BYTES, notBytes, shownPath } from "./pathLimits.js";
import { processUser } from "./processUser.js";
import { resolveFsCommand } from "./resolveFsCommand.js";
import { resolve } from "./resolvePath.js";
import { UnionView } from "./UnionView.js";

export interface FsProjectionOptions {
  /** Where file bytes go. */
  readonly blobs: BlobStore;
}

function overlayOf(c: ContainerFs): Overlay {
  return { lower: c.lower, upper: c.upper };
}

/** Inode ids for the scratch check of a command (never stored). */
function checkIds(): () => string {
  let n = 0;
  return () => `check.${n++}`;
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

/** Creates the fs projection. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function fsProjection(options: FsProjectionOptions): Projection<FsState> {
  const { blobs } = options;
  return {
    initialState: initialFsState,
    evolve: (state, event) => evolveFs(state, event),
    fold: (state) => new FsFold(state),
    // What runc checks before it starts PID 1: the program, in the container's root. An image that
    // carries no files at all (no entry in its layers) is a model image: its programs are simulated,
    // so they run whatever their name.
    runtime: (state, core) => ({
      lookPath(containerId) {
        const record = core.containers[containerId];
        const fs = state.containers.get(containerId);
        if (!record || !fs || fs.lower.root.children.size === 0) return null;
        // No program at all (no Cmd, no Entrypoint): Docker refuses to create such a container ("no
        // command specified"); one made through core directly is a model container, simulated too.
        const program = mainCommand(record.context)[0];
        if (program === undefined) return null;
        const view = new UnionView(overlayOf(fs), blobs);
        const config = record.context.config;
        return lookPath(view, program, {
          env: config.env ?? [],
          workingDir: config.workingDir ?? "",
          ...processUser(view, config.user ?? ""),
        });
      },
    }),
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
          const r = resolve(overlayOf(target.fs), command.path, "follow", "open");
          if (r.pair === undefined || shown(r.pair).kind !== "file") return new Uint8Array(0);
          return blobs.get(inodeOf(overlayOf(target.fs), r.pair).digest) ?? new Uint8Array(0);
        } catch {
          return new Uint8Array(0); // refine reports the path's error
        }
      };
      let bytes: Uint8Array;
      if (command.type === "fs.truncate") {
        if (command.size > MAX_FILE_BYTES)
          throw new FsError(
            "EFBIG",
            "truncate",
            shownPath(command.path),
            `the model holds files of at most ${MAX_FILE_BYTES} bytes`,
          );
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
        const bad = command.encoding === "base64" ? undefined : notBytes(content);
        if (bad?.startsWith("it is not"))
          throw new FsError(
            "EINVAL",
            "write",
            shownPath(command.path),
            `the content ${bad.slice(3)}; send bytes as base64`,
          );
        const added =
          command.encoding === "base64" ? Buffer.from(content, "base64") : Buffer.from(content, "utf8");
        bytes = command.append ? Buffer.concat([current(), added]) : added;
        if (bytes.length > MAX_FILE_BYTES)
          throw new FsError(
            "EFBIG",
            "write",
            shownPath(command.path),
            `the model holds files of at most ${MAX_FILE_BYTES} bytes`,
          );
      }
      const digest = blobs.put(bytes);
      if (command.type === "fs.truncate") return { ...command, digest };
      // An append of nothing keeps `append` (refine keeps the file's mtime then); preparing it again
      // gives the same digest. Any other write drops it: the digest is the whole new content.
      const { content: _c, encoding: _e, append: _a, ...rest } = command;
      const appendedNothing = command.append === true && bytes.length === current().length;
      return { ...rest, digest, size: bytes.length, ...(appendedNothing ? { append: true } : {}) };
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
      const changes = Array.isArray(resolved) ? resolved : resolved.events;
      // Check the whole sequence on a scratch copy: a command applies entirely or not at all (or, for
      // a system call that fails after a change, exactly that change and its error).
      let scratch = overlayOf(target.fs);
      for (const e of changes)
        scratch = { lower: scratch.lower, upper: applyFsEvent(scratch, e, 0, checkIds()) };
      const base = events[0] as NewEvent;
      const appended = changes.map(
        (e) =>
          ({
            ...e,
            streamId: base.streamId,
            schemaVersion: base.schemaVersion,
            recordedAt: base.recordedAt,
          }) as NewEvent,
      );
      return Array.isArray(resolved) ? appended : { events: appended, error: resolved.error };
    },
  };
}
