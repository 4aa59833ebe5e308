/**
 * Strata's events as Docker's event messages (`GET /events`, moby api/types/events `Message`): what
 * dockerd logs for the same happening, with the attributes it logs (daemon/events.go
 * `LogContainerEventWithAttributes`, daemon/images/image_events.go `LogImageEvent`). One Strata event
 * gives zero, one or more messages, decided by the event and the state just before and after it, so
 * replaying the log gives the same messages as streaming it live, at every position. The time is the
 * event's `recordedAt` (the engine's clock), never the time of reading.
 *
 * The full table (every Strata event type → its Docker actions) is `DOCKER_ACTIONS`; docs/docker-api.md
 * shows it.
 */
import { createHash } from "node:crypto";
import {
  type ContainerRecord,
  type EngineState,
  type EventEnvelope,
  evolve,
  imageStoreOf,
  initialState,
  SIGNALS,
  type SignalName,
  type StrataEventType,
} from "@strata/core";
import { imageAsTyped } from "./containerShapes.js";

/** One message of `GET /events`, fields in moby's order. */
export interface DockerEventMessage {
  /** Legacy fields (API < 1.52): `status` = Action, `id` = Actor.ID, `from` = the image (containers). */
  readonly status?: string;
  readonly id?: string;
  readonly from?: string;
  readonly Type: "container" | "image";
  readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes: Readonly<Record<string, string>> };
  readonly scope: "local";
  /** Unix seconds. */
  readonly time: number;
  /** Unix nanoseconds (more digits than a double holds). */
  readonly timeNano: bigint;
}

/**
 * What each Strata event type becomes: the Docker actions, in order (`exec_create: …` stands for the
 * action with the command after it), or an empty list where dockerd logs nothing for it.
 */
export const DOCKER_ACTIONS: Readonly<Record<StrataEventType, readonly string[]>> = {
  "container.created": ["create"],
  "container.started": ["start"],
  "container.restarted": ["restart"],
  "container.stopRequested": [],
  "container.signalled": ["kill"],
  "process.trapped": [],
  "container.execStarted": ["exec_create: …", "exec_start: …"],
  "process.exited": ["exec_die"],
  "container.died": ["die"],
  "container.stopped": ["stop"],
  "container.restartCancelled": [],
  "container.paused": ["pause"],
  "container.unpaused": ["unpause"],
  "container.renamed": ["rename"],
  "container.removalStarted": [],
  "container.removalFailed": [],
  "container.destroyed": ["destroy"],
  "container.committed": ["commit"],
  "container.startFailed": [],
  "container.oomKilled": ["oom"],
  "container.healthSet": [],
  "container.healthChecked": ["exec_create: …", "exec_start: …", "exec_die"],
  "container.healthStatusChanged": ["health_status: …"],
  "container.execCreated": ["exec_create: …"],
  "container.shutDown": [],
  "fs.fileWritten": [],
  "fs.dirCreated": [],
  "fs.symlinkCreated": [],
  "fs.hardLinked": [],
  "fs.removed": [],
  "fs.renamed": [],
  "fs.copied": [],
  "fs.modeChanged": [],
  "fs.ownerChanged": [],
  "fs.timesChanged": [],
  "fs.xattrSet": [],
  "fs.xattrRemoved": [],
  "image.created": ["create", "load"],
  "image.tagged": ["tag"],
  "image.untagged": ["untag"],
  "image.deleted": ["delete"],
  "layer.created": [],
  "daemon.configured": [],
  "daemon.restarted": [],
  "daemon.containersPruned": ["prune"],
  "daemon.imagesPruned": ["prune"],
};

/** A string→string map without a prototype (a label named `__proto__` is just a key). */
function attributes(...sources: (Readonly<Record<string, string>> | undefined)[]): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const s of sources) if (s) for (const [k, v] of Object.entries(s)) out[k] = v;
  return out;
}

/** A message of type `Type`, with its legacy fields, at the event's time. */
function message(
  event: EventEnvelope,
  Type: "container" | "image",
  Action: string,
  ID: string,
  Attributes: Record<string, string>,
): DockerEventMessage {
  const ms = event.recordedAt;
  const from = Type === "container" ? Attributes.image : undefined;
  return {
    status: Action,
    ...(ID !== "" ? { id: ID } : {}),
    ...(from ? { from } : {}),
    Type,
    Action,
    Actor: { ID, Attributes },
    scope: "local",
    time: Math.floor(ms / 1000),
    timeNano: BigInt(ms) * 1_000_000n,
  };
}

/**
 * A container event as `LogContainerEventWithAttributes` builds it: the extra attributes, then the
 * container's labels over them, then `image` (as typed at create) and `name` (no slash) over those.
 */
function containerMessage(
  event: EventEnvelope,
  record: ContainerRecord,
  action: string,
  extra?: Record<string, string>,
): DockerEventMessage {
  const c = record.context;
  const image = imageAsTyped(record);
  const attrs = attributes(extra, c.config.labels, image !== "" ? { image } : undefined, { name: c.name });
  return message(event, "container", action, c.id, attrs);
}

/** A name as Docker shows it: `docker.io/library/` and `docker.io/` dropped. */
export function familiarTag(tag: string): string {
  if (tag.startsWith("docker.io/library/") && !tag.slice(18).split(":")[0]?.includes("/"))
    return tag.slice(18);
  if (tag.startsWith("docker.io/")) return tag.slice(10);
  return tag;
}

/** An image event as `LogImageEvent` builds it: the image's labels while it exists, then `name`. */
function imageMessage(
  event: EventEnvelope,
  state: EngineState,
  imageId: string,
  action: string,
  name: string,
): DockerEventMessage {
  const image = state.images[imageId];
  const labels = image && image.status === "present" ? image.config.labels : undefined;
  return message(event, "image", action, imageId, attributes(labels, { name }));
}

/** The exec action text dockerd builds: `exec_create: ` + entrypoint + ` ` + the arguments joined. */
const execAction = (prefix: string, cmd: readonly string[]) =>
  `${prefix}: ${cmd[0] ?? ""} ${cmd.slice(1).join(" ")}`;

/** The command a health probe runs (moby daemon/health.go: `CMD` as is, `CMD-SHELL` through /bin/sh -c). */
function probeCommand(test: readonly string[]): string[] | null {
  if (test[0] === "CMD") return test.slice(1);
  if (test[0] === "CMD-SHELL") return ["/bin/sh", "-c", ...test.slice(1)];
  return null;
}

/** A health probe's exec id: dockerd makes a random one; this one is derived from the event, so replays agree. */
const probeExecId = (event: EventEnvelope) =>
  createHash("sha256").update(`health probe ${event.streamId} ${event.seq}`).digest("hex");

const signalNumber = (signal: string) => String(SIGNALS[signal as SignalName] ?? signal);

/**
 * The Docker messages for `event`, given the state right before it and right after it.
 *
 * @example
 * const after = evolve(before, event);
 * for (const m of dockerMessagesOf(event, before, after)) console.log(m.Type, m.Action);
 */
export function dockerMessagesOf(
  event: EventEnvelope,
  before: EngineState,
  after: EngineState,
): DockerEventMessage[] {
  const id = event.streamId;
  const was = before.containers[id];
  const now = after.containers[id];
  switch (event.type) {
    case "container.created":
    case "container.started":
    case "container.restarted":
    case "container.stopped":
    case "container.paused":
    case "container.unpaused":
    case "container.oomKilled": {
      const action = {
        "container.created": "create",
        "container.started": "start",
        "container.restarted": "restart",
        "container.stopped": "stop",
        "container.paused": "pause",
        "container.unpaused": "unpause",
        "container.oomKilled": "oom",
      }[event.type];
      const record = now ?? was;
      return record ? [containerMessage(event, record, action)] : [];
    }
    case "container.signalled":
      // dockerd signals PID 1 only (`docker kill`, the stop signal, the SIGKILL after the timeout).
      return was && event.data.pid === 1
        ? [containerMessage(event, was, "kill", { signal: signalNumber(event.data.signal) })]
        : [];
    case "container.died": {
      if (!was) return [];
      const started = was.context.startedAt ?? event.recordedAt;
      const seconds = Math.trunc(Math.max(0, event.recordedAt - started) / 1000);
      return [
        containerMessage(event, now ?? was, "die", {
          exitCode: String(event.data.exitCode),
          execDuration: String(seconds),
        }),
      ];
    }
    case "container.renamed":
      return now ? [containerMessage(event, now, "rename", { oldName: `/${event.data.oldName}` })] : [];
    case "container.destroyed":
      return was ? [containerMessage(event, was, "destroy")] : [];
    case "container.committed": {
      if (!now) return [];
      const image = after.images[event.data.imageId];
      const tag = image?.tags[0];
      return [
        containerMessage(event, now, "commit", {
          comment: image?.comment ?? "",
          imageID: event.data.imageId,
          imageRef: tag ? familiarTag(tag) : "",
        }),
      ];
    }
    case "container.execCreated":
      return now
        ? [
            containerMessage(event, now, execAction("exec_create", event.data.cmd), {
              execID: event.data.execId,
            }),
          ]
        : [];
    case "container.execStarted": {
      if (!now) return [];
      const execID = event.data.execId;
      const created = was?.context.execs.some((x) => x.execId === execID) ?? false;
      return [
        ...(created
          ? []
          : [containerMessage(event, now, execAction("exec_create", event.data.cmd), { execID })]),
        containerMessage(event, now, execAction("exec_start", event.data.cmd), { execID }),
      ];
    }
    case "process.exited": {
      const process = was?.context.processes.find((p) => p.pid === event.data.pid);
      if (!was || !process || process.kind !== "exec" || process.execId === null) return [];
      return [
        containerMessage(event, now ?? was, "exec_die", {
          execID: process.execId,
          exitCode: String(event.data.exitCode),
        }),
      ];
    }
    case "container.healthChecked": {
      const record = now ?? was;
      const cmd = probeCommand(record?.context.config.healthcheck?.test ?? []);
      if (!record || !cmd) return [];
      const execID = probeExecId(event);
      return [
        containerMessage(event, record, execAction("exec_create", cmd), { execID }),
        containerMessage(event, record, execAction("exec_start", cmd), { execID }),
        containerMessage(event, record, "exec_die", { execID, exitCode: String(event.data.exitCode) }),
      ];
    }
    case "container.healthStatusChanged": {
      const record = now ?? was;
      return record ? [containerMessage(event, record, `health_status: ${event.data.status}`)] : [];
    }
    case "image.created":
      // A commit is image `create` (the classic store logs it; the containerd store does not); any other
      // new image came in through `docker load` (or Strata's own import): `load`.
      if (event.data.containerId !== null)
        return imageStoreOf(after) === "classic" ? [imageMessage(event, after, id, "create", id)] : [];
      return [imageMessage(event, after, id, "load", id)];
    case "image.tagged":
      return [imageMessage(event, after, id, "tag", familiarTag(event.data.tag))];
    case "image.untagged":
      // The classic store names the image by id; the containerd store by the reference untagged.
      return [
        imageMessage(
          event,
          after,
          id,
          "untag",
          imageStoreOf(after) === "classic" ? id : familiarTag(event.data.tag),
        ),
      ];
    case "image.deleted":
      return [imageMessage(event, after, id, "delete", id)];
    case "daemon.containersPruned":
      return [message(event, "container", "prune", "", attributes({ reclaimed: "0" }))];
    case "daemon.imagesPruned":
      return [message(event, "image", "prune", "", attributes({ reclaimed: "0" }))];
    default:
      return [];
  }
}

/**
 * Folds events one at a time and says what each means to Docker: the state it keeps is the engine's
 * (`evolve`), so it can start from any position's state.
 *
 * @example
 * const mapper = new DockerEventMapper();
 * const messages = log.flatMap((e) => mapper.next(e));
 */
export class DockerEventMapper {
  #state: EngineState;

  constructor(state: EngineState = initialState()) {
    this.#state = state;
  }

  /** The state after the last event folded. */
  get state(): EngineState {
    return this.#state;
  }

  /** Folds `event` (the next one in the log) and answers its Docker messages. */
  next(event: EventEnvelope): DockerEventMessage[] {
    const before = this.#state;
    const after = evolve(before, event);
    this.#state = after;
    return dockerMessagesOf(event, before, after);
  }
}

/** Go's `json.Encoder` escapes these inside strings (HTML-safe output, and the JS line separators). */
const GO_ESCAPES: Readonly<Record<string, string>> = {
  "<": "\\u003c",
  ">": "\\u003e",
  "&": "\\u0026",
  "\u2028": "\\u2028",
  "\u2029": "\\u2029",
};
const q = (s: string) => JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c] as string);

/**
 * One message as dockerd writes it on the stream: Go's JSON (fields in order, empty fields left out, attributes sorted by key as Go sorts a map, `timeNano` exact), then a newline.
 */
export function encodeDockerEvent(m: DockerEventMessage): string {
  const attrs = Object.keys(m.Actor.Attributes)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((k) => `${q(k)}:${q(m.Actor.Attributes[k] as string)}`)
    .join(",");
  const legacy = [
    m.status ? `"status":${q(m.status)},` : "",
    m.id ? `"id":${q(m.id)},` : "",
    m.from ? `"from":${q(m.from)},` : "",
  ].join("");
  // `time` and `timeNano` are omitempty too (a clock at the epoch).
  const time = `${m.time !== 0 ? `,"time":${m.time}` : ""}${m.timeNano !== 0n ? `,"timeNano":${m.timeNano}` : ""}`;
  return `{${legacy}"Type":${q(m.Type)},"Action":${q(m.Action)},"Actor":{"ID":${q(m.Actor.ID)},"Attributes":{${attrs}}},"scope":"local"${time}}\n`;
}
