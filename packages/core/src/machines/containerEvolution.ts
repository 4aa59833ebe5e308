/**
 * How each container event changes the container's context (the machine's `assign` actions). Pure:
 * everything comes from the event (its data, its time, its seq).
 */
import type { ContainerContext, ExecInfo, HealthInfo } from "../engine/EngineState.js";
import { type Args, type Ev, update } from "./containerMachineKit.js";
import { hasProbe, healthOnStart, probeDelay } from "./health.js";
import { mainCommand } from "./startProcess.js";

/** Host PIDs are derived from the seq of the event that started the process: unique, deterministic. */
export const HOST_PID_BASE = 1000;
const hostPidOf = (event: { seq?: number }) => HOST_PID_BASE + (event.seq ?? 0);

/** The context of a container that does not exist (the `absent` state). */
export const ABSENT_CONTEXT: ContainerContext = Object.freeze({
  id: "",
  name: "",
  imageId: "",
  imageRef: "",
  imageAsGiven: "",
  config: {
    cmd: [],
    restartPolicy: { name: "no" as const, maximumRetryCount: 0 },
    autoRemove: false,
    stopSignal: null,
    stopTimeout: null,
    handlers: {},
  },
  createdAt: 0,
  startedAt: null,
  finishedAt: null,
  exitCode: 0,
  restartCount: 0,
  backoffMs: 0,
  manuallyStopped: false,
  processes: [],
  nextPid: 1,
  execs: [],
  pendingStop: null,
  restartAt: null,
  removal: null,
  error: "",
  hostPid: 0,
  oomKilled: false,
  health: null,
  healthAnswer: 0,
});

/** The health monitor stops (exit, pause): the status is kept, no probe is due. */
const healthStopped = (health: HealthInfo | null): HealthInfo | null =>
  health === null ? null : { ...health, nextProbeAt: null };

/** PID 1 is gone: every process with it; exec instances still created or running are unregistered. */
const processesGone = (c: ContainerContext): Partial<ContainerContext> => ({
  processes: [],
  execs: c.execs.filter((x) => x.exitCode !== null),
  pendingStop: null,
  hostPid: 0,
  health: healthStopped(c.health),
});

export const onCreated = update(({ event }: Args): Partial<ContainerContext> => {
  const e = event as Ev<"container.created">;
  return {
    ...ABSENT_CONTEXT,
    id: e.data.containerId,
    name: e.data.name,
    imageId: e.data.imageId,
    imageRef: e.data.imageRef ?? "",
    imageAsGiven: e.data.imageAsGiven ?? "",
    config: e.data.config,
    createdAt: e.recordedAt,
  };
});

/** PID 1 started: Docker's `setRunning` resets the exit code, the error and OOMKilled. */
export const onStarted = update(({ context, event }: Args): Partial<ContainerContext> => {
  const e = event as Ev<"container.started">;
  return {
    processes: [
      { pid: 1, kind: "main", execId: null, cmd: mainCommand(context), handlers: context.config.handlers },
    ],
    nextPid: 2,
    startedAt: e.recordedAt,
    pendingStop: null,
    restartAt: null,
    manuallyStopped: false,
    exitCode: 0,
    error: "",
    oomKilled: false,
    hostPid: hostPidOf(e),
    health: healthOnStart(context.config.healthcheck, e.recordedAt),
    ...(e.data.manual ? { restartCount: 0, backoffMs: 0 } : {}),
  };
});

/** The runtime refused the start: the exit code and error are recorded; a pending restart is over. */
export const onStartFailed = update(({ event }: Args): Partial<ContainerContext> => {
  const { exitCode, error } = (event as Ev<"container.startFailed">).data;
  return { exitCode, error, restartAt: null, hostPid: 0 };
});

export const onStopRequested = update(({ event }: Args): Partial<ContainerContext> => {
  const { signal, deadline, thenStart } = (event as Ev<"container.stopRequested">).data;
  return { pendingStop: { signal, deadline, thenStart }, manuallyStopped: true };
});

export const onSignalled = update(
  ({ context, event }: Args): Partial<ContainerContext> => ({
    manuallyStopped:
      context.manuallyStopped || (event as Ev<"container.signalled">).data.cancelsRestartPolicy,
  }),
);

export const onTrapped = update(({ context, event }: Args): Partial<ContainerContext> => {
  const { pid, signal, action } = (event as Ev<"process.trapped">).data;
  return {
    processes: context.processes.map((p) =>
      p.pid === pid ? { ...p, handlers: { ...p.handlers, [signal]: action } } : p,
    ),
  };
});

export const onExecCreated = update(({ context, event }: Args): Partial<ContainerContext> => {
  const { execId, cmd, handlers, exitCode } = (event as Ev<"container.execCreated">).data;
  const exec: ExecInfo = {
    execId,
    pid: 0,
    cmd,
    running: false,
    exitCode: null,
    started: false,
    hostPid: 0,
    handlers,
    exitsWith: exitCode,
  };
  return { execs: [...context.execs, exec] };
});

export const onExecStarted = update(({ context, event }: Args): Partial<ContainerContext> => {
  const e = event as Ev<"container.execStarted">;
  const { execId, pid, cmd, handlers } = e.data;
  const started = { pid, running: true, started: true, hostPid: hostPidOf(e) };
  const created = context.execs.some((x) => x.execId === execId);
  return {
    processes: [...context.processes, { pid, kind: "exec", execId, cmd, handlers }],
    nextPid: pid + 1,
    execs: created
      ? context.execs.map((x) => (x.execId === execId ? { ...x, ...started } : x))
      : [...context.execs, { execId, cmd, exitCode: null, handlers, exitsWith: null, ...started }],
  };
});

export const onProcessExited = update(({ context, event }: Args): Partial<ContainerContext> => {
  const { pid, exitCode } = (event as Ev<"process.exited">).data;
  return {
    processes: context.processes.filter((p) => p.pid !== pid),
    execs: context.execs.map((x) => (x.pid === pid && x.running ? { ...x, running: false, exitCode } : x)),
  };
});

export const onDied = update(({ context, event }: Args): Partial<ContainerContext> => {
  const e = event as Ev<"container.died">;
  const r = e.data.restart;
  return {
    ...processesGone(context),
    exitCode: e.data.exitCode,
    finishedAt: e.recordedAt,
    ...(r ? { restartCount: r.restartCount, backoffMs: r.delayMs, restartAt: r.restartAt } : {}),
  };
});

export const onOomKilled = update((): Partial<ContainerContext> => ({ oomKilled: true }));

/** The daemon went down under the container (see `container.shutDown`). */
export const onShutDown = update(({ context, event }: Args): Partial<ContainerContext> => {
  const e = event as Ev<"container.shutDown">;
  return {
    ...processesGone(context),
    restartAt: null,
    ...(e.data.exitCode === null ? {} : { exitCode: e.data.exitCode, finishedAt: e.recordedAt }),
  };
});

export const onStopped = update(
  (): Partial<ContainerContext> => ({ restartAt: null, manuallyStopped: true }),
);

export const onPaused = update(
  ({ context }: Args): Partial<ContainerContext> => ({ health: healthStopped(context.health) }),
);

/** Unpausing starts the health monitor again: the next probe is an interval away. */
export const onUnpaused = update(({ context, event }: Args): Partial<ContainerContext> => {
  const h = context.health;
  const hc = context.config.healthcheck;
  if (h === null || !hasProbe(hc)) return {};
  const now = (event as Ev<"container.unpaused">).recordedAt;
  return { health: { ...h, nextProbeAt: now + probeDelay(hc, context.startedAt ?? now, now, h.status) } };
});

export const onHealthSet = update(
  ({ event }: Args): Partial<ContainerContext> => ({
    healthAnswer: (event as Ev<"container.healthSet">).data.exitCode,
  }),
);

export const onHealthChecked = update(({ context, event }: Args): Partial<ContainerContext> => {
  const e = event as Ev<"container.healthChecked">;
  const h = context.health;
  const hc = context.config.healthcheck;
  if (h === null || !hasProbe(hc)) return {};
  const { status, failingStreak } = e.data;
  const now = e.recordedAt;
  return {
    health: {
      ...h,
      status,
      failingStreak,
      nextProbeAt: now + probeDelay(hc, context.startedAt ?? now, now, status),
    },
  };
});

export const onRenamed = update(
  ({ event }: Args): Partial<ContainerContext> => ({
    name: (event as Ev<"container.renamed">).data.newName,
  }),
);

export const onRemovalStarted = update(({ event }: Args): Partial<ContainerContext> => {
  const { deadline, fails } = (event as Ev<"container.removalStarted">).data;
  return { removal: { deadline, fails }, restartAt: null };
});

export const onRemovalFailed = update(
  ({ event }: Args): Partial<ContainerContext> => ({
    removal: null,
    error: (event as Ev<"container.removalFailed">).data.error,
  }),
);
