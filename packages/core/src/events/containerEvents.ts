/**
 * `container.*` and `process.*` events: what happened to a container and its process space. Every event
 * of this file belongs to the stream of one container (its id). Types are past tense; see
 * docs/events.md for the meaning of each.
 */
import * as v from "valibot";
import {
  ContainerConfigSchema,
  ContainerIdSchema,
  ExecIdSchema,
  ExitCodeSchema,
  ImageIdSchema,
  PidSchema,
  SignalActionSchema,
  SignalHandlersSchema,
  SignalNameSchema,
  TimestampSchema,
} from "./common.js";

const event = <T extends string, D extends v.GenericSchema>(type: T, data: D) =>
  v.strictObject({ type: v.literal(type), data });
const empty = v.strictObject({});

export const ContainerCreated = event(
  "container.created",
  v.strictObject({
    containerId: ContainerIdSchema,
    name: v.string(),
    imageId: ImageIdSchema,
    config: ContainerConfigSchema,
    /** The image reference the user gave, normalised (`base:1`, or an id); absent in older logs. */
    imageRef: v.optional(v.string()),
    /** The image reference exactly as the user typed it (Docker's `Config.Image`); absent in older logs. */
    imageAsGiven: v.optional(v.string()),
  }),
);
/** The main process started as PID 1. `manual` is true for a user's start/restart (resets RestartCount). */
export const ContainerStarted = event(
  "container.started",
  v.strictObject({ pid: v.literal(1), manual: v.boolean() }),
);
/** Follows `container.started` when a user's `restart` caused it (Docker's `restart` event). */
export const ContainerRestarted = event("container.restarted", empty);
/** A stop began: the stop signal follows; `deadline` is when SIGKILL is due (null: wait forever). */
export const ContainerStopRequested = event(
  "container.stopRequested",
  v.strictObject({
    signal: SignalNameSchema,
    timeout: v.pipe(v.number(), v.safeInteger(), v.minValue(-1)),
    deadline: v.nullable(TimestampSchema),
    thenStart: v.boolean(),
  }),
);
/** A signal was delivered to a process (Docker's `kill` event). What it did follows as its own events. */
export const ContainerSignalled = event(
  "container.signalled",
  v.strictObject({ pid: PidSchema, signal: SignalNameSchema, cancelsRestartPolicy: v.boolean() }),
);
/** A process installed (or replaced) a signal handler. */
export const ProcessTrapped = event(
  "process.trapped",
  v.strictObject({ pid: PidSchema, signal: SignalNameSchema, action: SignalActionSchema }),
);
/** `exec` started a process with the next PID (Docker's `exec_create` + `exec_start`). */
export const ContainerExecStarted = event(
  "container.execStarted",
  v.strictObject({
    execId: ExecIdSchema,
    pid: PidSchema,
    cmd: v.array(v.string()),
    handlers: SignalHandlersSchema,
  }),
);
/** A process other than PID 1 ended (Docker's `exec_die`). `signal` is set when a signal killed it. */
export const ProcessExited = event(
  "process.exited",
  v.strictObject({ pid: PidSchema, exitCode: ExitCodeSchema, signal: v.nullable(SignalNameSchema) }),
);
/**
 * PID 1 ended, and with it every other process (Docker's `die`). `restart` is the restart policy's
 * verdict: null, or when the container starts again.
 */
export const ContainerDied = event(
  "container.died",
  v.strictObject({
    exitCode: ExitCodeSchema,
    signal: v.nullable(SignalNameSchema),
    restart: v.nullable(
      v.strictObject({
        restartCount: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
        delayMs: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
        restartAt: TimestampSchema,
      }),
    ),
  }),
);
/** A user's stop completed (Docker's `stop`), or cancelled a pending restart. */
export const ContainerStopped = event("container.stopped", empty);
/** A pending policy restart was cancelled by kill or rm -f; the container is exited. */
export const ContainerRestartCancelled = event("container.restartCancelled", empty);
export const ContainerPaused = event("container.paused", empty);
export const ContainerUnpaused = event("container.unpaused", empty);
export const ContainerRenamed = event(
  "container.renamed",
  v.strictObject({ oldName: v.string(), newName: v.string() }),
);
/** Removal began. With `deadline` it completes at that time; `fails` is an injected fault. */
export const ContainerRemovalStarted = event(
  "container.removalStarted",
  v.strictObject({ deadline: v.nullable(TimestampSchema), fails: v.boolean() }),
);
/** Removal failed part-way: the container is `dead`. */
export const ContainerRemovalFailed = event("container.removalFailed", v.strictObject({ error: v.string() }));
/** The container is gone (Docker's `destroy`); its name is free again. */
export const ContainerDestroyed = event("container.destroyed", empty);
/** The container was committed into a new image (Docker's `commit`). */
export const ContainerCommitted = event("container.committed", v.strictObject({ imageId: ImageIdSchema }));
/**
 * The runtime refused to start PID 1 (Docker's `start` failing with 127, 126 or 128): the container
 * keeps its state (`created` stays `created`) with this exit code and error. From `restarting` (a policy
 * restart that failed) it becomes `exited`, keeping its previous exit code, as Docker's monitor does.
 */
export const ContainerStartFailed = event(
  "container.startFailed",
  v.strictObject({ exitCode: ExitCodeSchema, error: v.string() }),
);
/** The kernel's OOM killer killed a process of the container (Docker's `oom`); SIGKILL follows. */
export const ContainerOomKilled = event("container.oomKilled", v.strictObject({ pid: PidSchema }));
/** From now on the health check command exits with `exitCode` (an injected fact about the program). */
export const ContainerHealthSet = event("container.healthSet", v.strictObject({ exitCode: ExitCodeSchema }));
const HealthStatusSchema = v.picklist(["starting", "healthy", "unhealthy"]);
/** A health probe ran: its exit code, and the health status and failing streak after it. */
export const ContainerHealthChecked = event(
  "container.healthChecked",
  v.strictObject({
    exitCode: ExitCodeSchema,
    status: HealthStatusSchema,
    failingStreak: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  }),
);
/** The health status changed (Docker's `health_status: <status>`). */
export const ContainerHealthStatusChanged = event(
  "container.healthStatusChanged",
  v.strictObject({ status: HealthStatusSchema }),
);
/** An exec instance was created and not started yet (Docker's `exec_create`). */
export const ContainerExecCreated = event(
  "container.execCreated",
  v.strictObject({
    execId: ExecIdSchema,
    cmd: v.array(v.string()),
    handlers: SignalHandlersSchema,
    /** If set, the process exits with it as soon as it starts. */
    exitCode: v.nullable(ExitCodeSchema),
  }),
);
/**
 * The daemon went down under a live container: its processes are gone (exit code, or null to keep the
 * previous one for a container that was `restarting`). The container is `exited` and not marked stopped
 * by hand, so its restart policy decides at the next boot.
 */
export const ContainerShutDown = event(
  "container.shutDown",
  v.strictObject({ exitCode: v.nullable(ExitCodeSchema) }),
);

export const ContainerEventSchemas = [
  ContainerCreated,
  ContainerStarted,
  ContainerRestarted,
  ContainerStopRequested,
  ContainerSignalled,
  ProcessTrapped,
  ContainerExecStarted,
  ProcessExited,
  ContainerDied,
  ContainerStopped,
  ContainerRestartCancelled,
  ContainerPaused,
  ContainerUnpaused,
  ContainerRenamed,
  ContainerRemovalStarted,
  ContainerRemovalFailed,
  ContainerDestroyed,
  ContainerCommitted,
  ContainerStartFailed,
  ContainerOomKilled,
  ContainerHealthSet,
  ContainerHealthChecked,
  ContainerHealthStatusChanged,
  ContainerExecCreated,
  ContainerShutDown,
] as const;

export const ContainerEventSchema = v.variant("type", ContainerEventSchemas);
/** Any event of a container's stream: `{ type, data }`. */
export type ContainerEvent = v.InferOutput<typeof ContainerEventSchema>;
