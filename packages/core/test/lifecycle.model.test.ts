/**
 * Model-based property test: random command sequences run against the engine and against the
 * independent ReferenceModel. For every command the outcome (ok, or error code and reason) must
 * agree; after every command every container must be in the same state with the same exit code and
 * restart count; replaying the log must give exactly the engine's live state; and replaying each
 * prefix of the log must give the state the engine had at that point.
 */

import {
  type Command,
  type CommandResult,
  Engine,
  type EngineState,
  evolve,
  initialState,
  replay,
  type SignalAction,
  sequentialIds,
  simulatedClock,
} from "@strata/core";
import fc from "fast-check";
import { expect, test } from "vitest";
import { type MContainer, type Outcome, ReferenceModel, type TermBehaviour } from "./model/ReferenceModel.js";
import { baseImage } from "./support/scenario.js";

interface Real {
  engine: Engine;
  clock: ReturnType<typeof simulatedClock>;
  /** The live state after each step, to check that replaying each prefix of the log rebuilds it. */
  history: EngineState[];
}

const NAMES = ["web", "db", "cache"] as const;
const name = fc.constantFrom(...NAMES);
const timeout = fc.constantFrom(0, 1, 5, 10, -1);
const term: fc.Arbitrary<TermBehaviour> = fc.oneof(
  fc.constantFrom<TermBehaviour>("none", "ignore"),
  fc.constantFrom(0, 1, 143),
);

const actionOf = (t: TermBehaviour): SignalAction | undefined =>
  t === "none" ? undefined : t === "ignore" ? { action: "ignore" } : { action: "exit", exitCode: t };

const outcomeOf = (r: CommandResult): Outcome =>
  r.ok ? { ok: true } : { ok: false, code: r.error.code, reason: r.error.reason };

function compare(model: ReferenceModel, real: Real): void {
  const { state } = real.engine;
  for (const n of NAMES) {
    const m: MContainer | undefined = model.containers.get(n);
    const id = state.names[n];
    const r = id === undefined ? undefined : state.containers[id];
    expect(r?.status ?? "gone", `state of ${n}`).toBe(m?.state ?? "gone");
    if (m && r) {
      expect(r.context.exitCode, `exit code of ${n}`).toBe(m.exitCode);
      expect(r.context.restartCount, `restart count of ${n}`).toBe(m.restartCount);
      expect(r.context.restartAt, `restart due time of ${n}`).toBe(
        m.state === "restarting" ? m.restartAt : null,
      );
      expect(r.context.pendingStop?.deadline ?? null, `stop deadline of ${n}`).toBe(m.stop?.deadline ?? null);
      expect(
        r.context.processes.map((p) => p.pid),
        `processes of ${n}`,
      ).toEqual(m.state === "running" || m.state === "paused" ? [1, ...m.execs] : []);
    }
  }
  expect(replay(real.engine.log.read())).toEqual(state);
  real.history.push(state);
}

/** Replaying the log up to each step's last seq gives exactly the state the engine had then. */
function checkPrefixes(real: Real): void {
  const events = real.engine.log.read();
  let folded = initialState();
  let i = 0;
  for (const past of real.history) {
    while (folded.seq < past.seq) {
      const e = events[i++];
      if (!e) break;
      folded = evolve(folded, e);
    }
    expect(folded, `replay of the first ${past.seq} events`).toEqual(past);
  }
}

/** One command of the random sequence: what the model says, what the engine does, and the comparison. */
class Step implements fc.Command<ReferenceModel, Real> {
  constructor(
    readonly label: string,
    readonly onModel: (m: ReferenceModel) => Outcome,
    readonly command: (m: ReferenceModel) => Command,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: ReferenceModel, real: Real): void {
    const command = this.command(model);
    const expected = this.onModel(model);
    const actual = outcomeOf(real.engine.execute(command));
    stats[actual.ok ? "ok" : actual.code] = (stats[actual.ok ? "ok" : actual.code] ?? 0) + 1;
    expect(actual, `${this.label}: outcome`).toEqual(expected);
    compare(model, real);
  }
  toString(): string {
    return this.label;
  }
}

class Advance implements fc.Command<ReferenceModel, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  run(model: ReferenceModel, real: Real): void {
    model.advance(this.ms);
    real.clock.advance(this.ms);
    real.engine.tick();
    compare(model, real);
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

/** A valid container configuration (--rm only without a restart policy). */
const containerSpec = fc
  .record({
    policy: fc.constantFrom<MContainer["policy"]>("no", "always", "on-failure"),
    maxRetry: fc.constantFrom(0, 1, 2),
    autoRemove: fc.boolean(),
    term,
  })
  .map((spec) => ({ ...spec, autoRemove: spec.autoRemove && spec.policy === "no" }));

function createStep(
  n: string,
  spec: { policy: MContainer["policy"]; maxRetry: number; autoRemove: boolean; term: TermBehaviour },
): Step {
  const { policy, maxRetry, autoRemove, term: t } = spec;
  return new Step(
    `create(${n}, ${policy}:${maxRetry}, rm=${autoRemove}, term=${t})`,
    (m) => m.create(n, policy, maxRetry, autoRemove, t),
    () => {
      const action = actionOf(t);
      return {
        type: "container.create",
        image: "base:1",
        name: n,
        restartPolicy: { name: policy, maximumRetryCount: maxRetry },
        autoRemove,
        ...(action ? { handlers: { SIGTERM: action } } : {}),
      };
    },
  );
}

const commands = [
  fc
    .record({
      n: name,
      policy: fc.constantFrom<MContainer["policy"]>("no", "always", "on-failure"),
      maxRetry: fc.constantFrom(0, 1, 2),
      autoRemove: fc.boolean(),
      term,
    }) // may combine --rm with a policy: the engine must refuse it as the model does
    .map(({ n, ...spec }) => createStep(n, spec)),
  name.map(
    (n) =>
      new Step(
        `start(${n})`,
        (m) => m.start(n),
        () => ({ type: "container.start", container: n }),
      ),
  ),
  name.map(
    (n) =>
      new Step(
        `start(${n})`,
        (m) => m.start(n),
        () => ({ type: "container.start", container: n }),
      ),
  ),
  fc.tuple(name, timeout).map(
    ([n, t]) =>
      new Step(
        `stop(${n}, ${t})`,
        (m) => m.stop(n, t),
        () => ({ type: "container.stop", container: n, timeout: t }),
      ),
  ),
  fc.tuple(name, fc.constantFrom("SIGKILL", "SIGTERM", "SIGHUP")).map(
    ([n, s]) =>
      new Step(
        `kill(${n}, ${s})`,
        (m) => m.kill(n, s),
        () => ({ type: "container.kill", container: n, signal: s }),
      ),
  ),
  name.map(
    (n) =>
      new Step(
        `pause(${n})`,
        (m) => m.pause(n),
        () => ({ type: "container.pause", container: n }),
      ),
  ),
  name.map(
    (n) =>
      new Step(
        `unpause(${n})`,
        (m) => m.unpause(n),
        () => ({ type: "container.unpause", container: n }),
      ),
  ),
  fc.tuple(name, timeout).map(
    ([n, t]) =>
      new Step(
        `restart(${n}, ${t})`,
        (m) => m.restart(n, t),
        () => ({ type: "container.restart", container: n, timeout: t }),
      ),
  ),
  fc.tuple(name, fc.boolean()).map(
    ([n, once]) =>
      new Step(
        `exec(${n}, exitsAtOnce=${once})`,
        (m) => m.exec(n, once),
        () => ({
          type: "container.exec",
          container: n,
          cmd: ["worker"],
          ...(once ? { exitCode: 0 } : {}),
        }),
      ),
  ),
  fc.tuple(name, fc.constantFrom(0, 1, 2, 137)).map(
    ([n, code]) =>
      new Step(
        `exitMain(${n}, ${code})`,
        (m) => m.exitProcess(n, 1, code),
        () => ({
          type: "process.exit",
          container: n,
          pid: 1,
          exitCode: code,
        }),
      ),
  ),
  fc.tuple(name, fc.integer({ min: 2, max: 6 })).map(
    ([n, pid]) =>
      new Step(
        `exitExec(${n}, ${pid})`,
        (m) => m.exitProcess(n, pid, 0),
        () => ({
          type: "process.exit",
          container: n,
          pid,
          exitCode: 0,
        }),
      ),
  ),
  fc
    .tuple(
      name,
      term.filter((t) => t !== "none"),
    )
    .map(
      ([n, t]) =>
        new Step(
          `trapTerm(${n}, ${t})`,
          (m) => m.trapTerm(n, t),
          () => ({
            type: "process.trap",
            container: n,
            pid: 1,
            signal: "SIGTERM",
            action: actionOf(t) ?? { action: "ignore" },
          }),
        ),
    ),
  fc.record({ n: name, force: fc.boolean(), fail: fc.boolean(), delay: fc.constantFrom(0, 0, 500) }).map(
    ({ n, force, fail, delay }) =>
      new Step(
        `rm(${n}, force=${force}, fail=${fail}, delay=${delay})`,
        (m) => m.remove(n, force, fail, delay),
        () => ({
          type: "container.remove",
          container: n,
          force,
          fault: { fail, delayMs: delay },
        }),
      ),
  ),
  fc.tuple(name, name).map(
    ([n, to]) =>
      new Step(
        `rename(${n}, ${to})`,
        (m) => m.rename(n, to),
        () => ({ type: "container.rename", container: n, name: to }),
      ),
  ),
  name.map(
    (n) =>
      new Step(
        `commit(${n})`,
        (m) => m.commit(n),
        () => ({ type: "container.commit", container: n }),
      ),
  ),
  fc.constantFrom(50, 100, 1_000, 5_000, 10_000, 60_000).map((ms) => new Advance(ms)),
];

const stats: Record<string, number> = {};
const RUNS = Number(process.env.STRATA_MODEL_RUNS ?? 400);

test(`engine agrees with the reference model on random command sequences (${RUNS} runs)`, () => {
  fc.assert(
    fc.property(
      fc.tuple(containerSpec, containerSpec, containerSpec),
      fc.commands(commands, { maxCommands: 60, size: "large" }),
      (specs, cmds) => {
        const clock = simulatedClock();
        const engine = new Engine({ clock, ids: sequentialIds("model") });
        expect(engine.execute(baseImage).ok).toBe(true);
        const model = new ReferenceModel(clock.now());
        // Every run starts with the three containers created, so most commands meet a container.
        const real: Real = { engine, clock, history: [] };
        for (const [i, spec] of specs.entries()) createStep(NAMES[i] ?? "web", spec).run(model, real);
        fc.modelRun(() => ({ model, real }), cmds);
        checkPrefixes(real);
      },
    ),
    { numRuns: RUNS },
  );
  if (process.env.STRATA_MODEL_STATS) console.log(stats);
});
