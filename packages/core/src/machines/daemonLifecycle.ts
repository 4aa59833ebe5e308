/**
 * What a daemon restart does to one container (moby daemon/daemon.go `Shutdown`, `restore`). Pure
 * helpers the container machine calls.
 *
 * Shutdown (graceful): every live container is stopped the way `docker stop` does, with its own stop
 * signal, and SIGKILLed if PID 1 survives it; the daemon is shutting down, so the kill does not mark
 * the container stopped by hand and the restart manager does not restart it. The shutdown's wait for
 * the stop timeout takes no clock time here. A `restarting` container's pending restart is dropped,
 * its exit code kept. Crash: no shutdown runs; restore finds no task for a container whose Running flag
 * was set (running, paused, restarting): exit code 255.
 *
 * Boot (restore): a `removing` container becomes `dead`; a container that was started before and whose
 * restart policy says so (`always`; `unless-stopped` unless stopped by hand; `on-failure` for a
 * non-zero exit code while the restart count is below its maximum) is started again; otherwise an
 * `--rm` container (even one never started, or dead) is removed.
 */
import type { ContainerContext, ContainerStatus } from "../engine/EngineState.js";
import type { SignalName } from "../signals.js";
import type { Moment } from "./containerCommands.js";
import type { EventDraft } from "./Decision.js";
import { deliverSignal } from "./processSpace.js";
import { startMain } from "./startProcess.js";

/** Docker's exit code for a container whose task restore could not find (containerd lost it). */
export const LOST_TASK_EXIT_CODE = 255;

/** The shutdown's events for a container in `status`. */
export function shutdownDrafts(
  context: ContainerContext,
  status: ContainerStatus,
  crashed: boolean,
  at: Moment,
): EventDraft[] {
  // A crash finds every container whose Running flag was set (restarting included) without a task.
  if (crashed && (status === "running" || status === "paused" || status === "restarting"))
    return [{ type: "container.shutDown", data: { exitCode: LOST_TASK_EXIT_CODE } }];
  if (status === "restarting") return [{ type: "container.shutDown", data: { exitCode: null } }];
  if (status !== "running" && status !== "paused") return [];
  const signal = (context.config.stopSignal ?? "SIGTERM") as SignalName;
  const options = { cancelsRestartPolicy: false, removing: true } as const;
  const drafts = deliverSignal(context, 1, signal, at, {
    ...options,
    between: status === "paused" ? [{ type: "container.unpaused", data: {} }] : [],
  });
  if (drafts.some((d) => d.type === "container.died")) return drafts;
  return [...drafts, ...deliverSignal(context, 1, "SIGKILL", at, options)];
}

/** Whether restore starts the container again (moby `Container.ShouldRestart` at boot). */
export function restartsAtBoot(context: ContainerContext): boolean {
  if (context.startedAt === null) return false;
  const policy = context.config.restartPolicy;
  switch (policy.name) {
    case "always":
      return true;
    case "unless-stopped":
      return !context.manuallyStopped;
    case "on-failure":
      return (
        context.exitCode !== 0 &&
        (policy.maximumRetryCount === 0 || context.restartCount < policy.maximumRetryCount)
      );
    default:
      return false;
  }
}

const removal = (): EventDraft[] => [
  { type: "container.removalStarted", data: { deadline: null, fails: false } },
  { type: "container.destroyed", data: {} },
];

/** The boot's events for a container in `status` (after the shutdown). */
export function bootDrafts(context: ContainerContext, status: ContainerStatus, at: Moment): EventDraft[] {
  if (status === "removing")
    return [
      { type: "container.removalFailed", data: { error: "" } },
      ...(context.config.autoRemove ? removal() : []),
    ];
  if (status === "dead") return context.config.autoRemove ? removal() : [];
  if ((status === "created" || status === "exited") && restartsAtBoot(context))
    return startMain(context, at, { manual: true }).events;
  return context.config.autoRemove && (status === "created" || status === "exited") ? removal() : [];
}
