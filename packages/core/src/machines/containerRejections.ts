/**
 * Docker's refusals of container commands, in its words (docs/lifecycle.md lists them by reason).
 */
import { shortId } from "../ids.js";
import { type Cmd, rejected } from "./containerMachineKit.js";

const pidOf = (k: unknown) => (k as Cmd<"process.exit">).pid;

export const E = {
  noSuchContainer: rejected("NotFound", "no-such-container", (_, c) => `No such container: ${c.ref}`),
  /** kill's router prefixes every error with `cannot kill container: <ref>: `. */
  killNoSuchContainer: rejected(
    "NotFound",
    "no-such-container",
    (_, c) => `cannot kill container: ${c.ref}: No such container: ${c.ref}`,
  ),
  alreadyExists: rejected("Conflict", "container-exists", (c) => `container ${c.id} already exists`),
  alreadyRunning: rejected("NotModified", "already-running", () => "container is already running"),
  startPaused: rejected(
    "Conflict",
    "start-paused",
    () => "cannot start a paused container, try unpause instead",
  ),
  markedForRemoval: rejected(
    "Conflict",
    "marked-for-removal",
    () => "container is marked for removal and cannot be started",
  ),
  alreadyStopped: rejected("NotModified", "already-stopped", () => "container is already stopped"),
  notRunning: rejected("Conflict", "not-running", (c) => `container ${c.id} is not running`),
  killNotRunning: rejected(
    "Conflict",
    "not-running",
    (c, k) => `cannot kill container: ${k.ref}: container ${c.id} is not running`,
  ),
  alreadyPaused: rejected("Conflict", "already-paused", (c) => `container ${c.id} is already paused`),
  restarting: rejected(
    "Conflict",
    "restarting",
    (c) => `Container ${c.id} is restarting, wait until the container is running`,
  ),
  notPaused: rejected("System", "not-paused", (c) => `Container ${c.id} is not paused`),
  restartMarkedForRemoval: rejected(
    "System",
    "restart-failed",
    (_, k) => `Cannot restart container ${k.ref}: container is marked for removal and cannot be started`,
  ),
  pausedExec: rejected(
    "Conflict",
    "paused",
    (_, k) => `Container ${k.ref} is paused, unpause the container before exec`,
  ),
  /** exec start names the container by its id (moby `getExecConfig`). */
  pausedExecStart: rejected(
    "Conflict",
    "paused",
    (c) => `Container ${c.id} is paused, unpause the container before exec`,
  ),
  execAlreadyRan: rejected(
    "Conflict",
    "exec-already-ran",
    (_, k) => `exec command ${(k as Cmd<"exec.start">).execId} has already run`,
  ),
  execRunning: rejected(
    "Conflict",
    "exec-running",
    (_, k) => `exec command ${(k as Cmd<"exec.start">).execId} is already running`,
  ),
  /**
   * An exec id another instance has (dockerd makes each one random: never happens there). Strata's
   * ids come from the caller's id source or the command, so it refuses the second one.
   */
  execIdInUse: rejected("Conflict", "exec-id-in-use", (_, k) => {
    const x = k as Cmd<"container.execCreate">;
    return `Conflict. The exec ID "${x.execId}" is already in use by container "${x.execIdOwner}"`;
  }),
  oomPaused: rejected("Conflict", "paused", (c) => `Container ${c.id} is paused: its processes are frozen`),
  noHealthcheck: rejected(
    "InvalidParameter",
    "no-healthcheck",
    (c) => `container ${c.id} has no healthcheck`,
  ),
  commitDead: rejected("Conflict", "commit-dead", (c) => `You cannot commit container ${c.id} which is Dead`),
  commitRemoving: rejected(
    "Conflict",
    "commit-removing",
    (c) => `You cannot commit container ${c.id} which is being removed`,
  ),
  removeRunning: rejected(
    "Conflict",
    "remove-running",
    (_, k) =>
      `cannot remove container "${k.ref}": container is running: stop the container before removing or force remove`,
  ),
  removeRestarting: rejected(
    "Conflict",
    "remove-running",
    (_, k) =>
      `cannot remove container "${k.ref}": container is restarting: stop the container before removing or force remove`,
  ),
  removePaused: rejected(
    "Conflict",
    "remove-paused",
    (_, k) => `cannot remove container "${k.ref}": container is paused and must be unpaused first`,
  ),
  removalInProgress: rejected(
    "Conflict",
    "removal-in-progress",
    (_, k) => `removal of container ${k.ref} is already in progress`,
  ),
  noSuchProcess: rejected(
    "NotFound",
    "no-such-process",
    (c, k) => `No such process: ${pidOf(k)} in container ${shortId(c.id)}`,
  ),
  /** stop with a signal Docker cannot parse, on a container it would stop: an untyped 500. */
  stopBadSignal: rejected(
    "System",
    "invalid-signal",
    (_, k) => `cannot stop container: ${k.ref}: ${(k as Cmd<"container.stop">).badSignal}`,
  ),
};
