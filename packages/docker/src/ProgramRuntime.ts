/**
 * The part of a container runtime that Strata plays: when PID 1 of a container starts a program that
 * ends at once (`true`, `sh -c 'exit 3'`: see programExit.ts), it reports that end to the engine as the
 * injected fact it is (`process.exit` of PID 1 with the status), so the container dies as Docker's
 * would: `docker run --rm alpine true` exits 0 and the container is removed; `--restart always` starts it
 * again and again with Docker's back-off. Every start the engine folds in counts (a client's, a restart
 * policy's, another writer's); containers already running such a program when the runtime starts (the
 * server stopped between the start and the exit) are ended then. A refusal (someone else reported the
 * exit first) is ignored.
 */
import type { ContainerRecord, EngineState } from "@strata/core";
import type { DurableEngine } from "@strata/engine";
import { programExitCode } from "./programExit.js";

/** The program PID 1 runs: the entrypoint, then the cmd. */
const programOf = (record: ContainerRecord): string[] => [
  ...(record.context.config.entrypoint ?? []),
  ...record.context.config.cmd,
];

export class ProgramRuntime {
  readonly #engine: DurableEngine;
  #off: (() => void) | null = null;

  constructor(engine: DurableEngine) {
    this.#engine = engine;
  }

  /** Starts watching the engine's events; ends the programs already running that end at once. */
  start(): void {
    if (this.#off) return;
    this.#off = this.#engine.onEvents((events) => {
      for (const e of events) if (e.type === "container.started") this.#check(this.#engine.state, e.streamId);
    });
    void this.#engine
      .catchUp()
      .then(() => {
        const state = this.#engine.state;
        for (const id of Object.keys(state.containers)) this.#check(state, id);
      })
      .catch(() => {});
  }

  stop(): void {
    this.#off?.();
    this.#off = null;
  }

  /**
   * Reports, and waits for, the ends still due: every running PID 1 whose program ends at once. For a
   * caller that must see the state after them (a test comparing with a model that applies the same rule
   * in step); a report the engine refuses (already reported) is ignored.
   */
  async settle(): Promise<void> {
    await this.#engine.catchUp();
    // Until a pass reports nothing new (an end can start a container again only through a timer).
    for (let reported = true; reported; ) {
      reported = false;
      for (const { id, exitCode } of dueExits(this.#engine.state)) {
        const r = await this.#engine.execute({ type: "process.exit", container: id, pid: 1, exitCode });
        reported ||= r.ok;
      }
    }
  }

  /** Reports the exit of container `id`'s PID 1 when it runs a program that ends at once. */
  #check(state: EngineState, id: string): void {
    const exitCode = dueExit(state, id);
    if (exitCode === null) return;
    void this.#engine.execute({ type: "process.exit", container: id, pid: 1, exitCode }).catch(() => {});
  }
}

/** The status container `id`'s PID 1 ends with at once, when it runs and runs such a program; else null. */
function dueExit(state: EngineState, id: string): number | null {
  const record = state.containers[id];
  if (record?.status !== "running") return null;
  if (!record.context.processes.some((p) => p.pid === 1)) return null;
  return programExitCode(programOf(record));
}

function dueExits(state: EngineState): { id: string; exitCode: number }[] {
  const out: { id: string; exitCode: number }[] = [];
  for (const id of Object.keys(state.containers)) {
    const exitCode = dueExit(state, id);
    if (exitCode !== null) out.push({ id, exitCode });
  }
  return out;
}
