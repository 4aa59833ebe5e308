/**
 * `decide(state, command, now)`: what a command does, as events to append or a typed error. Pure:
 * it reads only its arguments (the time is one of them; ids must already be in the command), and
 * the rules themselves live in the lifecycle machines. `decide` resolves references, parses
 * parameters, gathers the facts the machines need, and wraps what they emit in envelopes.
 */

import type { Command, CommandOfType, FsCommand } from "../commands/commands.js";
import { type ErrorCode, errorFromRejection, InvalidParameterError, StrataError } from "../errors.js";
import type { ContainerConfig, Layer } from "../events/common.js";
import { EVENT_SCHEMA_VERSION, type NewEvent } from "../events/envelope.js";
import { normalizeFsPath } from "../fsPath.js";
import { IMAGE_REF_PATTERN, normalizeImageRef } from "../ids.js";
import type { ContainerMachineCommand, ImageFacts } from "../machines/containerCommands.js";
import type { Decision, EventDraft } from "../machines/Decision.js";
import type { ImageMachineCommand } from "../machines/imageCommands.js";
import { parseSignal, type SignalName } from "../signals.js";
import type { EngineState, ImageRecord } from "./EngineState.js";
import { generateName } from "./generateName.js";
import {
  containerSnapshot,
  imageSnapshot,
  layerSnapshot,
  stepContainer,
  stepImage,
  stepLayer,
} from "./machineSnapshots.js";
import { findContainer, findImage } from "./resolve.js";

/** The answer to a command: the events to append, or why nothing happens. */
export type DecideResult =
  | { readonly ok: true; readonly events: readonly NewEvent[] }
  | { readonly ok: false; readonly error: StrataError & { readonly code: ErrorCode | string } };

function signalParam(input: string | number, field = "signal"): SignalName {
  const s = parseSignal(input);
  if (!s) throw new InvalidParameterError("invalid-signal", `Invalid signal: ${input} (${field})`);
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
  return { id: image.id, layers: image.layers, cmd: image.cmd };
}

function tagParam(tag: string): string {
  const normalised = normalizeImageRef(tag);
  if (!IMAGE_REF_PATTERN.test(normalised)) {
    throw new InvalidParameterError("invalid-reference", `invalid reference format: ${tag}`);
  }
  return normalised;
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

/** The container machine's input for a container command (facts gathered, parameters parsed). */
function containerInput(
  state: EngineState,
  command: Command,
  now: number,
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
      const config: ContainerConfig = {
        cmd: command.cmd ?? [...(match?.image.cmd ?? [])],
        restartPolicy: command.restartPolicy ?? { name: "no", maximumRetryCount: 0 },
        autoRemove: command.autoRemove ?? false,
        stopSignal: command.stopSignal === undefined ? null : signalParam(command.stopSignal, "stopSignal"),
        stopTimeout: command.stopTimeout ?? null,
        handlers: command.handlers ?? {},
      };
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
          imageRef:
            command.image.includes(":") || /^[0-9a-f]{12,}$/.test(command.image)
              ? command.image
              : `${command.image}:latest`,
          image: match ? imageFacts(match.image) : null,
          config,
        },
      };
    }
    case "image.create":
    case "image.tag":
    case "image.remove":
    case "layer.create":
      return null;
    default:
      break;
  }
  const ref = command.container;
  const record = findContainer(state, ref);
  const streamId = record?.context.id ?? ref;
  const at = { now, ref };
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
          signal: command.signal === undefined ? null : signalParam(command.signal),
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
    case "container.exec":
      return {
        streamId,
        input: {
          type: command.type,
          ...at,
          execId: required(command.execId, "execId", command.type),
          cmd: command.cmd,
          handlers: command.handlers ?? {},
          exitCode: command.exitCode ?? null,
        },
      };
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
      const name = command.name.replace(/^\//, "");
      return { streamId, input: { type: command.type, ...at, name, nameOwner: state.names[name] ?? null } };
    }
    case "container.commit": {
      const imageId = required(command.imageId, "imageId", command.type);
      const tag = command.tag === undefined ? null : tagParam(command.tag);
      const tagOwner = tag === null ? null : (state.tags[tag] ?? null);
      const pinned = record ? state.images[record.context.imageId] : undefined;
      return {
        streamId,
        input: {
          type: command.type,
          ...at,
          imageId,
          layerId: required(command.layerId, "layerId", command.type),
          tag,
          tagOwner: tagOwner === imageId ? null : tagOwner,
          comment: command.comment ?? "",
          author: command.author ?? "",
          pause: command.pause ?? true,
          image: pinned ? imageFacts(pinned) : { id: record?.context.imageId ?? "", layers: [], cmd: [] },
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
          action: command.action,
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
      return {
        streamId: imageId,
        input: {
          type: command.type,
          now,
          ref: imageId,
          imageId,
          layers: layerChain(command.layers),
          cmd: command.cmd ?? [],
          tags: tags.map((tag) => ({ tag, owner: state.tags[tag] ?? null })),
        },
      };
    }
    case "image.tag": {
      const match = findImage(state, command.image);
      const tag = tagParam(command.tag);
      return {
        streamId: match?.image.id ?? command.image,
        input: { type: command.type, now, ref: command.image, tag, tagOwner: state.tags[tag] ?? null },
      };
    }
    case "image.remove": {
      if (command.image === "") throw new InvalidParameterError("blank-name", "image name cannot be blank");
      const match = findImage(state, command.image);
      const image = match?.image;
      const usedBy = Object.values(state.containers)
        .filter((c) => image !== undefined && c.context.imageId === image.id)
        .map((c) => ({
          containerId: c.context.id,
          running: c.status === "running" || c.status === "paused" || c.status === "restarting",
        }));
      const children = (id: string) =>
        Object.values(state.images).filter((i) => i.status === "present" && i.parentId === id);
      const prunableParents: string[] = [];
      if (image && !command.noPrune) {
        let gone = new Set([image.id]);
        let parentId = image.parentId;
        while (parentId !== null) {
          const parent = state.images[parentId];
          if (parent?.status !== "present" || parent.tags.length > 0) break;
          if (Object.values(state.containers).some((c) => c.context.imageId === parent.id)) break;
          if (children(parent.id).some((c) => !gone.has(c.id))) break;
          prunableParents.push(parent.id);
          gone = new Set([...gone, parent.id]);
          parentId = parent.parentId;
        }
      }
      return {
        streamId: image?.id ?? command.image,
        input: {
          type: command.type,
          now,
          ref: match?.tag ?? command.image,
          byTag: match?.tag ?? null,
          force: command.force ?? false,
          usedBy,
          hasChildren: image ? children(image.id).length > 0 : false,
          prunableParents,
        },
      };
    }
    default:
      throw new Error(`imageInput: ${command.type} is not an image command`);
  }
}

function envelopes(
  decisions: readonly Decision[],
  streamId: string,
  now: number,
  what: string,
): DecideResult {
  const decision = decisions[0];
  if (decisions.length !== 1 || !decision) {
    throw new Error(
      `lifecycle machine made ${decisions.length} decisions for ${what}; exactly one is required`,
    );
  }
  if (decision.type === "rejected") return { ok: false, error: errorFromRejection(decision.rejection) };
  return { ok: true, events: decision.events.map((d) => toNewEvent(d, streamId, now)) };
}

function toNewEvent(draft: EventDraft, streamId: string, now: number): NewEvent {
  const { streamId: own, ...body } = draft;
  return {
    streamId: own ?? streamId,
    schemaVersion: EVENT_SCHEMA_VERSION,
    recordedAt: now,
    ...body,
  } as NewEvent;
}

/**
 * Decides a command at time `now`. Never throws a {@link StrataError}: a refusal is `{ ok: false }`.
 *
 * @example
 * const r = decide(state, { type: "container.start", container: "web" }, clock.now());
 * if (r.ok) log.append(r.events);
 */
export function decide(state: EngineState, command: Command, now: number): DecideResult {
  try {
    const container = containerInput(state, command, now);
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
      });
      return envelopes(decisions, layerId, now, command.type);
    }
    const image = imageInput(state, command, now);
    const { decisions } = stepImage(imageSnapshot(state.images[image.streamId]), image.input);
    return envelopes(decisions, image.streamId, now, command.type);
  } catch (e) {
    if (e instanceof StrataError) return { ok: false, error: e };
    throw e;
  }
}

/**
 * What time does to container `containerId` at `now`: the events of whatever is due (a stop's SIGKILL,
 * a policy restart, a delayed removal), or none.
 */
export function decideTick(state: EngineState, containerId: string, now: number): readonly NewEvent[] {
  const record = state.containers[containerId];
  if (!record) return [];
  const { decisions } = stepContainer(containerSnapshot(record), {
    type: "clock.tick",
    now,
    ref: containerId,
  });
  if (decisions.length === 0) return [];
  const r = envelopes(decisions, containerId, now, "clock.tick");
  return r.ok ? r.events : [];
}

/** The earliest time something is due in container `record` (null if nothing is pending). */
export function nextDeadline(record: EngineState["containers"][string]): number | null {
  const c = record.context;
  const times = [
    record.status === "running" || record.status === "paused" ? (c.pendingStop?.deadline ?? null) : null,
    record.status === "restarting" ? c.restartAt : null,
    record.status === "removing" ? (c.removal?.deadline ?? null) : null,
  ].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}
