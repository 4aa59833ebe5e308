/**
 * Docker's `wait`, as a pure watcher over events: `startWait` answers at once when the condition
 * already holds, or returns a `watch` function to feed every later event to, which answers when one
 * wakes the waiter (moby container/state.go: `SetStopped`, `SetRestarting` wake the stop waiters;
 * `SetRemoved`, `SetRemovalError` wake every waiter). Any engine — in memory, or over a durable log that
 * others write too — feeds it the events it folds.
 */
import { InvalidParameterError, NotFoundError } from "../errors.js";
import type { EventEnvelope } from "../events/envelope.js";
import type { EngineState } from "./EngineState.js";
import { findContainer } from "./resolve.js";

/** What `wait` waits for (Docker's `--condition`). */
export type WaitCondition = "not-running" | "next-exit" | "removed";

/** What `wait` answers (Docker's wait response): the exit code, and the container's error if it has one. */
export interface WaitResult {
  readonly statusCode: number;
  /** Docker's `Error.Message`: the last start or removal error, e.g. after a removal that failed. */
  readonly error?: string;
}

const WAIT_CONDITIONS: readonly string[] = ["not-running", "next-exit", "removed"];

/**
 * Starts a wait on container `ref` in `state`: `{ done }` when it is answered at once, else `{ watch }`
 * to call with each later event (in order) until it returns an answer. Throws Docker's errors for an
 * unknown condition (400) or container (404).
 */
export function startWait(
  state: EngineState,
  ref: string,
  condition: WaitCondition,
): { readonly done: WaitResult } | { readonly watch: (e: EventEnvelope) => WaitResult | null } {
  if (!WAIT_CONDITIONS.includes(condition))
    throw new InvalidParameterError("invalid-condition", `invalid condition: ${JSON.stringify(condition)}`);
  const record = findContainer(state, ref);
  if (!record) throw new NotFoundError("no-such-container", `No such container: ${ref}`);
  const id = record.context.id;
  const answer = (exitCode: number, error: string): WaitResult =>
    error === "" ? { statusCode: exitCode } : { statusCode: exitCode, error };
  const live = record.status === "running" || record.status === "paused" || record.status === "restarting";
  if (condition === "not-running" && !live)
    return { done: answer(record.context.exitCode, record.context.error) };
  if (condition === "removed" && record.status === "dead")
    return { done: answer(record.context.exitCode, record.context.error) };
  let exitCode = record.context.exitCode;
  let restarting = record.status === "restarting";
  return {
    watch(e) {
      if (e.streamId !== id) return null;
      const woken = wakes(e, exitCode, restarting);
      exitCode = woken.exitCode;
      restarting =
        e.type === "container.died"
          ? e.data.restart !== null
          : restarting && !woken.stop && e.type !== "container.started";
      if (!woken.stop && !woken.removed) return null;
      if (condition === "removed" && !woken.removed) return null;
      return answer(exitCode, woken.error);
    },
  };
}

/**
 * Whether event `e` wakes a container's waiters (moby container/state.go: `SetStopped`,
 * `SetRestarting` wake the stop waiters; `SetRemoved`, `SetRemovalError` wake every waiter), and the
 * exit code the container has after it.
 */
function wakes(
  e: EventEnvelope,
  exitCode: number,
  restarting: boolean,
): { exitCode: number; stop: boolean; removed: boolean; error: string } {
  const none = { exitCode, stop: false, removed: false, error: "" };
  switch (e.type) {
    case "container.started":
      return { ...none, exitCode: 0 };
    case "container.startFailed":
      // A start the runtime refused records its code; only the restart manager's (the container was
      // restarting) marks the container stopped and wakes the waiters.
      return { ...none, exitCode: e.data.exitCode, stop: restarting };
    case "container.died":
      return { ...none, exitCode: e.data.exitCode, stop: true };
    case "container.shutDown":
      return { ...none, exitCode: e.data.exitCode ?? exitCode, stop: true };
    case "container.stopped":
    case "container.restartCancelled":
      return { ...none, stop: true };
    case "container.destroyed":
      return { ...none, removed: true, stop: true };
    case "container.removalFailed":
      return { ...none, removed: true, stop: true, error: e.data.error };
    default:
      return none;
  }
}
