/**
 * `evolve` folds filesystem events without stepping the container machine (the hot path of every
 * replay). This checks the shortcut against a full machine step in every state, for every fs event:
 * same acceptance, and where accepted, the same state and context.
 */
import { applyEvents, evolve, FsEventSchema, type ReplayError, replay } from "@strata/core";
import { describe, expect, test } from "vitest";
import { fsEventAccepted } from "../src/engine/evolve.js";
import { containerSnapshot, stepContainer } from "../src/engine/machineSnapshots.js";
import type { ContainerEventInput } from "../src/machines/containerMachine.js";
import { STATES } from "./support/probe.js";
import { reach, Scenario } from "./support/scenario.js";

/** Every filesystem event type, from the event catalogue (a new one is covered without editing this). */
const FS_EVENTS = (FsEventSchema.options as unknown as { entries: { type: { literal: string } } }[]).map(
  (o) => o.entries.type.literal,
);

/** What `f` throws: its class, seq, reason and message (undefined when it returns). */
function caught(f: () => unknown): unknown {
  try {
    f();
    return undefined;
  } catch (e) {
    const r = e as ReplayError;
    return { kind: r.constructor.name, seq: r.seq, reason: r.reason, message: r.message };
  }
}

describe("evolve's filesystem-event shortcut agrees with the container machine", () => {
  test("the catalogue has the twelve filesystem events", () => expect(FS_EVENTS).toHaveLength(12));
  for (const status of STATES) {
    test(`in ${status}`, () => {
      const s = new Scenario().given(...reach(status));
      const id = s.state.names.web as string;
      const record = s.state.containers[id];
      expect(record?.status).toBe(status);
      if (!record) return;
      for (const type of FS_EVENTS) {
        const full = stepContainer(containerSnapshot(record), {
          type,
          data: { path: "/x" },
        } as unknown as ContainerEventInput);
        expect(fsEventAccepted(record, type), `${type} in ${status}`).toBe(full.accepted);
        const event = {
          seq: s.state.seq + 1,
          streamId: id,
          type,
          schemaVersion: 1,
          recordedAt: 0,
          data: { path: "/x" },
        } as unknown as Parameters<typeof evolve>[1];
        // The transient replay (CoreFold) takes its own shortcut: the same state, or the same error.
        const log = [...s.engine.log.read(), event, event].map((e, i) => ({ ...e, seq: i + 1 }));
        if (full.accepted) {
          expect(full.next.value).toBe(status);
          expect(full.next.context).toEqual(record.context);
          const next = evolve(s.state, event);
          expect(next.seq).toBe(s.state.seq + 1);
          expect({ ...next, seq: s.state.seq }).toEqual(s.state);
          expect(Object.isFrozen(next)).toBe(true);
          expect(applyEvents(s.state, [event])).toEqual(next);
          const twice = replay(log);
          expect(twice).toEqual(evolve(next, { ...event, seq: next.seq + 1 }));
          expect(Object.isFrozen(twice)).toBe(true);
        } else {
          const error = caught(() => evolve(s.state, event));
          expect(error).toMatchObject({ kind: "ReplayError", reason: "not-accepted" });
          expect(caught(() => applyEvents(s.state, [event]))).toEqual(error);
          expect(caught(() => replay(log))).toEqual(error);
        }
      }
    });
  }
});
