/**
 * `decide(state, command, now)`: what a command does, as events to append or a typed error. Pure:
 * it reads only its arguments (the time is one of them; ids must already be in the command), and
 * the rules themselves live in the lifecycle machines. `decide` resolves references, parses
 * parameters, gathers the facts the machines need, and wraps what they emit in envelopes.
 */

import type { Command, CommandOfType, FsCommand } from "../commands/commands.js";
import { InvalidParameterError, NotFoundError, StrataError } from "../errors.js";
import type { ContainerConfig, ImageConfig, Layer } from "../events/common.js";
import type { NewEvent } from "../events/envelope.js";
import { normalizeFsPath } from "../fsPath.js";
import { IMAGE_REF_PATTERN, normalizeImageRef } from "../ids.js";
import type { ContainerMachineCommand, ImageFacts } from "../machines/containerCommands.js";
import type { EventDraft } from "../machines/Decision.js";
import type { ImageMachineCommand } from "../machines/imageCommands.js";
import { parseSignal, type SignalName, signalError } from "../signals.js";
import { applyChanges } from "./applyChanges.js";
import { type ContainerRuntime, lookPathOf } from "./ContainerRuntime.js";
import { createSettings, restartPolicyOf } from "./createSettings.js";
import { decideDaemonConfigure, decideDaemonRestart } from "./decideDaemon.js";
import { type DecideResult, envelopes } from "./drafts.js";
import { type EngineState, type ImageRecord, imageStoreOf } from "./EngineState.js";
import { generateName } from "./generateName.js";
import {
  canonicalHandlers,
  compactConfig,
  containerImageConfig,
  EMPTY_IMAGE_CONFIG,
  imageCreateConfig,
  mergeCommitConfig,
  mergeCreateConfig,
} from "./imageConfig.js";
import { imageRemoveInput } from "./imageRemoveFacts.js";
import {
  containerSnapshot,
  imageSnapshot,
  layerSnapshot,
  stepContainer,
  stepImage,
  stepLayer,
} from "./machineSnapshots.js";
import { decideContainerPrune, decideImagePrune } from "./prune.js";
import { findContainer, findImage } from "./resolve.js";

export type { DecideResult } from "./drafts.js";

function signalParam(input: string | number): SignalName {
  const s = parseSignal(input);
  if (!s) throw new InvalidParameterError("invalid-signal", signalError(input) ?? `invalid signal: ${input}`);
  return s;
}

function required<T>(value: T | undefined, field: string, type: string): T {
  if (value === undefined) {
    throw new InvalidParameterError(
      "missing-id",
      `${type}: ${field} is required (the engine fills it from its IdSource before deciding)`,
    );
  }
  return value;
}

function imageFacts(image: ImageRecord): ImageFacts {
  return {
    id: image.id,
    layers: image.layers,
    cmd: image.cmd,
    history: image.history,
    config: image.config,
    ...(image.platform ? { platform: image.platform } : {}),
  };
}

/**
 * How Docker names an image reference it did not find (`ErrImageDoesNotExist`): a full id as
 * `sha256:<hex>`, anything else as a name with `:latest` added when it has no tag.
 */
export function imageDisplayRef(ref: string): string {
  const id = /^(?:sha256:)?([0-9a-f]{64})$/.exec(ref);
  return id ? `sha256:${id[1]}` : normalizeImageRef(ref);
}

function tagParam(tag: string): string {
  const normalised = normalizeImageRef(tag);
  if (!IMAGE_REF_PATTERN.test(normalised)) {
    throw new InvalidParameterError("invalid-reference", `invalid reference format: ${tag}`);
  }
  return normalised;
}

/** A command's `configBlob`, which must be the image's id (an image's id is its config's digest). */
function configBlobParam(
  command: { readonly type: string; readonly configBlob?: string | undefined },
  imageId: string,
): { configBlob?: string } {
  if (command.configBlob === undefined) return {};
  if (command.configBlob !== imageId)
    throw new InvalidParameterError(
      "invalid-config-blob",
      `${command.type}: configBlob ${command.configBlob} is not the image id ${imageId} (an image's id is its config's digest)`,
    );
  return { configBlob: command.configBlob };
}

/** Checks that layers form a chain: each one's parent is the one below it. */
function layerChain(layers: CommandOfType<"image.create">["layers"]): Layer[] {
  return layers.map((l, i) => {
    const below = i === 0 ? null : (layers[i - 1]?.id ?? null);
    if (l.parent !== below) {
      throw new InvalidParameterError(
        "invalid-layers",
        `layer ${i} (${l.id}): parent must be ${below ?? "null"} (the layer below it), got ${l.parent ?? "null"}`,
      );
    }
    return { id: l.id, parent: l.parent, createdBy: l.createdBy ?? "", comment: l.comment ?? "" };
  });
}

/** The container that has an exec instance `execId` (ids are unique across containers), or null. */
function execIdOwner(state: EngineState, execId: string): string | null {
  for (const c of Object.values(state.containers))
    if (c.context.execs.some((x) => x.execId === execId)) return c.context.id;
  return null;
}

/** The container machine's input for a container command (facts gathered, parameters parsed). */
function containerInput(
  state: EngineState,
  command: Command,
  now: number,
  runtime: ContainerRuntime | undefined,
): { streamId: string; input: ContainerMachineCommand } | null {
  switch (command.type) {
    case "container.create": {
      const containerId = required(command.containerId, "containerId", command.type);
      const match = findImage(state, command.image);
      const taken = (n: string) => state.names[n] !== undefined;
      const name =
        command.name === undefined || command.name === ""
          ? generateName(containerId, taken)
          : command.name.replace(/^\//, "");
      const { invalid, stopSignal } = createSettings(command);
      const imageConfig = match?.image.config ?? EMPTY_IMAGE_CONFIG;
      const merged = mergeCreateConfig(imageConfig, command, stopSignal);
      // In the schema's key order, so the event reads back (parseEvent) exactly as it was written.
      const config: ContainerConfig = compactConfig({
        cmd: merged.cmd,
        restartPolicy: restartPolicyOf(command),
        autoRemove: command.autoRemove ?? false,
        stopSignal: merged.stopSignal,
        stopTimeout: command.stopTimeout ?? null,
        handlers: canonicalHandlers(command.handlers ?? {}),
        entrypoint: merged.entrypoint,
        env: merged.env,
        labels: merged.labels,
        exposedPorts: merged.exposedPorts,
        user: merged.user,
        workingDir: merged.workingDir,
        volumes: merged.volumes,
        healthcheck: merged.healthcheck,
        onBuild: merged.onBuild,
        ...(command.startError === undefined ? {} : { startError: command.startError }),
      });
      return {
        streamId: containerId,
        input: {
          type: "container.create",
          now,
          ref: containerId,
          containerId,
          name,
          nameGiven: command.name !== undefined && command.name !== "",
          nameOwner: state.names[name] ?? null,
          imageRef: match ? (match.tag ?? command.image) : imageDisplayRef(command.image),
          imageAsGiven: command.image,
          image: match ? imageFacts(match.image) : null,
          config,
          invalid,
        },
      };
    }
    case "exec.start": {
      const owner = Object.values(state.containers).find((c) =>
        c.context.execs.some((x) => x.execId === command.exec),
      );
      const exec = owner?.context.execs.find((x) => x.execId === command.exec);
      if (!owner || !exec) throw new NotFoundError("no-such-exec", `No such exec instance: ${command.exec}`);
      return {
        streamId: owner.context.id,
        input: { type: "exec.start", now, ref: owner.context.id, execId: command.exec, exec },
      };
    }
    case "image.create":
    case "image.tag":
    case "image.remove":
    case "image.prune":
    case "layer.create":
    case "container.prune":
    case "daemon.restart":
    case "daemon.configure":
      return null;
    case "container.rename":
      // Docker checks the names before it looks the container up (moby daemon/rename.go).
      if (command.name.trim().replace(/^\//, "") === "" || command.container.trim().replace(/^\//, "") === "")
        throw new InvalidParameterError("empty-name", "Neither old nor new names may be empty");
      break;
    case "container.kill": {
      // Docker parses the signal before it looks the container up; its router prefixes the error.
      const error = command.signal === undefined ? null : signalError(command.signal);
      if (error !== null)
        throw new InvalidParameterError(
          "invalid-signal",
          `cannot kill container: ${command.container}: ${error}`,
        );
      break;
    }
    default:
      break;
  }
  const ref = command.container;
  const record = findContainer(state, ref);
  const streamId = record?.context.id ?? ref;
  const at = { now, ref, ...lookPathOf(runtime, streamId) };
  switch (command.type) {
    case "container.start":
    case "container.pause":
    case "container.unpause":
      return { streamId, input: { type: command.type, ...at } };
    case "container.stop":
      return {
        streamId,
        input: {
          type: command.type,
          ...at,
          signal: command.signal === undefined ? null : (parseSignal(command.signal) ?? null),
          badSignal: command.signal === undefined ? null : signalError(command.signal),
          timeout: command.timeout ?? null,
        },
      };
    case "container.kill":
      return {
        streamId,
        input: { type: command.type, ...at, signal: signalParam(command.signal ?? "SIGKILL") },
      };
    case "container.restart":
      return { streamId, input: { type: command.type, ...at, timeout: command.timeout ?? null } };
    case "container.exec": {
      const execId = required(command.execId, "execId", command.type);
      return {
        streamId,
        input: {
          type: command.type,
          ...at,
          execId,
          execIdOwner: execIdOwner(state, execId),
          cmd: command.cmd,
          handlers: canonicalHandlers(command.handlers ?? {}),
          exitCode: command.exitCode ?? null,
        },
      };
    }
    case "container.remove":
      return {
        streamId,
        input: {
          type: command.type,
          ...at,
          force: command.force ?? false,
          fail: command.fault?.fail ?? false,
          delayMs: command.fault?.delayMs ?? 0,
        },
      };
    case "container.rename": {
      const name = command.name.trim().replace(/^\//, "");
      return { streamId, input: { type: command.type, ...at, name, nameOwner: state.names[name] ?? null } };
    }
    case "container.execCreate": {
      const execId = required(command.execId, "execId", command.type);
      return {
        streamId,
        input: {
          type: command.type,
          ...at,
          execId,
          execIdOwner: execIdOwner(state, execId),
          cmd: command.cmd,
          handlers: canonicalHandlers(command.handlers ?? {}),
          exitCode: command.exitCode ?? null,
        },
      };
    }
    case "container.oom":
      return { streamId, input: { type: command.type, ...at, pid: command.pid ?? 1 } };
    case "container.setHealth":
      return { streamId, input: { type: command.type, ...at, exitCode: command.exitCode } };
    case "container.commit": {
      const imageId = required(command.imageId, "imageId", command.type);
      const tag = command.tag === undefined ? null : tagParam(command.tag);
      const tagOwner = tag === null ? null : (state.tags[tag] ?? null);
      const pinned = record ? state.images[record.context.imageId] : undefined;
      const own = record ? containerImageConfig(record.context.config) : EMPTY_IMAGE_CONFIG;
      let config: ImageConfig | { error: string };
      try {
        config = mergeCommitConfig(applyChanges(own, command.changes ?? []), own);
      } catch (e) {
        if (!(e instanceof StrataError)) throw e;
        config = { error: e.message };
      }
      return {
        streamId,
        input: {
          type: command.type,
          ...at,
          imageId,
          layerId: required(command.layerId, "layerId", command.type),
          exists: state.images[imageId]?.status === "present",
          ...configBlobParam(command, imageId),
          ...(command.layerTar !== undefined ? { layerTar: command.layerTar } : {}),
          tag,
          tagOwner: tagOwner === imageId ? null : tagOwner,
          tagHeld: tag !== null && tagOwner === imageId,
          comment: command.comment ?? "",
          author: command.author ?? "",
          pause: command.pause ?? true,
          image: pinned ? imageFacts(pinned) : { id: record?.context.imageId ?? "", layers: [], cmd: [] },
          config,
        },
      };
    }
    case "process.signal":
      return {
        streamId,
        input: { type: command.type, ...at, pid: command.pid, signal: signalParam(command.signal) },
      };
    case "process.trap":
      return {
        streamId,
        input: {
          type: command.type,
          ...at,
          pid: command.pid,
          signal: signalParam(command.signal),
          action: canonicalHandlers({ SIGTERM: command.action }).SIGTERM ?? command.action,
        },
      };
    case "process.exit":
      return { streamId, input: { type: command.type, ...at, pid: command.pid, exitCode: command.exitCode } };
    default:
      return {
        streamId,
        input: { type: "fs.change", ...at, command: command.type, drafts: fsDrafts(command) },
      };
  }
}

function digestParam(command: { type: string; digest?: string | undefined; size?: number | undefined }) {
  if (command.digest === undefined || command.size === undefined) {
    throw new InvalidParameterError(
      "content-not-stored",
      `${command.type}: digest and size are required (the fs engine stores the content and fills them)`,
    );
  }
  return { digest: command.digest, size: command.size };
}

/** chown's -1 as the id it stands for, `(uid_t)-1`; the fs package keeps the current id there. */
function ownerParam(id: number): number {
  return id === -1 ? 0xffffffff : id;
}

/** The events a filesystem command appends, before the fs package resolves and checks them. */
function fsDrafts(command: FsCommand): EventDraft[] {
  switch (command.type) {
    case "fs.writeFile":
      return [
        {
          type: "fs.fileWritten",
          data: {
            path: normalizeFsPath(command.path),
            ...digestParam(command),
            mode: command.mode ?? 0o644,
            uid: 0,
            gid: 0,
          },
        },
      ];
    case "fs.truncate":
      return [
        {
          type: "fs.fileWritten",
          data: { path: normalizeFsPath(command.path), ...digestParam(command), mode: 0o644, uid: 0, gid: 0 },
        },
      ];
    case "fs.mkdir":
      return [
        {
          type: "fs.dirCreated",
          data: { path: normalizeFsPath(command.path), mode: command.mode ?? 0o755, uid: 0, gid: 0 },
        },
      ];
    case "fs.symlink":
      return [
        {
          type: "fs.symlinkCreated",
          data: { path: normalizeFsPath(command.path), target: command.target, uid: 0, gid: 0 },
        },
      ];
    case "fs.link":
      return [
        {
          type: "fs.hardLinked",
          data: { path: normalizeFsPath(command.path), target: normalizeFsPath(command.target) },
        },
      ];
    case "fs.remove":
    case "fs.unlink":
    case "fs.rmdir":
      return [{ type: "fs.removed", data: { path: normalizeFsPath(command.path) } }];
    case "fs.rename":
      return [
        {
          type: "fs.renamed",
          data: { from: normalizeFsPath(command.from), to: normalizeFsPath(command.to) },
        },
      ];
    case "fs.move":
      return [
        { type: "fs.copied", data: { from: normalizeFsPath(command.from), to: normalizeFsPath(command.to) } },
        { type: "fs.removed", data: { path: normalizeFsPath(command.from) } },
      ];
    case "fs.chmod":
      return [{ type: "fs.modeChanged", data: { path: normalizeFsPath(command.path), mode: command.mode } }];
    case "fs.chown":
      return [
        {
          type: "fs.ownerChanged",
          // -1 leaves the id as it is: the fs package fills in the current one.
          data: {
            path: normalizeFsPath(command.path),
            uid: ownerParam(command.uid),
            gid: ownerParam(command.gid),
          },
        },
      ];
    case "fs.utimes":
      return [
        {
          type: "fs.timesChanged",
          data: {
            path: normalizeFsPath(command.path),
            mtime: command.mtime,
            ...(command.atime === undefined ? {} : { atime: command.atime }),
          },
        },
      ];
    case "fs.setxattr":
      return [
        {
          type: "fs.xattrSet",
          data: {
            path: normalizeFsPath(command.path),
            name: command.name,
            value: Buffer.from(command.value, command.encoding ?? "utf8").toString("base64"),
          },
        },
      ];
    case "fs.removexattr":
      return [{ type: "fs.xattrRemoved", data: { path: normalizeFsPath(command.path), name: command.name } }];
  }
}

/** The image machine's input for an image command. */
function imageInput(
  state: EngineState,
  command: Command,
  now: number,
): { streamId: string; input: ImageMachineCommand } {
  switch (command.type) {
    case "image.create": {
      const imageId = required(command.imageId, "imageId", command.type);
      const tags = [...new Set((command.tags ?? []).map(tagParam))];
      const layers = layerChain(command.layers);
      return {
        streamId: imageId,
        input: {
          type: command.type,
          now,
          ref: imageId,
          imageId,
          layers,
          cmd: command.cmd ?? command.config?.cmd ?? [],
          config: imageCreateConfig(command),
          ...(command.platform ? { platform: command.platform } : {}),
          created: command.created ?? null,
          undated: command.created === null,
          author: command.author ?? "",
          history: command.history ?? null,
          tags: tags.map((tag) => ({ tag, owner: state.tags[tag] ?? null })),
          ...configBlobParam(command, imageId),
        },
      };
    }
    case "image.tag": {
      const match = findImage(state, command.image);
      const tag = tagParam(command.tag);
      return {
        streamId: match?.image.id ?? command.image,
        input: {
          type: command.type,
          now,
          ref: match ? command.image : imageDisplayRef(command.image),
          tag,
          tagOwner: state.tags[tag] ?? null,
        },
      };
    }
    case "image.remove": {
      if (command.image.trim() === "")
        throw new InvalidParameterError("blank-name", "image name cannot be blank");
      const match = findImage(state, command.image);
      const image = match?.image;
      return {
        streamId: image?.id ?? command.image,
        input: image
          ? imageRemoveInput(state, image, match.tag, command, now)
          : {
              type: command.type,
              now,
              ref: imageDisplayRef(command.image),
              store: imageStoreOf(state),
              byTag: null,
              force: false,
              usedBy: [],
              hasChildren: false,
              prunableParents: [],
            },
      };
    }
    default:
      throw new Error(`imageInput: ${command.type} is not an image command`);
  }
}

/**
 * Decides a command at time `now`. Never throws a {@link StrataError}: a refusal is `{ ok: false }`.
 *
 * @example
 * const r = decide(state, { type: "container.start", container: "web" }, clock.now());
 * if (r.ok) log.append(r.events);
 */
export function decide(
  state: EngineState,
  command: Command,
  now: number,
  runtime?: ContainerRuntime,
): DecideResult {
  try {
    switch (command.type) {
      case "daemon.restart":
        return decideDaemonRestart(state, command, now, runtime);
      case "daemon.configure":
        return decideDaemonConfigure(state, command, now);
      case "container.prune":
        return decideContainerPrune(state, command, now);
      case "image.prune":
        return decideImagePrune(state, command, now);
      default:
        break;
    }
    const container = containerInput(state, command, now, runtime);
    if (container) {
      const { decisions } = stepContainer(
        containerSnapshot(state.containers[container.streamId]),
        container.input,
      );
      return envelopes(decisions, container.streamId, now, command.type);
    }
    if (command.type === "layer.create") {
      const layerId = required(command.layerId, "layerId", command.type);
      const { decisions } = stepLayer(layerSnapshot(state.layers[layerId]), {
        type: "layer.create",
        now,
        ref: layerId,
        layerId,
        entries: command.entries,
        ...(command.tar !== undefined ? { tar: command.tar } : {}),
      });
      return envelopes(decisions, layerId, now, command.type);
    }
    const image = imageInput(state, command, now);
    const { decisions } = stepImage(imageSnapshot(state.images[image.streamId]), image.input);
    return envelopes(decisions, image.streamId, now, command.type);
  } catch (e) {
    if (e instanceof StrataError) return { ok: false, outcome: "refused", error: e };
    throw e;
  }
}

/**
 * What time does to container `containerId` at `now`: the events of whatever is due (a stop's SIGKILL,
 * a policy restart, a delayed removal), or none.
 */
export function decideTick(
  state: EngineState,
  containerId: string,
  now: number,
  runtime?: ContainerRuntime,
): readonly NewEvent[] {
  const record = state.containers[containerId];
  if (!record) return [];
  const { decisions } = stepContainer(containerSnapshot(record), {
    type: "clock.tick",
    now,
    ref: containerId,
    ...lookPathOf(runtime, containerId),
  });
  if (decisions.length === 0) return [];
  const r = envelopes(decisions, containerId, now, "clock.tick");
  // Nobody waits for a timer's answer: a failure part-way (a policy restart the runtime refuses) is
  // its events alone.
  return r.outcome === "refused" ? [] : r.events;
}

/** The earliest time something is due in container `record` (null if nothing is pending). */
export function nextDeadline(record: EngineState["containers"][string]): number | null {
  const c = record.context;
  const times = [
    record.status === "running" || record.status === "paused" ? (c.pendingStop?.deadline ?? null) : null,
    record.status === "running" ? (c.health?.nextProbeAt ?? null) : null,
    record.status === "restarting" ? c.restartAt : null,
    record.status === "removing" ? (c.removal?.deadline ?? null) : null,
  ].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}
