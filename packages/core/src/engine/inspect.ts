/**
 * Docker's inspect views, computed from the state: `docker inspect` of a container (its `State` and a
 * few more fields) and `docker exec inspect` (moby api/types/container/state.go, daemon/inspect.go,
 * daemon/exec.go). Pure functions; times are the injected clock's ms.
 */
import { NotFoundError } from "../errors.js";
import type { ContainerRecord, EngineState } from "./EngineState.js";
import { findContainer } from "./resolve.js";

/** `State` of `docker inspect`. Running is true while running, paused or restarting (Docker's flags). */
export interface ContainerStateView {
  readonly Status: ContainerRecord["status"];
  readonly Running: boolean;
  readonly Paused: boolean;
  readonly Restarting: boolean;
  readonly OOMKilled: boolean;
  readonly Dead: boolean;
  /** PID 1's host PID while it runs (also paused), 0 otherwise (also while restarting). */
  readonly Pid: number;
  readonly ExitCode: number;
  readonly Error: string;
  readonly StartedAt: number | null;
  readonly FinishedAt: number | null;
  readonly Health: { readonly Status: string; readonly FailingStreak: number } | null;
}

export interface ContainerView {
  readonly Id: string;
  readonly Name: string;
  readonly Image: string;
  readonly RestartCount: number;
  readonly State: ContainerStateView;
}

/**
 * `docker inspect <container>`.
 *
 * @example
 * inspectContainer(engine.state, "web").State.Pid; // changes with every start
 */
export function inspectContainer(state: EngineState, ref: string): ContainerView {
  const record = findContainer(state, ref);
  if (!record) throw new NotFoundError("no-such-container", `No such container: ${ref}`);
  const c = record.context;
  const s = record.status;
  return {
    Id: c.id,
    Name: `/${c.name}`,
    Image: c.imageId,
    RestartCount: c.restartCount,
    State: {
      Status: s,
      Running: s === "running" || s === "paused" || s === "restarting",
      Paused: s === "paused",
      Restarting: s === "restarting",
      OOMKilled: c.oomKilled,
      Dead: s === "dead",
      Pid: s === "running" || s === "paused" ? c.hostPid : 0,
      ExitCode: c.exitCode,
      Error: c.error,
      StartedAt: c.startedAt,
      FinishedAt: c.finishedAt,
      Health: c.health === null ? null : { Status: c.health.status, FailingStreak: c.health.failingStreak },
    },
  };
}

/** `docker exec inspect`: ExitCode is null until the process ended. */
export interface ExecView {
  readonly ID: string;
  readonly ContainerID: string;
  readonly Running: boolean;
  readonly ExitCode: number | null;
  /** The process's host PID once started, 0 before. */
  readonly Pid: number;
  readonly ProcessConfig: { readonly entrypoint: string; readonly arguments: readonly string[] };
}

/**
 * `docker exec inspect <id>` (by full id, as Docker's exec store looks it up).
 *
 * @example
 * inspectExec(engine.state, execId).ExitCode; // null while it runs
 */
export function inspectExec(state: EngineState, execId: string): ExecView {
  for (const record of Object.values(state.containers)) {
    const x = record.context.execs.find((e) => e.execId === execId);
    if (!x) continue;
    return {
      ID: x.execId,
      ContainerID: record.context.id,
      Running: x.running,
      ExitCode: x.exitCode,
      Pid: x.hostPid ?? 0,
      ProcessConfig: { entrypoint: x.cmd[0] ?? "", arguments: x.cmd.slice(1) },
    };
  }
  throw new NotFoundError("no-such-exec", `No such exec instance: ${execId}`);
}
