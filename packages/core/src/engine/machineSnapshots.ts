/**
 * The bridge between the engine's plain state and the xstate machines: a record becomes a machine
 * snapshot (`resolveState`), the machine is stepped with the pure `transition`, and the result
 * becomes plain data again.
 */
import { transition } from "xstate";
import {
  ABSENT_CONTEXT,
  type ContainerMachineInput,
  containerMachine,
} from "../machines/containerMachine.js";
import type { Decision } from "../machines/Decision.js";
import { ABSENT_IMAGE, type ImageMachineInput, imageMachine } from "../machines/imageMachine.js";
import { ABSENT_LAYER, type LayerMachineInput, layerMachine } from "../machines/layerMachine.js";
import type { ContainerRecord, ImageRecord, LayerRecord } from "./EngineState.js";

type ContainerSnapshot = ReturnType<typeof containerMachine.resolveState>;
type ImageSnapshot = ReturnType<typeof imageMachine.resolveState>;
type LayerSnapshot = ReturnType<typeof layerMachine.resolveState>;

export function layerSnapshot(record: LayerRecord | undefined): LayerSnapshot {
  return record
    ? layerMachine.resolveState({ value: "present", context: record })
    : layerMachine.resolveState({ value: "absent", context: ABSENT_LAYER });
}

/** Sends a command or an event to a layer snapshot. */
export function stepLayer(snapshot: LayerSnapshot, input: LayerMachineInput) {
  const accepted = snapshot.can(input);
  const [next, actions] = transition(layerMachine, snapshot, input);
  return { accepted, next, decisions: decisionsOf(actions) };
}

export function containerSnapshot(record: ContainerRecord | undefined): ContainerSnapshot {
  return record
    ? containerMachine.resolveState({ value: record.status, context: record.context })
    : containerMachine.resolveState({ value: "absent", context: ABSENT_CONTEXT });
}

export function imageSnapshot(record: ImageRecord | undefined): ImageSnapshot {
  if (!record) return imageMachine.resolveState({ value: "absent", context: ABSENT_IMAGE });
  return imageMachine.resolveState({ value: record.status, context: record });
}

const decisionsOf = (actions: readonly { type: string; params: unknown }[]): Decision[] =>
  actions.filter((a) => a.type === "xstate.emit").map((a) => (a.params as { event: Decision }).event);

/** Sends a command or an event to a container snapshot. */
export function stepContainer(snapshot: ContainerSnapshot, input: ContainerMachineInput) {
  const accepted = snapshot.can(input);
  const [next, actions] = transition(containerMachine, snapshot, input);
  return { accepted, next, decisions: decisionsOf(actions) };
}

/** Sends a command or an event to an image snapshot. */
export function stepImage(snapshot: ImageSnapshot, input: ImageMachineInput) {
  const accepted = snapshot.can(input);
  const [next, actions] = transition(imageMachine, snapshot, input);
  return { accepted, next, decisions: decisionsOf(actions) };
}
