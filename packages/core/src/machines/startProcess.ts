/**
 * Starting PID 1, and the runtime refusing to (Docker's `containerStart` and `setExitCodeFromError`,
 * moby daemon/start.go and daemon/errors.go). Pure helpers the container machine calls.
 */
import type { ContainerContext } from "../engine/EngineState.js";
import type { Rejection } from "../errors.js";
import type { StartError } from "../events/common.js";
import { goQuote } from "../goQuote.js";
import type { Moment } from "./containerCommands.js";
import type { EventDraft } from "./Decision.js";

/** The program PID 1 runs: the entrypoint, then the cmd. */
export function mainCommand(context: ContainerContext): string[] {
  return [...(context.config.entrypoint ?? []), ...context.config.cmd];
}

const OCI_PREFIX =
  "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ";

/**
 * The runtime's words for an injected start fault (`startError`): what runc's `exec.LookPath` says
 * of a program it cannot find (a path: `stat`'s ENOENT; a bare name: not found in $PATH) or cannot
 * execute, or a runtime error of another kind.
 */
export function injectedRefusal(kind: StartError, program: string): string {
  switch (kind) {
    case "not-found":
      return program.includes("/")
        ? `exec: ${goQuote(program)}: stat ${program}: no such file or directory`
        : `exec: ${goQuote(program)}: executable file not found in $PATH`;
    case "not-executable":
      return `exec: ${goQuote(program)}: permission denied`;
    case "runtime":
      return "injected runtime error";
  }
}

/**
 * The exit code, error class and message of a start the runtime refuses with `refusal` (its own
 * words, e.g. `exec: "/x": stat /x: no such file or directory`), as dockerd maps them (moby
 * daemon/errors.go `setExitCodeFromError`, on the message containerd passes on): "permission denied"
 * → 126; "is a directory" → 126 with ": permission denied" added (for docker/cli's exit code); "not a
 * directory" → 127 with moby's hint about mounts added; "executable file not found" / "no such file or
 * directory" → 127; all three 400. Anything else → 128 and a 500.
 */
export function startFailure(refusal: string): {
  readonly exitCode: number;
  readonly code: Rejection["code"];
  readonly message: string;
} {
  const message = `${OCI_PREFIX}${refusal}: unknown`;
  const has = (part: string) => message.toLowerCase().includes(part);
  if (has("permission denied")) return { exitCode: 126, code: "InvalidParameter", message };
  if (has("is a directory"))
    return { exitCode: 126, code: "InvalidParameter", message: `${message}: permission denied` };
  if (has("not a directory"))
    return {
      exitCode: 127,
      code: "InvalidParameter",
      message: `${message}: Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type`,
    };
  if (has("executable file not found") || has("no such file or directory"))
    return { exitCode: 127, code: "InvalidParameter", message };
  return { exitCode: 128, code: "System", message };
}

/** What a start does: PID 1 starts, or the runtime refuses (then the events and the rejection). */
export type StartOutcome =
  | { readonly ok: true; readonly events: EventDraft[] }
  | { readonly ok: false; readonly events: EventDraft[]; readonly rejection: Rejection };

/**
 * Starts PID 1, unless the runtime refuses the program: the container's injected `startError`, else
 * what `at.lookPath` finds. `manual`: a user's start or restart (resets the restart count).
 * `keepExitCode`: the start is the restart manager's (a failure leaves the previous exit code, as
 * Docker's monitor does). `afterStart`: events that follow a successful start (Docker's `restart`).
 */
export function startMain(
  context: ContainerContext,
  at: Moment,
  options: { manual: boolean; keepExitCode?: boolean; afterStart?: EventDraft[]; removeOnFailure?: boolean },
): StartOutcome {
  const injected = context.config.startError;
  const refusal =
    injected === undefined
      ? (at.lookPath?.() ?? null)
      : injectedRefusal(injected, mainCommand(context)[0] ?? "");
  if (refusal === null)
    return {
      ok: true,
      events: [
        { type: "container.started", data: { pid: 1, manual: options.manual } },
        ...(options.afterStart ?? []),
      ],
    };
  const failure = startFailure(refusal);
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
