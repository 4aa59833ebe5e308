/**
 * `plan` and the keys of append conditions. Over random command histories:
 * - planning and applying gives exactly what the engine's `execute` gives (events and states);
 * - the keys an event changed, found the fast way, are those a full comparison of the states finds;
 * - the read keys are sound: a plan made at position P stays the same decision after any events
 *   appended by another writer that change none of the keys it read. This is what makes appending on
 *   the condition "no event after P has a key I read" safe.
 */
import {
  type Command,
  changedKeys,
  changedKeysFully,
  Engine,
  type EngineState,
  evolve,
  initialState,
  type Plan,
  type ProjectedState,
  plan,
  sequentialIds,
  simulatedClock,
} from "@strata/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { baseImage } from "./support/scenario.js";

const RUNS = Number(process.env.STRATA_PLAN_RUNS ?? 300);

const name = fc.constantFrom("web", "db", "cache");
const tag = fc.constantFrom("app:1", "app:2", "base:1");

/** A random command over a few names and tags, or a pause of the clock (`wait`). */
type Op = { wait: number } | { command: Command };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ wait: fc.constantFrom(500, 1_000, 10_000) }),
  fc
    .oneof(
      fc.record({
        type: fc.constant("container.create" as const),
        image: fc.constantFrom("base:1", "app:1"),
        name,
        restartPolicy: fc.option(fc.constant({ name: "always" as const, maximumRetryCount: 0 }), {
          nil: undefined,
        }),
      }),
      fc.record({
        type: fc.constantFrom(
          "container.start" as const,
          "container.kill" as const,
          "container.pause" as const,
          "container.unpause" as const,
          "container.restart" as const,
        ),
        container: name,
      }),
      fc.record({
        type: fc.constant("container.stop" as const),
        container: name,
        timeout: fc.constantFrom(0, 1, 5),
      }),
      fc.record({ type: fc.constant("container.remove" as const), container: name, force: fc.boolean() }),
      fc.record({ type: fc.constant("container.rename" as const), container: name, name }),
      fc.record({
        type: fc.constant("process.exit" as const),
        container: name,
        pid: fc.constant(1),
        exitCode: fc.constantFrom(0, 3),
      }),
      fc.record({
        type: fc.constant("container.exec" as const),
        container: name,
        cmd: fc.constant(["sleep", "9"]),
      }),
      fc.record({ type: fc.constant("image.tag" as const), image: fc.constantFrom("base:1", "app:2"), tag }),
      fc.record({ type: fc.constant("image.remove" as const), image: tag, force: fc.boolean() }),
      fc.record({ type: fc.constant("container.commit" as const), container: name, tag }),
    )
    .map((c) => ({ command: JSON.parse(JSON.stringify(c)) as Command })),
);

/** An engine after `ops` (failures are part of the history), and its clock. */
function history(ops: readonly Op[]) {
  const clock = simulatedClock();
  const engine = new Engine({ clock, ids: sequentialIds("plan") });
  engine.execute(baseImage);
  for (const o of ops) {
    if ("wait" in o) clock.advance(o.wait);
    else engine.execute(o.command);
  }
  return { clock, engine };
}

const decisionOf = (p: Plan<undefined>) => ({
  outcome: p.outcome,
  error: p.error ? { code: p.error.code, reason: p.error.reason, message: p.error.message } : null,
  events: p.events.map((e) => ({ streamId: e.event.streamId, type: e.event.type, data: e.event.data })),
});

describe("plan", () => {
  test(`plan then apply is exactly execute (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const clock = simulatedClock();
        const engine = new Engine({ clock, ids: sequentialIds("same") });
        let states: ProjectedState<undefined> = { core: initialState(), projection: undefined };
        for (const o of [{ command: baseImage } as Op, ...ops]) {
          if ("wait" in o) {
            clock.advance(o.wait);
            continue;
          }
          const command = engine.prepare(o.command);
          const p = plan(undefined, states, command, clock.now());
          const before = engine.log.lastSeq;
          const r = engine.execute(command);
          const appended = engine.log.read(before + 1).map(({ seq: _s, ...e }) => e);
          expect(p.events.map((e) => e.event)).toEqual(appended);
          expect(p.outcome).toBe(r.outcome);
          if (!r.ok) expect(p.error?.reason).toBe(r.error.reason);
          expect(p.after.core).toEqual(engine.state);
          states = p.after;
        }
      }),
      { numRuns: RUNS },
    );
  });

  test(`the keys an event changed, found the fast way, are those a full comparison finds (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const { engine } = history(ops);
        let state: EngineState = initialState();
        for (const e of engine.log.read()) {
          const next = evolve(state, e);
          expect(changedKeys(state, next, e.streamId), `${e.type} at seq ${e.seq}`).toEqual(
            changedKeysFully(state, next, e.streamId),
          );
          state = next;
        }
      }),
      { numRuns: RUNS },
    );
  });

  test(`a decision made at P is unchanged by another writer's events that change none of the keys it read (${RUNS} runs)`, () => {
    let independent = 0;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), op, op, (ops, a, b) => {
        const { engine, clock } = history(ops);
        const at: ProjectedState<undefined> = { core: engine.state, projection: undefined };
        const now = clock.now();
        const command = (o: Op) =>
          "wait" in o ? ({ type: "container.start", container: "web" } as Command) : o.command;
        const ids = sequentialIds("other");
        const fill = (c: Command) => new Engine({ clock, ids }).prepare(c);
        const pa = plan(undefined, at, fill(command(a)), now);
        const pb = plan(undefined, at, fill(command(b)), now);
        // B's events go in first; do they change anything A read?
        const touched = new Set(pb.events.flatMap((e) => [e.event.streamId, ...e.tags]));
        if (pa.reads.some((k) => touched.has(k))) return;
        independent++;
        const again = plan(undefined, pb.after, pa.command, now);
        expect(decisionOf(again)).toEqual(decisionOf(pa));
      }),
      { numRuns: RUNS },
    );
    expect(independent).toBeGreaterThan(RUNS / 10); // the property was exercised
  });
});
