/**
 * A small reference model of Docker's container lifecycle, written straight from the reference table
 * (../shared/reference/docker-lifecycle.md §2 and §4) and moby's code (daemon/start.go, monitor.go,
 * delete.go, health.go, daemon.go restore, container/state.go wait), independently of the xstate
 * machines. The model-based test runs random command sequences against it and against the engine and
 * requires the same outcome for every command and the same states afterwards.
 *
 * It is deliberately plain, imperative code: one function per command, one `if` per table cell.
 */

export type MState = "created" | "running" | "paused" | "restarting" | "exited" | "dead" | "removing";

/** What PID 1 does on SIGTERM: exit with a code, die of it (143), or nothing (ignore / no handler). */
export type TermBehaviour = number | "ignore" | "none" | "die";
export type StartError = "not-found" | "not-executable" | "runtime";
export type Policy = "no" | "always" | "on-failure" | "unless-stopped";

/** A healthcheck in ms (0: Docker's default). */
export interface MHealthcheck {
  intervalMs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

export interface MSpec {
  policy: Policy;
  maxRetry: number;
  autoRemove: boolean;
  term: TermBehaviour;
  startError: StartError | null;
  health: MHealthcheck | null;
}

export interface MExec {
  id: string;
  state: "created" | "running" | "exited";
  pid: number;
  exitCode: number | null;
  exitsAtOnce: boolean;
}

export interface MHealth {
  status: "starting" | "healthy" | "unhealthy";
  streak: number;
  next: number | null;
}

export interface MContainer {
  name: string;
  spec: MSpec;
  state: MState;
  /** What the running PID 1 does now (a trap replaces it until the next start). */
  term: TermBehaviour;
  restartCount: number;
  backoff: number;
  startedAt: number | null;
  /** Docker's HasBeenManuallyStopped. */
  manual: boolean;
  stop: { deadline: number | null; thenStart: boolean } | null;
  restartAt: number | null;
  removal: { at: number; fails: boolean } | null;
  execs: MExec[];
  nextPid: number;
  exitCode: number;
  oomKilled: boolean;
  /** Docker's State.Error is set (a failed start or removal); a start clears it. */
  hasError: boolean;
  /** Counts starts: each start has its own host PID. */
  runs: number;
  health: MHealth | null;
  healthAnswer: number;
}

/** A command's outcome; `message`, when the model gives one, must be Docker's exact words. */
export type Refusal = { ok: false; code: string; reason: string; failed?: true; message?: string };
export type Outcome = { ok: true } | Refusal;
const OK: Outcome = { ok: true };
const no = (code: string, reason: string): Refusal => ({ ok: false, code, reason });
const failed = (code: string, reason: string): Refusal => ({ ok: false, code, reason, failed: true });

/** A waiter (`docker wait`): pending until woken, then its status code and whether an error came with it. */
export interface MWaiter {
  container: MContainer;
  condition: "not-running" | "next-exit" | "removed";
  result: { statusCode: number; error: boolean } | null;
}

const START_EXIT: Record<StartError, number> = { "not-found": 127, "not-executable": 126, runtime: 128 };
const HEALTH = { intervalMs: 30_000, startPeriodMs: 0, startIntervalMs: 5_000, retries: 3 };
const or = (v: number, d: number) => (v > 0 ? v : d);

export class ReferenceModel {
  now: number;
  /** Live containers by name (a removed one is deleted). */
  readonly containers = new Map<string, MContainer>();
  readonly waiters: MWaiter[] = [];

  constructor(now: number) {
    this.now = now;
  }

  create(name: string, spec: MSpec): Outcome {
    if (spec.autoRemove && spec.policy !== "no") return no("InvalidParameter", "auto-remove-with-restart");
    if (spec.maxRetry !== 0 && spec.policy !== "on-failure")
      return no("InvalidParameter", "invalid-restart-policy");
    if (this.containers.has(name)) return no("Conflict", "name-in-use");
    this.containers.set(name, {
      name,
      spec,
      state: "created",
      term: spec.term,
      restartCount: 0,
      backoff: 0,
      startedAt: null,
      manual: false,
      stop: null,
      restartAt: null,
      removal: null,
      execs: [],
      nextPid: 1,
      exitCode: 0,
      oomKilled: false,
      hasError: false,
      runs: 0,
      health: null,
      healthAnswer: 0,
    });
    return OK;
  }

  start(name: string): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "running" || c.state === "restarting") return no("NotModified", "already-running");
    if (c.state === "paused") return no("Conflict", "start-paused");
    if (c.state === "dead" || c.state === "removing") return no("Conflict", "marked-for-removal");
    if (this.#start(c, true, false)) return OK;
    return failed(c.spec.startError === "runtime" ? "System" : "InvalidParameter", "start-failed");
  }

  stop(name: string, timeout: number): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "restarting") {
      this.#cancelRestart(c);
      return OK;
    }
    if (c.state !== "running" && c.state !== "paused") return no("NotModified", "already-stopped");
    this.#stop(c, timeout, false);
    return OK;
  }

  kill(name: string, signal: "SIGKILL" | "SIGTERM" | "SIGHUP" | "SIGFOO"): Outcome {
    // Docker parses the signal before it looks the container up.
    if (signal === "SIGFOO")
      return {
        ...no("InvalidParameter", "invalid-signal"),
        message: `cannot kill container: ${name}: invalid signal: SIGFOO`,
      };
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "restarting") {
      this.#cancelRestart(c);
      return OK;
    }
    if (c.state !== "running" && c.state !== "paused") return no("Conflict", "not-running");
    this.#resume(c);
    c.manual = true; // no custom STOPSIGNAL in this model: any kill cancels the restart policy
    if (signal === "SIGKILL") this.#mainExit(c, 137);
    else if (signal === "SIGTERM") this.#term(c);
    return OK;
  }

  pause(name: string): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "running") {
      c.state = "paused";
      if (c.health) c.health.next = null;
      return OK;
    }
    if (c.state === "paused") return no("Conflict", "already-paused");
    if (c.state === "restarting") return no("Conflict", "restarting");
    return no("Conflict", "not-running");
  }

  unpause(name: string): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state !== "paused") return no("System", "not-paused");
    this.#resume(c);
    return OK;
  }

  restart(name: string, timeout: number): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "dead" || c.state === "removing") return no("System", "restart-failed");
    if (c.state === "running" || c.state === "paused") {
      this.#refused = false;
      this.#stop(c, timeout, true);
      // The start half ran at once (PID 1 exited) and the runtime refused it.
      return this.#refused ? failed("System", "restart-failed") : OK;
    }
    if (c.state === "restarting") this.#cancelRestart(c);
    return this.#start(c, true, false) ? OK : failed("System", "restart-failed");
  }

  exec(name: string, id: string, exitsAtOnce: boolean): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    const refused = this.#notRunning(c);
    if (refused) return refused;
    if (this.#execIdTaken(id)) return no("Conflict", "exec-id-in-use");
    c.execs.push({ id, state: "running", pid: 0, exitCode: null, exitsAtOnce });
    this.#runExec(c, c.execs[c.execs.length - 1] as MExec);
    return OK;
  }

  execCreate(name: string, id: string, exitsAtOnce: boolean): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    const refused = this.#notRunning(c);
    if (refused) return refused;
    if (this.#execIdTaken(id)) return no("Conflict", "exec-id-in-use");
    c.execs.push({ id, state: "created", pid: 0, exitCode: null, exitsAtOnce });
    return OK;
  }

  /** Exec ids are unique across containers (an instance keeps its id until its container goes). */
  #execIdTaken(id: string): boolean {
    return [...this.containers.values()].some((x) => x.execs.some((e) => e.id === id));
  }

  execStart(id: string): Outcome {
    const c = [...this.containers.values()].find((x) => x.execs.some((e) => e.id === id));
    const e = c?.execs.find((x) => x.id === id);
    if (!c || !e) return no("NotFound", "no-such-exec");
    const refused = this.#notRunning(c);
    if (refused) return refused;
    if (e.state === "exited") return no("Conflict", "exec-already-ran");
    if (e.state === "running") return no("Conflict", "exec-running");
    this.#runExec(c, e);
    return OK;
  }

  /** `process.exit`: PID 1 (`pid` = 1) or an exec'd process ends on its own. */
  exitProcess(name: string, pid: number, code: number): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    const refused = this.#notRunning(c);
    if (refused) return refused;
    if (pid === 1) {
      this.#mainExit(c, code);
      return OK;
    }
    const e = c.execs.find((x) => x.state === "running" && x.pid === pid);
    if (!e) return no("NotFound", "no-such-process");
    e.state = "exited";
    e.exitCode = code;
    return OK;
  }

  trapTerm(name: string, term: TermBehaviour): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    const refused = this.#notRunning(c);
    if (refused) return refused;
    c.term = term;
    return OK;
  }

  oom(name: string): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    const refused = this.#notRunning(c);
    if (refused) return refused;
    c.oomKilled = true;
    this.#mainExit(c, 137);
    return OK;
  }

  setHealth(name: string, code: number): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (!c.spec.health) return no("InvalidParameter", "no-healthcheck");
    c.healthAnswer = code;
    return OK;
  }

  remove(name: string, force: boolean, fails: boolean, delay: number): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "removing") return no("Conflict", "removal-in-progress");
    if (!force && (c.state === "running" || c.state === "restarting"))
      return no("Conflict", "remove-running");
    if (!force && c.state === "paused") return no("Conflict", "remove-paused");
    if (c.state === "running" || c.state === "paused") {
      c.state = "running";
      this.#mainExit(c, 137, true);
    }
    if (c.state === "restarting") this.#cancelRestart(c);
    c.restartAt = null;
    if (delay > 0) {
      c.state = "removing";
      c.removal = { at: this.now + delay, fails };
      return OK;
    }
    if (fails) {
      this.#removalFailed(c);
      return failed("System", "removal-failed");
    }
    this.#removed(c);
    return OK;
  }

  rename(name: string, to: string): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (to === name) return no("InvalidParameter", "same-name");
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(to))
      return {
        ...no("InvalidParameter", "invalid-name"),
        message: `Error when allocating new name: Invalid container name (/${to}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      };
    if (this.containers.has(to)) return no("Conflict", "name-in-use");
    this.containers.delete(name);
    c.name = to;
    this.containers.set(to, c);
    return OK;
  }

  commit(name: string): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "dead") return no("Conflict", "commit-dead");
    if (c.state === "removing") return no("Conflict", "commit-removing");
    // A running container is paused around the commit: its health monitor stops and starts again.
    if (c.state === "running" && c.health) c.health.next = this.now + this.#probeDelay(c, c.health.status);
    return OK;
  }

  /** A filesystem change (`fs.*`): it needs the read-write layer, there from create until removal starts. */
  fsChange(name: string): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "dead" || c.state === "removing") return no("System", "no-rw-layer");
    return OK;
  }

  /** `container prune`: every container that is not running, removed as a plain `rm`. */
  prune(): Outcome {
    for (const c of [...this.containers.values()])
      if (c.state === "created" || c.state === "exited" || c.state === "dead") this.#removed(c);
    return OK;
  }

  /** The daemon stops (gracefully, or killed) and starts again: moby's Shutdown, then restore. */
  daemonRestart(crashed: boolean): Outcome {
    for (const c of this.containers.values()) {
      if (c.state === "restarting") {
        // Graceful: the pending restart is dropped, the exit code kept; a crash finds no task: 255.
        c.restartAt = null;
        if (crashed) c.exitCode = 255;
        this.#stopped(c);
      } else if (c.state === "running" || c.state === "paused") {
        if (crashed) {
          this.#processesGone(c, false);
          c.exitCode = 255;
          this.#stopped(c);
        } else {
          const t = c.term;
          this.#processesGone(c, true);
          c.exitCode = typeof t === "number" ? t : t === "die" ? 143 : 137;
          this.#stopped(c);
        }
      }
    }
    for (const c of [...this.containers.values()]) {
      if (c.state === "removing") {
        c.state = "dead";
        c.removal = null;
        c.hasError = false;
        this.#wakeAll(c, false);
        if (c.spec.autoRemove) this.#removed(c);
        continue;
      }
      if (c.state === "dead") {
        if (c.spec.autoRemove) this.#removed(c);
        continue;
      }
      if (this.#restartsAtBoot(c)) this.#start(c, true, false);
      else if (c.spec.autoRemove) this.#removed(c);
    }
    return OK;
  }

  /** Docker's wait: answered at once, or registered until woken. */
  wait(
    name: string,
    condition: MWaiter["condition"] | "bogus",
  ): { outcome: Outcome; waiter: MWaiter | null } {
    if (condition === "bogus")
      return {
        outcome: { ...no("InvalidParameter", "invalid-condition"), message: 'invalid condition: "bogus"' },
        waiter: null,
      };
    const c = this.containers.get(name);
    if (!c) return { outcome: no("NotFound", "no-such-container"), waiter: null };
    const waiter: MWaiter = { container: c, condition, result: null };
    const live = c.state === "running" || c.state === "paused" || c.state === "restarting";
    if ((condition === "not-running" && !live) || (condition === "removed" && c.state === "dead"))
      waiter.result = { statusCode: c.exitCode, error: c.hasError };
    else this.waiters.push(waiter);
    return { outcome: OK, waiter };
  }

  /** Time passes: everything due fires at its own time, earliest first. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: { c: MContainer; at: number; what: "stop" | "probe" | "restart" | "removal" } | null = null;
      for (const c of this.containers.values()) {
        const candidates: { at: number | null; what: "stop" | "probe" | "restart" | "removal" }[] = [
          {
            at: (c.state === "running" || c.state === "paused") && c.stop ? c.stop.deadline : null,
            what: "stop",
          },
          { at: c.state === "running" ? (c.health?.next ?? null) : null, what: "probe" },
          { at: c.state === "restarting" ? c.restartAt : null, what: "restart" },
          { at: c.state === "removing" ? (c.removal?.at ?? null) : null, what: "removal" },
        ];
        for (const k of candidates)
          if (k.at !== null && k.at <= end && (next === null || k.at < next.at))
            next = { c, at: k.at, what: k.what };
      }
      if (!next) break;
      this.now = next.at;
      const c = next.c;
      if (next.what === "stop") {
        this.#resume(c); // a paused one is thawed first
        this.#mainExit(c, 137);
      } else if (next.what === "probe") this.#probe(c);
      else if (next.what === "restart") this.#start(c, false, true);
      else if (c.removal?.fails) {
        c.removal = null;
        this.#removalFailed(c);
      } else this.#removed(c);
    }
    this.now = end;
  }

  #notRunning(c: MContainer): Outcome | null {
    if (c.state === "running") return null;
    if (c.state === "paused") return no("Conflict", "paused");
    if (c.state === "restarting") return no("Conflict", "restarting");
    return no("Conflict", "not-running");
  }

  /** Set when the runtime refused a start (for restart, whose start half may run inside its stop). */
  #refused = false;

  #runExec(c: MContainer, e: MExec): void {
    e.pid = c.nextPid++;
    e.state = e.exitsAtOnce ? "exited" : "running";
    e.exitCode = e.exitsAtOnce ? 0 : null;
  }

  /** Starts PID 1; false when the runtime refuses (`keep`: the restart manager's start keeps the code). */
  #start(c: MContainer, manual: boolean, keep: boolean): boolean {
    if (c.spec.startError !== null) {
      this.#refused = true;
      c.restartAt = null;
      c.hasError = true;
      if (!keep) c.exitCode = START_EXIT[c.spec.startError];
      if (c.state === "restarting") this.#stopped(c);
      if (c.spec.autoRemove) this.#removed(c);
      return false;
    }
    c.state = "running";
    c.startedAt = this.now;
    c.manual = false;
    c.stop = null;
    c.restartAt = null;
    c.nextPid = 2;
    c.term = c.spec.term;
    c.exitCode = 0;
    c.oomKilled = false;
    c.hasError = false;
    c.runs += 1;
    const h = c.spec.health;
    c.health = h ? { status: "starting", streak: 0, next: this.now + this.#probeDelay(c, "starting") } : null;
    if (manual) {
      c.restartCount = 0;
      c.backoff = 0;
    }
    return true;
  }

  #probeDelay(c: MContainer, status: MHealth["status"]): number {
    const h = c.spec.health as MHealthcheck;
    if (this.now - (c.startedAt ?? this.now) >= or(h.startPeriodMs, HEALTH.startPeriodMs))
      return or(h.intervalMs, HEALTH.intervalMs);
    return status === "starting"
      ? or(h.startIntervalMs, HEALTH.startIntervalMs)
      : or(h.intervalMs, HEALTH.intervalMs);
  }

  #probe(c: MContainer): void {
    const h = c.health as MHealth;
    const spec = c.spec.health as MHealthcheck;
    if (c.healthAnswer === 0) {
      h.status = "healthy";
      h.streak = 0;
    } else if (!(h.status === "starting" && this.now - (c.startedAt ?? 0) < or(spec.startPeriodMs, 0))) {
      h.streak += 1;
      if (h.streak >= or(spec.retries, HEALTH.retries)) h.status = "unhealthy";
    }
    h.next = this.now + this.#probeDelay(c, h.status);
  }

  #resume(c: MContainer): void {
    if (c.state !== "paused") return;
    c.state = "running";
    if (c.health) c.health.next = this.now + this.#probeDelay(c, c.health.status);
  }

  #term(c: MContainer): void {
    if (typeof c.term === "number") this.#mainExit(c, c.term);
    else if (c.term === "die") this.#mainExit(c, 143);
  }

  #stop(c: MContainer, timeout: number, thenStart: boolean): void {
    this.#resume(c); // a paused container is thawed so the signal can be delivered
    c.manual = true;
    c.stop = { deadline: timeout < 0 ? null : this.now + timeout * 1000, thenStart };
    this.#term(c);
    if (c.stop !== null && timeout === 0) this.#mainExit(c, 137);
  }

  /** PID 1 and every process are gone: exec instances still created (or, crashed, running) are dropped. */
  #processesGone(c: MContainer, execsDieOfKill: boolean): void {
    c.execs = c.execs
      .map((e) =>
        e.state === "running" && execsDieOfKill ? { ...e, state: "exited" as const, exitCode: 137 } : e,
      )
      .filter((e) => e.state === "exited");
    c.stop = null;
    if (c.health) c.health.next = null;
  }

  /** The container is stopped (exited), waking its stop waiters. */
  #stopped(c: MContainer): void {
    c.state = "exited";
    for (const w of this.waiters)
      if (w.container === c && w.result === null && w.condition !== "removed")
        w.result = { statusCode: c.exitCode, error: false };
  }

  #cancelRestart(c: MContainer): void {
    c.restartAt = null;
    c.manual = true;
    this.#stopped(c);
  }

  #mainExit(c: MContainer, code: number, removing = false): void {
    const stop = c.stop;
    this.#processesGone(c, true);
    c.exitCode = code;
    const wake = () => {
      for (const w of this.waiters)
        if (w.container === c && w.result === null && w.condition !== "removed")
          w.result = { statusCode: code, error: false };
    };
    if (removing) {
      c.state = "exited";
      wake();
      return;
    }
    if (stop) {
      c.state = "exited";
      wake();
      if (stop.thenStart) {
        this.#start(c, true, false);
        return;
      }
    } else if (!c.manual && this.#policySaysRestart(c, code)) {
      const ran = this.now - (c.startedAt ?? this.now);
      const previous = ran >= 10_000 ? 0 : c.backoff;
      c.backoff = previous === 0 ? 100 : Math.min(previous * 2, 60_000);
      c.restartCount += 1;
      c.restartAt = this.now + c.backoff;
      c.state = "restarting";
      wake();
      return;
    } else {
      c.state = "exited";
      wake();
    }
    if (c.spec.autoRemove) this.#removed(c);
  }

  #policySaysRestart(c: MContainer, code: number): boolean {
    const { policy, maxRetry } = c.spec;
    if (policy === "always" || policy === "unless-stopped") return true;
    if (policy === "on-failure") return code !== 0 && (maxRetry === 0 || c.restartCount < maxRetry);
    return false;
  }

  #restartsAtBoot(c: MContainer): boolean {
    if (c.startedAt === null || (c.state !== "created" && c.state !== "exited")) return false;
    const { policy, maxRetry } = c.spec;
    if (policy === "always") return true;
    if (policy === "unless-stopped") return !c.manual;
    if (policy === "on-failure") return c.exitCode !== 0 && (maxRetry === 0 || c.restartCount < maxRetry);
    return false;
  }

  #wakeAll(c: MContainer, error: boolean): void {
    for (const w of this.waiters)
      if (w.container === c && w.result === null) w.result = { statusCode: c.exitCode, error };
  }

  #removalFailed(c: MContainer): void {
    c.state = "dead";
    c.hasError = true;
    this.#wakeAll(c, true);
  }

  #removed(c: MContainer): void {
    this.containers.delete(c.name);
    this.#wakeAll(c, false);
  }
}
