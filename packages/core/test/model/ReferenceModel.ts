/**
 * A small reference model of Docker's container lifecycle, written straight from the reference table
 * (../shared/reference/docker-lifecycle.md §2 and §4), independently of the xstate machines. The
 * model-based test runs random command sequences against it and against the engine and requires
 * the same outcome for every command and the same states afterwards.
 *
 * It is deliberately plain, imperative code: one function per command, one `if` per table cell.
 */

export type MState = "created" | "running" | "paused" | "restarting" | "exited" | "dead" | "removing";

/** What PID 1 does on SIGTERM: exit with a code, or nothing (ignore / no handler). */
export type TermBehaviour = number | "ignore" | "none";

export interface MContainer {
  name: string;
  state: MState;
  policy: "no" | "always" | "on-failure";
  maxRetry: number;
  autoRemove: boolean;
  /** What the program does on SIGTERM when it starts (its own handler). */
  programTerm: TermBehaviour;
  /** What the running PID 1 does now (a trap replaces it until the next start). */
  term: TermBehaviour;
  restartCount: number;
  backoff: number;
  startedAt: number | null;
  manual: boolean;
  stop: { deadline: number | null; thenStart: boolean } | null;
  restartAt: number | null;
  removal: { at: number; fails: boolean } | null;
  execs: number[];
  nextPid: number;
  exitCode: number;
}

export type Outcome = { ok: true } | { ok: false; code: string; reason: string };
const OK: Outcome = { ok: true };
const no = (code: string, reason: string): Outcome => ({ ok: false, code, reason });

export class ReferenceModel {
  now: number;
  /** Live containers by name (a removed one is deleted). */
  readonly containers = new Map<string, MContainer>();

  constructor(now: number) {
    this.now = now;
  }

  create(
    name: string,
    policy: MContainer["policy"],
    maxRetry: number,
    autoRemove: boolean,
    term: TermBehaviour,
  ): Outcome {
    if (autoRemove && policy !== "no") return no("InvalidParameter", "auto-remove-with-restart");
    if (this.containers.has(name)) return no("Conflict", "name-in-use");
    this.containers.set(name, {
      name,
      state: "created",
      policy,
      maxRetry,
      autoRemove,
      programTerm: term,
      term,
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
    });
    return OK;
  }

  start(name: string): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "running" || c.state === "restarting") return no("NotModified", "already-running");
    if (c.state === "paused") return no("Conflict", "start-paused");
    if (c.state === "dead" || c.state === "removing") return no("Conflict", "marked-for-removal");
    this.#run(c, true);
    return OK;
  }

  stop(name: string, timeout: number): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "restarting") {
      c.state = "exited";
      c.restartAt = null;
      c.manual = true;
      return OK;
    }
    if (c.state !== "running" && c.state !== "paused") return no("NotModified", "already-stopped");
    this.#stop(c, timeout, false);
    return OK;
  }

  kill(name: string, signal: "SIGKILL" | "SIGTERM" | "SIGHUP"): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "restarting") {
      c.state = "exited";
      c.restartAt = null;
      c.manual = true;
      return OK;
    }
    if (c.state !== "running" && c.state !== "paused") return no("Conflict", "not-running");
    c.state = "running";
    c.manual = true; // no custom STOPSIGNAL in this model: any kill cancels the restart policy
    if (signal === "SIGKILL") this.#mainExit(c, 137);
    else if (signal === "SIGTERM" && typeof c.term === "number") this.#mainExit(c, c.term);
    return OK;
  }

  pause(name: string): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "running") {
      c.state = "paused";
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
    c.state = "running";
    return OK;
  }

  restart(name: string, timeout: number): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "dead" || c.state === "removing") return no("System", "restart-failed");
    if (c.state === "running" || c.state === "paused") {
      this.#stop(c, timeout, true);
      return OK;
    }
    this.#run(c, true);
    return OK;
  }

  exec(name: string, exitsAtOnce: boolean): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    const refused = this.#notRunning(c);
    if (refused) return refused;
    const pid = c.nextPid++;
    if (!exitsAtOnce) c.execs.push(pid);
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
    if (!c.execs.includes(pid)) return no("NotFound", "no-such-process");
    c.execs = c.execs.filter((p) => p !== pid);
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

  remove(name: string, force: boolean, fails: boolean, delay: number): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (c.state === "removing") return no("Conflict", "removal-in-progress");
    if (!force && (c.state === "running" || c.state === "restarting"))
      return no("Conflict", "remove-running");
    if (!force && c.state === "paused") return no("Conflict", "remove-paused");
    if (c.state === "running" || c.state === "paused") {
      c.execs = [];
      c.exitCode = 137;
      c.stop = null;
    }
    c.restartAt = null;
    if (delay > 0) {
      c.state = "removing";
      c.removal = { at: this.now + delay, fails };
    } else if (fails) {
      c.state = "dead";
    } else {
      this.containers.delete(name);
    }
    return OK;
  }

  rename(name: string, to: string): Outcome {
    const c = this.containers.get(name);
    if (!c) return no("NotFound", "no-such-container");
    if (to === name) return no("InvalidParameter", "same-name");
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
    return OK;
  }

  /** Time passes: everything due fires at its own time, earliest first. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next: { c: MContainer; at: number } | null = null;
      for (const c of this.containers.values()) {
        const at =
          (c.state === "running" || c.state === "paused") && c.stop?.deadline != null
            ? c.stop.deadline
            : c.state === "restarting"
              ? c.restartAt
              : c.state === "removing"
                ? (c.removal?.at ?? null)
                : null;
        if (at !== null && at <= end && (next === null || at < next.at)) next = { c, at };
      }
      if (!next) break;
      this.now = next.at;
      const c = next.c;
      if (c.state === "running" || c.state === "paused")
        this.#mainExit(c, 137); // a paused one is thawed first
      else if (c.state === "restarting") this.#run(c, false);
      else if (c.state === "removing") {
        if (c.removal?.fails) {
          c.state = "dead";
          c.removal = null;
        } else this.containers.delete(c.name);
      }
    }
    this.now = end;
  }

  #notRunning(c: MContainer): Outcome | null {
    if (c.state === "running") return null;
    if (c.state === "paused") return no("Conflict", "paused");
    if (c.state === "restarting") return no("Conflict", "restarting");
    return no("Conflict", "not-running");
  }

  #run(c: MContainer, manualStart: boolean): void {
    c.state = "running";
    c.startedAt = this.now;
    c.manual = false;
    c.stop = null;
    c.restartAt = null;
    c.execs = [];
    c.nextPid = 2;
    c.term = c.programTerm;
    if (manualStart) {
      c.restartCount = 0;
      c.backoff = 0;
    }
  }

  #stop(c: MContainer, timeout: number, thenStart: boolean): void {
    c.state = "running"; // a paused container is thawed so the signal can be delivered
    c.manual = true;
    c.stop = { deadline: timeout < 0 ? null : this.now + timeout * 1000, thenStart };
    if (typeof c.term === "number") {
      this.#mainExit(c, c.term);
      return;
    }
    if (timeout === 0) this.#mainExit(c, 137);
  }

  #mainExit(c: MContainer, code: number): void {
    c.execs = [];
    c.exitCode = code;
    const stop = c.stop;
    c.stop = null;
    if (stop) {
      if (stop.thenStart) {
        this.#run(c, true);
        return;
      }
      c.state = "exited";
    } else if (!c.manual && this.#policySaysRestart(c, code)) {
      const ran = this.now - (c.startedAt ?? this.now);
      const previous = ran >= 10_000 ? 0 : c.backoff;
      c.backoff = previous === 0 ? 100 : Math.min(previous * 2, 60_000);
      c.restartCount += 1;
      c.restartAt = this.now + c.backoff;
      c.state = "restarting";
      return;
    } else {
      c.state = "exited";
    }
    if (c.autoRemove) this.containers.delete(c.name);
  }

  #policySaysRestart(c: MContainer, code: number): boolean {
    if (c.policy === "always") return true;
    if (c.policy === "on-failure") return code !== 0 && (c.maxRetry === 0 || c.restartCount < c.maxRetry);
    return false;
  }
}
