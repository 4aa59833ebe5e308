/**
 * Starting PID 1, and the runtime refusing to (Docker's `containerStart` and `setExitCodeFromError`,
 * moby daemon/start.go and daemon/errors.go). Pure helpers the container machine calls.
 */
import type { ContainerContext } from "../engine/EngineState.js";
import type { Rejection } from "../errors.js";
import type { StartError } from "../events/common.js";
import type { EventDraft } from "./Decision.js";

/** The program PID 1 runs: the entrypoint, then the cmd. */
export function mainCommand(context: ContainerContext): string[] {
  return [...(context.config.entrypoint ?? []), ...context.config.cmd];
}

const OCI_PREFIX =
  "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ";

/**
 * The exit code, error class and message of a start the runtime refuses. Docker maps the runtime's
 * message: "permission denied" → 126 (400), "executable file not found" / "no such file or directory"
 * → 127 (400), anything else → 128 (500). The runtime's own words are runc's; their exact text
 * depends on the runc and containerd versions (docs/lifecycle.md lists the choice).
 */
export function startFailure(
  kind: StartError,
  program: string,
): { readonly exitCode: number; readonly code: Rejection["code"]; readonly message: string } {
  switch (kind) {
    case "not-found":
      return {
        exitCode: 127,
        code: "InvalidParameter",
        message: program.includes("/")
          ? `${OCI_PREFIX}exec: "${program}": stat ${program}: no such file or directory: unknown`
          : `${OCI_PREFIX}exec: "${program}": executable file not found in $PATH: unknown`,
      };
    case "not-executable":
      return {
        exitCode: 126,
        code: "InvalidParameter",
        message: `${OCI_PREFIX}exec: "${program}": permission denied: unknown`,
      };
    case "runtime":
      return { exitCode: 128, code: "System", message: `${OCI_PREFIX}injected runtime error: unknown` };
  }
}

/** What a start does: PID 1 starts, or the runtime refuses (then the events and the rejection). */
export type StartOutcome =
  | { readonly ok: true; readonly events: EventDraft[] }
  | { readonly ok: false; readonly events: EventDraft[]; readonly rejection: Rejection };

/**
 * Starts PID 1. `manual`: a user's start or restart (resets the restart count). `keepExitCode`: the
 * start is the restart manager's (a failure leaves the previous exit code, as Docker's monitor does).
 * `afterStart`: events that follow a successful start (Docker's `restart`).
 */
export function startMain(
  context: ContainerContext,
  options: { manual: boolean; keepExitCode?: boolean; afterStart?: EventDraft[]; removeOnFailure?: boolean },
): StartOutcome {
  const kind = context.config.startError;
  if (kind === undefined)
    return {
      ok: true,
      events: [
        { type: "container.started", data: { pid: 1, manual: options.manual } },
        ...(options.afterStart ?? []),
      ],
    };
  const failure = startFailure(kind, mainCommand(context)[0] ?? "");
  const events: EventDraft[] = [
    {
      type: "container.startFailed",
      data: { exitCode: options.keepExitCode ? context.exitCode : failure.exitCode, error: failure.message },
    },
  ];
  // Docker removes an --rm container whose start failed (containerStart's deferred cleanup).
  if ((options.removeOnFailure ?? true) && context.config.autoRemove)
    events.push(
      { type: "container.removalStarted", data: { deadline: null, fails: false } },
      { type: "container.destroyed", data: {} },
    );
  return {
    ok: false,
    events,
    rejection: { code: failure.code, reason: "start-failed", message: failure.message },
  };
}
