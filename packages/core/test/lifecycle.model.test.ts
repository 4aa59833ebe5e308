/**
 * Model-based property test: random command sequences run against the engine and against the
 * independent ReferenceModel. For every command the outcome (accepted, refused with its error code and
 * reason, or failed part-way) must agree; after every command every container must agree on its state,
 * exit code, restart count, due times, processes, host PID (set while running, new at every start),
 * OOMKilled, error, health and exec instances; replaying the log must give exactly the engine's live
 * state, and replaying each prefix of the log the state the engine had at that point; every `wait`
 * must be answered when and how the model says.
 */

import {
  applyEvents,
  type Command,
  type CommandResult,
  Engine,
  type EngineState,
  evolve,
  initialState,
  parseEvent,
  replay,
  replayTo,
  type SignalAction,
  sequentialIds,
  simulatedClock,
  type WaitResult,
} from "@strata/core";
import fc from "fast-check";
import { expect, test } from "vitest";
import {
  type MContainer,
  type MHealthcheck,
  type MSpec,
  type MWaiter,
  type Outcome,
  type Policy,
  ReferenceModel,
  type StartError,
  type TermBehaviour,
} from "./model/ReferenceModel.js";
import { baseImage } from "./support/scenario.js";

interface Real {
  engine: Engine;
  clock: ReturnType<typeof simulatedClock>;
  /** The live state after each step, to check that replaying each prefix of the log rebuilds it. */
  history: EngineState[];
  /** Host PID seen for each (container, start) of the model, and the start each host PID belongs to. */
  pids: Map<string, number>;
  runsOfPid: Map<number, string>;
  waits: { model: MWaiter; answer: { value: WaitResult | null } }[];
  /** Waits the model refuses: the engine's promise must reject alike. */
  refusals: {
    expected: Outcome;
    refusal: { value: null | { code: string; reason: string; message: string } };
  }[];
}

/** The model plus what the test hands out (exec ids), shared by a run's steps. */
class World extends ReferenceModel {
  execCounter = 0;
  readonly execIds: string[] = [];
  /** Containers keep their identity across renames: a stable key per container for host PIDs. */
  readonly keys = new WeakMap<MContainer, string>();
  nextKey = 0;
  keyOf(c: MContainer): string {
    let k = this.keys.get(c);
    if (k === undefined) {
      k = `c${this.nextKey++}`;
      this.keys.set(c, k);
    }
    return k;
  }
  freshExecId(): string {
    this.execCounter += 1;
    const id = this.execCounter.toString(16).padStart(64, "0");
    this.execIds.push(id);
    return id;
  }
}

const NAMES = ["web", "db", "cache"] as const;
const name = fc.constantFrom(...NAMES);
const timeout = fc.constantFrom(0, 1, 5, 10, -1);
const term: fc.Arbitrary<TermBehaviour> = fc.oneof(
  fc.constantFrom<TermBehaviour>("none", "ignore", "die"),
  fc.constantFrom(0, 1, 143),
);
const healthcheck: fc.Arbitrary<MHealthcheck | null> = fc.option(
  fc.record({
    intervalMs: fc.constantFrom(0, 1_000, 5_000),
    startPeriodMs: fc.constantFrom(0, 2_000),
    startIntervalMs: fc.constantFrom(0, 500),
    retries: fc.constantFrom(0, 1, 2),
  }),
  { freq: 2 },
);
const startError: fc.Arbitrary<StartError | null> = fc.option(
  fc.constantFrom<StartError>("not-found", "not-executable", "runtime"),
  { freq: 8 },
);
const policy = fc.constantFrom<Policy>("no", "always", "on-failure", "unless-stopped");

const actionOf = (t: TermBehaviour): SignalAction | undefined =>
  t === "none"
    ? undefined
    : t === "ignore"
      ? { action: "ignore" }
      : t === "die"
        ? { action: "die" }
        : { action: "exit", exitCode: t };

const outcomeOf = (r: CommandResult): Outcome =>
  r.ok
    ? { ok: true }
    : r.outcome === "failed"
      ? { ok: false, code: r.error.code, reason: r.error.reason, failed: true }
      : { ok: false, code: r.error.code, reason: r.error.reason };

function compare(model: World, real: Real): void {
  const { state } = real.engine;
  for (const n of NAMES) {
    const m: MContainer | undefined = model.containers.get(n);
    const id = state.names[n];
    const r = id === undefined ? undefined : state.containers[id];
    expect(r?.status ?? "gone", `state of ${n}`).toBe(m?.state ?? "gone");
    if (!m || !r) continue;
    const c = r.context;
    expect(c.exitCode, `exit code of ${n}`).toBe(m.exitCode);
    expect(c.restartCount, `restart count of ${n}`).toBe(m.restartCount);
    expect(c.restartAt, `restart due time of ${n}`).toBe(m.state === "restarting" ? m.restartAt : null);
    expect(c.pendingStop?.deadline ?? null, `stop deadline of ${n}`).toBe(m.stop?.deadline ?? null);
    const live = m.state === "running" || m.state === "paused";
    const running = m.execs.filter((e) => e.state === "running").map((e) => e.pid);
    expect(
      c.processes.map((p) => p.pid),
      `processes of ${n}`,
    ).toEqual(live ? [1, ...running] : []);
    expect(c.oomKilled, `OOMKilled of ${n}`).toBe(m.oomKilled);
    expect(c.error !== "", `State.Error of ${n} is set`).toBe(m.hasError);
    expect(
      c.health === null
        ? null
        : { status: c.health.status, streak: c.health.failingStreak, next: c.health.nextProbeAt },
      `health of ${n}`,
    ).toEqual(m.health);
    expect(
      c.execs.map((e) => ({
        id: e.execId,
        state: e.exitCode !== null ? "exited" : e.running ? "running" : "created",
        exitCode: e.exitCode,
      })),
      `exec instances of ${n}`,
    ).toEqual(m.execs.map((e) => ({ id: e.id, state: e.state, exitCode: e.exitCode })));
    // State.Pid: set while PID 1 runs, a new one at every start, the same one for the same start.
    expect(c.hostPid !== 0, `State.Pid of ${n} is set`).toBe(live);
    if (live) {
      const run = `${model.keyOf(m)}#${m.runs}`;
      const seen = real.pids.get(run);
      if (seen === undefined) {
        expect(real.runsOfPid.has(c.hostPid), `host PID ${c.hostPid} of ${n} is new`).toBe(false);
        real.pids.set(run, c.hostPid);
        real.runsOfPid.set(c.hostPid, run);
      } else expect(c.hostPid, `host PID of ${n}`).toBe(seen);
    }
  }
  // Replaying the log gives this state: checked for every step at the end of the run (checkPrefixes).
  real.history.push(state);
}

/**
 * Replaying the log up to each step's last seq gives exactly the state the engine had then: folded
 * event by event (`evolve`), transiently from the step before (`applyEvents`, which goes on from a
 * transient result), and transiently from the start (`replayTo`, at every fifth step: it is quadratic).
 * None of those folds changes a state it started from.
 */
function checkPrefixes(real: Real): void {
  const events = real.engine.log.read();
  let folded = initialState();
  let transient = initialState();
  let i = 0;
  for (const [step, past] of real.history.entries()) {
    const from = i;
    while (folded.seq < past.seq) {
      const e = events[i++];
      if (!e) break;
      folded = evolve(folded, e);
    }
    expect(folded, `replay of the first ${past.seq} events`).toEqual(past);
    const before = JSON.stringify(transient);
    const next = applyEvents(transient, events.slice(from, i));
    expect(next, `transient fold of events ${from + 1} to ${past.seq}`).toEqual(past);
    expect(JSON.stringify(transient), "the state a transient fold started from").toBe(before);
    transient = next;
    if (step % 5 === 0) expect(replayTo(events, past.seq), `replayTo(${past.seq})`).toEqual(past);
  }
}

/** One command of the random sequence: what the model says, what the engine does, and the comparison. */
class Step implements fc.Command<World, Real> {
  constructor(
    readonly label: string,
    readonly onModel: (m: World, command: Command) => Outcome,
    readonly command: (m: World) => Command,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: World, real: Real): void {
    const command = this.command(model);
    const expected = this.onModel(model, command);
    const result = real.engine.execute(command);
    const actual = outcomeOf(result);
    const key = actual.ok ? "ok" : `${actual.code}${actual.failed ? " (failed)" : ""}`;
    stats[key] = (stats[key] ?? 0) + 1;
    const { message, ...rest } = expected as Outcome & { message?: string };
    expect(actual, `${this.label}: outcome`).toEqual(rest);
    if (message !== undefined)
      expect(!result.ok && result.error.message, `${this.label}: message`).toBe(message);
    compare(model, real);
  }
  toString(): string {
    return this.label;
  }
}

class Advance implements fc.Command<World, Real> {
  constructor(readonly ms: number) {}
  check(): boolean {
    return true;
  }
  run(model: World, real: Real): void {
    model.advance(this.ms);
    real.clock.advance(this.ms);
    real.engine.tick();
    compare(model, real);
  }
  toString(): string {
    return `advance(${this.ms})`;
  }
}

/** `docker wait`: the engine's answer is captured when it comes and compared with the model's at the end. */
class Wait implements fc.Command<World, Real> {
  constructor(
    readonly n: string,
    readonly condition: MWaiter["condition"] | "bogus",
  ) {}
  check(): boolean {
    return true;
  }
  run(model: World, real: Real): void {
    const { outcome, waiter } = model.wait(this.n, this.condition);
    const answer: { value: WaitResult | null } = { value: null };
    const promise = real.engine.wait(this.n, this.condition as MWaiter["condition"]);
    if (waiter === null) {
      expect(outcome.ok).toBe(false);
      const refusal = { value: null as null | { code: string; reason: string; message: string } };
      promise.catch((e: { code: string; reason: string; message: string }) => {
        refusal.value = { code: e.code, reason: e.reason, message: e.message };
      });
      real.refusals.push({ expected: outcome, refusal });
      return;
    }
    promise.then((v) => {
      answer.value = v;
    });
    real.waits.push({ model: waiter, answer });
  }
  toString(): string {
    return `wait(${this.n}, ${this.condition})`;
  }
}

/** A filesystem command without its container (digest and size given: no fs projection stores content here). */
const fsCommand = fc.oneof(
  fc.record({
    type: fc.constant("fs.writeFile" as const),
    path: fc.constantFrom("/a", "/etc/x", "/a/b"),
    digest: fc.constantFrom(`sha256:${"a".repeat(64)}`, `sha256:${"b".repeat(64)}`),
    size: fc.nat({ max: 100 }),
  }),
  fc.record({ type: fc.constant("fs.mkdir" as const), path: fc.constantFrom("/a", "/d") }),
  fc.record({ type: fc.constant("fs.remove" as const), path: fc.constantFrom("/a", "/etc") }),
);

/** A valid container configuration (--rm only without a restart policy, a retry count only with on-failure). */
const containerSpec: fc.Arbitrary<MSpec> = fc
  .record({
    policy,
    maxRetry: fc.constantFrom(0, 1, 2),
    autoRemove: fc.boolean(),
    term,
    startError,
    health: healthcheck,
  })
  .map((spec) => ({
    ...spec,
    autoRemove: spec.autoRemove && spec.policy === "no",
    maxRetry: spec.policy === "on-failure" ? spec.maxRetry : 0,
  }));

function createStep(n: string, spec: MSpec): Step {
  const { policy: p, maxRetry, autoRemove, term: t, startError: se, health } = spec;
  return new Step(
    `create(${n}, ${p}:${maxRetry}, rm=${autoRemove}, term=${t}, startError=${se}, health=${JSON.stringify(health)})`,
    (m) => m.create(n, spec),
    () => {
      const action = actionOf(t);
      return {
        type: "container.create",
        image: "base:1",
        name: n,
        restartPolicy: { name: p, maximumRetryCount: maxRetry },
        autoRemove,
        ...(action ? { handlers: { SIGTERM: action } } : {}),
        ...(se ? { startError: se } : {}),
        ...(health ? { healthcheck: { test: ["CMD", "check"], timeoutMs: 0, ...health } } : {}),
      };
    },
  );
}

/** Any create, valid or not (--rm with a policy, a retry count with `always`: both refused alike). */
const anyCreate = fc
  .record({
    n: name,
    spec: fc.record({
      policy,
      maxRetry: fc.constantFrom(0, 1, 2),
      autoRemove: fc.boolean(),
      term,
      startError,
      health: healthcheck,
    }),
  })
  .map(({ n, spec }) => createStep(n, spec));

const commands = [
  anyCreate,
  // Containers go often (--rm, prune, rm): creating them again keeps most commands meeting one.
  fc.tuple(name, containerSpec).map(([n, spec]) => createStep(n, spec)),
  fc.tuple(name, containerSpec).map(([n, spec]) => createStep(n, spec)),
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
  fc.tuple(name, fc.constantFrom("SIGKILL", "SIGTERM", "SIGHUP", "SIGFOO")).map(
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
        (m, k) => m.exec(n, (k as { execId: string }).execId, once),
        (m) => ({
          type: "container.exec",
          container: n,
          execId: m.freshExecId(),
          cmd: ["worker"],
          ...(once ? { exitCode: 0 } : {}),
        }),
      ),
  ),
  fc.tuple(name, fc.boolean()).map(
    ([n, once]) =>
      new Step(
        `execCreate(${n}, exitsAtOnce=${once})`,
        (m, k) => m.execCreate(n, (k as { execId: string }).execId, once),
        (m) => ({
          type: "container.execCreate",
          container: n,
          execId: m.freshExecId(),
          cmd: ["worker"],
          ...(once ? { exitCode: 0 } : {}),
        }),
      ),
  ),
  fc.tuple(name, fc.nat({ max: 8 })).map(
    ([n, i]) =>
      new Step(
        `execCreate(${n}, reusing #${i})`,
        (m, k) => m.execCreate(n, (k as { execId: string }).execId, false),
        (m) => ({
          type: "container.execCreate",
          container: n,
          execId: m.execIds[i % Math.max(1, m.execIds.length)] ?? "e".repeat(64),
          cmd: ["worker"],
        }),
      ),
  ),
  fc.nat({ max: 8 }).map(
    (i) =>
      new Step(
        `execStart(#${i})`,
        (m, k) => m.execStart((k as { exec: string }).exec),
        (m) => ({ type: "exec.start", exec: m.execIds[i % Math.max(1, m.execIds.length)] ?? "f".repeat(64) }),
      ),
  ),
  fc.tuple(name, fc.constantFrom(0, 1, 2, 137)).map(
    ([n, code]) =>
      new Step(
        `exitMain(${n}, ${code})`,
        (m) => m.exitProcess(n, 1, code),
        () => ({ type: "process.exit", container: n, pid: 1, exitCode: code }),
      ),
  ),
  fc.tuple(name, fc.integer({ min: 2, max: 6 })).map(
    ([n, pid]) =>
      new Step(
        `exitExec(${n}, ${pid})`,
        (m) => m.exitProcess(n, pid, 0),
        () => ({ type: "process.exit", container: n, pid, exitCode: 0 }),
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
  name.map(
    (n) =>
      new Step(
        `oom(${n})`,
        (m) => m.oom(n),
        () => ({ type: "container.oom", container: n }),
      ),
  ),
  fc.tuple(name, fc.constantFrom(0, 1)).map(
    ([n, code]) =>
      new Step(
        `setHealth(${n}, ${code})`,
        (m) => m.setHealth(n, code),
        () => ({ type: "container.setHealth", container: n, exitCode: code }),
      ),
  ),
  fc.record({ n: name, force: fc.boolean(), fail: fc.boolean(), delay: fc.constantFrom(0, 0, 500) }).map(
    ({ n, force, fail, delay }) =>
      new Step(
        `rm(${n}, force=${force}, fail=${fail}, delay=${delay})`,
        (m) => m.remove(n, force, fail, delay),
        () => ({ type: "container.remove", container: n, force, fault: { fail, delayMs: delay } }),
      ),
  ),
  fc.tuple(name, fc.oneof(name, fc.constant("-x"))).map(
    ([n, to]) =>
      new Step(
        `rename(${n}, ${to})`,
        (m) => m.rename(n, to),
        () => ({ type: "container.rename", container: n, name: to }),
      ),
  ),
  // Filesystem changes (the core engine appends them unchecked; only the lifecycle decides): a
  // replay folds their runs without a state per event, which must change nothing it gives.
  ...[0, 1, 2].map(() =>
    fc.tuple(name, fsCommand).map(
      ([n, c]) =>
        new Step(
          `${c.type}(${n})`,
          (m) => m.fsChange(n),
          () => ({ ...c, container: n }) as Command,
        ),
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
  fc.constant(
    new Step(
      "prune",
      (m) => m.prune(),
      () => ({ type: "container.prune" }),
    ),
  ),
  fc.boolean().map(
    (crashed) =>
      new Step(
        `daemonRestart(crashed=${crashed})`,
        (m) => m.daemonRestart(crashed),
        () => ({ type: "daemon.restart", crashed }),
      ),
  ),
  fc
    .tuple(name, fc.constantFrom<MWaiter["condition"]>("not-running", "next-exit", "removed"))
    .map(([n, c]) => new Wait(n, c)),
  fc.constantFrom(50, 100, 500, 1_000, 5_000, 10_000, 60_000).map((ms) => new Advance(ms)),
];

const stats: Record<string, number> = {};
const RUNS = Number(process.env.STRATA_MODEL_RUNS ?? 300);

test(`engine agrees with the reference model on random command sequences (${RUNS} runs)`, async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.tuple(containerSpec, containerSpec, containerSpec),
      fc.commands(commands, { maxCommands: 60, size: "large" }),
      async (specs, cmds) => {
        const clock = simulatedClock();
        const engine = new Engine({ clock, ids: sequentialIds("model") });
        expect(engine.execute(baseImage).ok).toBe(true);
        const model = new World(clock.now());
        // Every run starts with the three containers created, so most commands meet a container.
        const real: Real = {
          engine,
          clock,
          history: [],
          pids: new Map(),
          runsOfPid: new Map(),
          waits: [],
          refusals: [],
        };
        for (const [i, spec] of specs.entries()) createStep(NAMES[i] ?? "web", spec).run(model, real);
        fc.modelRun(() => ({ model, real }), cmds);
        checkPrefixes(real);
        expect(replay(real.engine.log.read())).toEqual(real.engine.state);
        // Every event reads back from JSON through parseEvent exactly as it was written (schema, key order).
        for (const e of real.engine.log.read())
          expect(JSON.stringify(parseEvent(JSON.parse(JSON.stringify(e)), `seq ${e.seq}`).data), e.type).toBe(
            JSON.stringify(e.data),
          );
        // Let the engine's wait promises settle, then compare every answer with the model's.
        await new Promise((resolve) => setImmediate(resolve));
        for (const { expected, refusal } of real.refusals) {
          const { message, ...rest } = expected as Outcome & { message?: string };
          expect(
            refusal.value && { ok: false, code: refusal.value.code, reason: refusal.value.reason },
          ).toEqual(rest);
          if (message !== undefined) expect(refusal.value?.message).toBe(message);
        }
        for (const [i, w] of real.waits.entries()) {
          const actual =
            w.answer.value === null
              ? null
              : { statusCode: w.answer.value.statusCode, error: w.answer.value.error !== undefined };
          expect(actual, `wait #${i} (${w.model.condition})`).toEqual(w.model.result);
        }
      },
    ),
    { numRuns: RUNS },
  );
  if (process.env.STRATA_MODEL_STATS) console.log(stats);
});
