/**
 * The simulated process space of a running container: how a process answers a signal, what follows
 * when PID 1 exits, and the restart manager's verdict. Pure functions from a container's context to
 * event drafts; the container machine calls them inside its decisions.
 */

import type { ContainerContext, ProcessInfo } from "../engine/EngineState.js";
import type { RestartPolicy } from "../events/common.js";
import {
  DEFAULT_IGNORED_SIGNALS,
  DEFAULT_STOP_SIGNALS,
  exitCodeForSignal,
  type SignalName,
} from "../signals.js";
import type { Moment } from "./containerCommands.js";
import type { EventDraft } from "./Decision.js";
import { startMain } from "./startProcess.js";

/** Docker's default stop timeout on Linux, seconds. */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 10;
/** Restart manager backoff: first delay, cap, and the run length that resets it. */
export const RESTART_BACKOFF = { initialMs: 100, maxMs: 60_000, resetAfterRunMs: 10_000 } as const;

/** How a process answers a signal. */
export type SignalOutcome =
  | { readonly kind: "ignored" }
  | { readonly kind: "exits"; readonly exitCode: number; readonly signal: SignalName | null };

/**
 * What `process` does with `signal`. SIGKILL always kills (137). A handler decides next: ignore, exit
 * with a code, or die of the signal (128 + N). Without one, PID 1 ignores the signal (a PID
 * namespace's init only gets signals it handles), and any other process takes the default action:
 * ignore for SIGCHLD/SIGCONT/SIGURG/SIGWINCH, stop for SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU (not simulated:
 * the process keeps running), else die (128 + N).
 */
export function signalOutcome(process: ProcessInfo, signal: SignalName): SignalOutcome {
  if (signal === "SIGKILL")
    return { kind: "exits", exitCode: exitCodeForSignal("SIGKILL"), signal: "SIGKILL" };
  const handler = process.handlers[signal];
  if (handler) {
    if (handler.action === "ignore") return { kind: "ignored" };
    if (handler.action === "die") return { kind: "exits", exitCode: exitCodeForSignal(signal), signal };
    return { kind: "exits", exitCode: handler.exitCode, signal: null };
  }
  if (process.pid === 1 || DEFAULT_IGNORED_SIGNALS.includes(signal) || DEFAULT_STOP_SIGNALS.includes(signal))
    return { kind: "ignored" };
  return { kind: "exits", exitCode: exitCodeForSignal(signal), signal };
}

/** The restart manager's verdict on an exit that was not a user's stop. */
export function restartVerdict(
  policy: RestartPolicy,
  context: Pick<ContainerContext, "restartCount" | "backoffMs" | "startedAt">,
  exitCode: number,
  now: number,
): { restartCount: number; delayMs: number; restartAt: number } | null {
  const restart =
    policy.name === "always" ||
    policy.name === "unless-stopped" ||
    (policy.name === "on-failure" &&
      exitCode !== 0 &&
      (policy.maximumRetryCount === 0 || context.restartCount < policy.maximumRetryCount));
  if (!restart) return null;
  const ranMs = now - (context.startedAt ?? now);
  const previous = ranMs >= RESTART_BACKOFF.resetAfterRunMs ? 0 : context.backoffMs;
  const delayMs = previous === 0 ? RESTART_BACKOFF.initialMs : Math.min(previous * 2, RESTART_BACKOFF.maxMs);
  return { restartCount: context.restartCount + 1, delayMs, restartAt: now + delayMs };
}

/** Options of {@link mainProcessExit}. */
export interface ExitOptions {
  /** The exit is part of a removal (`rm -f`): no restart and no auto-remove. */
  readonly removing?: boolean;
}

/**
 * PID 1 exited: the kernel kills every other process of the namespace (SIGKILL), the container dies,
 * and then: a user's stop completes (and a restart starts again), or the restart policy schedules a
 * restart, or `--rm` removes the container.
 */
export function mainProcessExit(
  context: ContainerContext,
  exitCode: number,
  signal: SignalName | null,
  at: Moment,
  options: ExitOptions = {},
): EventDraft[] {
  const now = at.now;
  const drafts: EventDraft[] = context.processes
    .filter((p) => p.pid !== 1)
    .map((p) => ({ type: "process.exited", data: { pid: p.pid, exitCode: 137, signal: "SIGKILL" } }));
  const stopping = context.pendingStop;
  const restart =
    options.removing || stopping || context.manuallyStopped
      ? null
      : restartVerdict(context.config.restartPolicy, context, exitCode, now);
  drafts.push({ type: "container.died", data: { exitCode, signal, restart } });
  if (stopping && !options.removing) {
    drafts.push({ type: "container.stopped", data: {} });
    if (stopping.thenStart) {
      // The start half of a restart (it may fail: then the container stays exited, see startMain).
      const after = { ...context, exitCode, pendingStop: null };
      drafts.push(
        ...startMain(after, at, { manual: true, afterStart: [{ type: "container.restarted", data: {} }] })
          .events,
      );
      return drafts;
    }
  }
  if (!restart && !options.removing && context.config.autoRemove) {
    drafts.push({ type: "container.removalStarted", data: { deadline: null, fails: false } });
    drafts.push({ type: "container.destroyed", data: {} });
  }
  return drafts;
}

/** A process exited with `exitCode` (on its own, or killed by `signal`). */
export function processExit(
  context: ContainerContext,
  pid: number,
  exitCode: number,
  signal: SignalName | null,
  at: Moment,
  options: ExitOptions = {},
): EventDraft[] {
  if (pid === 1) return mainProcessExit(context, exitCode, signal, at, options);
  return [{ type: "process.exited", data: { pid, exitCode, signal } }];
}

/** Options of {@link deliverSignal}. */
export interface DeliverOptions extends ExitOptions {
  /** The delivery marks the container manually stopped (Docker's kill and stop). */
  readonly cancelsRestartPolicy?: boolean;
  /** Events that happen between the delivery and the process's answer (the thaw of a paused container). */
  readonly between?: readonly EventDraft[];
}

/** Delivers `signal` to `pid`: Docker's `kill` event, then whatever the process does about it. */
export function deliverSignal(
  context: ContainerContext,
  pid: number,
  signal: SignalName,
  at: Moment,
  options: DeliverOptions = {},
): EventDraft[] {
  const cancels = options.cancelsRestartPolicy ?? false;
  const drafts: EventDraft[] = [
    { type: "container.signalled", data: { pid, signal, cancelsRestartPolicy: cancels } },
    ...(options.between ?? []),
  ];
  const process = context.processes.find((p) => p.pid === pid);
  if (!process) return drafts;
  const outcome = signalOutcome(process, signal);
  if (outcome.kind === "exits") {
    const after = cancels ? { ...context, manuallyStopped: true } : context;
    drafts.push(...processExit(after, pid, outcome.exitCode, outcome.signal, at, options));
  }
  return drafts;
}

/**
 * A user's stop (or the stop half of a restart): record the stop and its SIGKILL deadline, deliver the
 * stop signal (thawing a paused container), and if the timeout is 0 and the process survived, SIGKILL
 * at once.
 */
export function stopProcessSpace(
  context: ContainerContext,
  request: { signal: SignalName; timeout: number; thenStart: boolean; paused: boolean },
  at: Moment,
): EventDraft[] {
  const now = at.now;
  const deadline = request.timeout < 0 ? null : now + request.timeout * 1000;
  const pendingStop = { signal: request.signal, deadline, thenStart: request.thenStart };
  const stopping: ContainerContext = { ...context, pendingStop, manuallyStopped: true };
  const drafts: EventDraft[] = [
    {
      type: "container.stopRequested",
      data: { signal: request.signal, timeout: request.timeout, deadline, thenStart: request.thenStart },
    },
    ...deliverSignal(stopping, 1, request.signal, at, {
      cancelsRestartPolicy: true,
      between: request.paused ? [{ type: "container.unpaused", data: {} }] : [],
    }),
  ];
  const died = drafts.some((d) => d.type === "container.died");
  if (!died && deadline !== null && deadline <= now) {
    drafts.push(...deliverSignal(stopping, 1, "SIGKILL", at, { cancelsRestartPolicy: true }));
  }
  return drafts;
}
