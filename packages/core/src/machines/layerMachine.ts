/**
 * The lifecycle of a read-only layer: `absent` → `present`. A layer is created once, with all its
 * entries, and never changes afterwards (the fs package checks the entries themselves).
 */
import { assign, emit, setup } from "xstate";
import type { LayerRecord } from "../engine/EngineState.js";
import type { LayerEvent } from "../events/fsEvents.js";
import type { Decision } from "./Decision.js";

export type LayerMachineInput =
  | {
      readonly type: "layer.create";
      readonly now: number;
      readonly ref: string;
      readonly layerId: string;
      readonly entries: LayerEvent["data"]["entries"];
      readonly tar?: string;
    }
  | (LayerEvent & { readonly recordedAt: number });

type Args = { context: LayerRecord; event: LayerMachineInput };

export const ABSENT_LAYER: LayerRecord = Object.freeze({ id: "", createdAt: 0, entryCount: 0 });

const emitDecision = (f: (args: Args) => Decision) =>
  emit<LayerRecord, LayerMachineInput, undefined, LayerMachineInput, Decision>(f);

export const layerMachine = setup({
  types: { context: {} as LayerRecord, events: {} as LayerMachineInput, emitted: {} as Decision },
}).createMachine({
  id: "layer",
  initial: "absent",
  context: ABSENT_LAYER,
  states: {
    absent: {
      on: {
        "layer.create": {
          actions: emitDecision(({ event }) => {
            const k = event as Extract<LayerMachineInput, { type: "layer.create" }>;
            return {
              type: "decided",
              events: [
                {
                  type: "layer.created",
                  data: {
                    layerId: k.layerId,
                    entries: [...k.entries],
                    ...(k.tar !== undefined ? { tar: k.tar } : {}),
                  },
                },
              ],
            };
          }),
        },
        "layer.created": {
          target: "present",
          actions: assign<LayerRecord, LayerMachineInput, undefined, LayerMachineInput, never>(
            ({ event }) => {
              const e = event as Extract<LayerMachineInput, { type: "layer.created" }>;
              return {
                id: e.data.layerId,
                createdAt: e.recordedAt,
                entryCount: e.data.entries.length,
                ...(e.data.tar !== undefined ? { tar: e.data.tar } : {}),
              };
            },
          ),
        },
      },
    },
    present: {
      on: {
        "layer.create": {
          actions: emitDecision(({ context }) => ({
            type: "rejected",
            rejection: {
              code: "Conflict",
              reason: "layer-exists",
              message: `layer ${context.id} already exists; layers are immutable`,
            },
          })),
        },
      },
    },
  },
});
