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

  /** Reports the exit of container `id`'s PID 1 when it runs a program that ends at once. */
  #check(state: EngineState, id: string): void {
    const record = state.containers[id];
    if (record?.status !== "running") return;
    if (!record.context.processes.some((p) => p.pid === 1)) return;
    const exitCode = programExitCode(programOf(record));
    if (exitCode === null) return;
    void this.#engine.execute({ type: "process.exit", container: id, pid: 1, exitCode }).catch(() => {});
  }
}
