/**
 * `evolve(state, event)`: the state after one more event. Pure and total over the event catalogue:
 * it never mutates its input (immer produces a new, frozen state that shares everything unchanged),
 * reads no clock and makes no id. The lifecycle machines say what each event does; `evolve` keeps the
 * name and tag indexes beside them.
 *
 * An event the lifecycle does not accept where its stream is (a `container.started` for a paused
 * container, a seq out of order) is a broken log: {@link ReplayError}, naming the seq.
 */
import { castDraft, produce } from "immer";
import { ReplayError } from "../errors.js";
import { DAEMON_STREAM } from "../events/daemonEvents.js";
import type { EventEnvelope } from "../events/envelope.js";
import type { ContainerEventInput } from "../machines/containerMachine.js";
import type { ImageEventInput } from "../machines/imageMachine.js";
import type { LayerMachineInput } from "../machines/layerMachine.js";
import type { ContainerRecord, ContainerStatus, EngineState, ImageRecord } from "./EngineState.js";
import { impliedHistory, impliedImageConfig } from "./imageConfig.js";
import {
  containerSnapshot,
  imageSnapshot,
  layerSnapshot,
  stepContainer,
  stepImage,
  stepLayer,
} from "./machineSnapshots.js";

/** The machine's answers, by state and then by event type. */
const fsAcceptance = new Map<string, Map<string, boolean>>();

/**
 * Whether the container machine accepts filesystem event `type` in `record`'s state. The machine's
 * fs transitions are unguarded markers (accepted exactly where the read-write layer exists, context
 * unchanged), so the answer depends on the state and the type alone and is asked of the machine once
 * per pair. `evolve.test.ts` checks this against a full machine step in every state.
 */
export function fsEventAccepted(record: ContainerRecord, type: string): boolean {
  let byType = fsAcceptance.get(record.status);
  if (byType === undefined) {
    byType = new Map();
    fsAcceptance.set(record.status, byType);
  }
  let accepted = byType.get(type);
  if (accepted === undefined) {
    accepted = containerSnapshot(record).can({ type, data: {} } as unknown as ContainerEventInput);
    byType.set(type, accepted);
  }
  return accepted;
}

/**
 * The lifecycle's part of a filesystem event for an existing container: nothing changes but the
 * seq, and only where the container has a read-write layer (else a {@link ReplayError}).
 */
export function checkFsEvent(record: ContainerRecord, event: EventEnvelope): void {
  if (!fsEventAccepted(record, event.type)) {
    throw new ReplayError(
      event.seq,
      "not-accepted",
      `${event.type} is not accepted for container ${event.streamId} in state ${record.status}`,
    );
  }
}

type ImageCreatedInput = Extract<EventEnvelope, { type: "image.created" }>;

/**
 * An `image.created` written before images had a config and a history gets the ones it implies: its
 * `cmd`; one history entry per layer, plus the empty-layer entry of a commit that added no layer.
 */
function withImpliedImageData(
  state: EngineState,
  e: Omit<ImageCreatedInput, "seq" | "streamId" | "schemaVersion">,
) {
  if (e.data.config !== undefined && e.data.history !== undefined) return e;
  const history = impliedHistory(e.data.layers, e.recordedAt);
  const parent = e.data.parentId === null ? undefined : state.images[e.data.parentId];
  if (e.data.containerId !== null && parent && parent.layers.length === e.data.layers.length)
    history.push({
      created: e.recordedAt,
      createdBy: e.data.cmd.join(" "),
      comment: e.data.comment,
      author: e.data.author,
      emptyLayer: true,
    });
  return {
    ...e,
    data: {
      ...e.data,
      config: e.data.config ?? impliedImageConfig(e.data.cmd),
      history: e.data.history ?? history,
    },
  };
}

/** A daemon event: the daemon record (the image store, the restart count). */
function evolveDaemon(state: EngineState, event: EventEnvelope): EngineState {
  if (event.streamId !== DAEMON_STREAM)
    throw new ReplayError(event.seq, "not-accepted", `${event.type} belongs to the ${DAEMON_STREAM} stream`);
  return produce(state, (draft) => {
    draft.seq = event.seq;
    const daemon = draft.daemon ?? { imageStore: "classic", restarts: 0 };
    if (event.type === "daemon.configured") daemon.imageStore = event.data.imageStore;
    if (event.type === "daemon.restarted") daemon.restarts += 1;
    draft.daemon = daemon;
  });
}

function stateName(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Folds one event into the state.
 *
 * @example
 * const next = evolve(state, event); // state is unchanged; next shares what did not change
 */
export function evolve(state: EngineState, event: EventEnvelope): EngineState {
  if (event.seq !== state.seq + 1) {
    throw new ReplayError(event.seq, "out-of-order", `expected seq ${state.seq + 1} after ${state.seq}`);
  }
  const { seq, streamId, schemaVersion: _v, ...body } = event;
  if (event.type === "layer.created") {
    const step = stepLayer(layerSnapshot(state.layers[streamId]), body as unknown as LayerMachineInput);
    if (!step.accepted) {
      throw new ReplayError(seq, "not-accepted", `layer.created: layer ${streamId} already exists`);
    }
    return produce(state, (draft) => {
      draft.seq = seq;
      draft.layers[streamId] = step.next.context;
    });
  }
  if (event.type.startsWith("daemon.")) return evolveDaemon(state, event);
  if (event.type.startsWith("image.")) {
    const before = state.images[streamId];
    const snapshot = imageSnapshot(before);
    const input = (event.type === "image.created"
      ? withImpliedImageData(state, body as ImageCreatedInput)
      : body) as unknown as ImageEventInput;
    const step = stepImage(snapshot, input);
    if (!step.accepted) {
      throw new ReplayError(
        seq,
        "not-accepted",
        `${event.type} is not accepted for image ${streamId} in state ${stateName(snapshot.value)}`,
      );
    }
    const record: ImageRecord = { ...step.next.context, status: step.next.value as ImageRecord["status"] };
    return produce(state, (draft) => {
      draft.seq = seq;
      draft.images[streamId] = castDraft(record);
      if (event.type === "image.tagged") draft.tags[event.data.tag] = streamId;
      if (event.type === "image.untagged" && draft.tags[event.data.tag] === streamId)
        delete draft.tags[event.data.tag];
      if (event.type === "image.deleted") {
        for (const tag of before?.tags ?? []) if (draft.tags[tag] === streamId) delete draft.tags[tag];
      }
    });
  }
  const before = state.containers[streamId];
  if (event.type.startsWith("fs.") && before) {
    // A filesystem event changes nothing in the lifecycle: the machine only says whether the container
    // has a read-write layer in its state, which depends on the state alone (see fsEventAccepted).
    checkFsEvent(before, event);
    return Object.freeze({ ...state, seq });
  }
  const snapshot = containerSnapshot(before);
  const input = { ...body, seq } as unknown as ContainerEventInput;
  const step = stepContainer(snapshot, input);
  if (!step.accepted) {
    throw new ReplayError(
      seq,
      "not-accepted",
      `${event.type} is not accepted for container ${streamId} in state ${stateName(snapshot.value)}`,
    );
  }
  const status = step.next.value as ContainerStatus | "removed";
  return produce(state, (draft) => {
    draft.seq = seq;
    if (status === "removed") {
      delete draft.containers[streamId];
      if (before && draft.names[before.context.name] === streamId) delete draft.names[before.context.name];
      return;
    }
    const record: ContainerRecord = { status, context: step.next.context };
    draft.containers[streamId] = castDraft(record);
    if (event.type === "container.created") draft.names[event.data.name] = streamId;
    if (event.type === "container.renamed") {
      if (draft.names[event.data.oldName] === streamId) delete draft.names[event.data.oldName];
      draft.names[event.data.newName] = streamId;
    }
  });
}
