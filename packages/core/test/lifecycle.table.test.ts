/**
 * The command × container-state table of the reference (docs/lifecycle.md), one case per cell, in
 * given/when/then form: given a container in STATE, when COMMAND, then OUTCOME.
 */
import { describe, expect, test } from "vitest";
import { PROBE_EXEC_ID, PROBE_SETUP, PROBES, type ProbeOutcome, probe, STATES } from "./support/probe.js";

type Expected = { to: string; events: string[] } | { code: string; reason: string };
type Column = (typeof STATES)[number] | "absent";

const ok = (to: string, ...events: string[]): Expected => ({
  to,
  events: events.map((e) => (e.includes(".") ? e : `container.${e}`)),
});
const err = (code: string, reason: string): Expected => ({ code, reason });

const notRunning = err("Conflict", "not-running");
const notPaused = err("System", "not-paused");
const commitAt = (to: string) => ok(to, "image.created", "committed");
const removed = ok("gone", "removalStarted", "destroyed");

const noSuch = err("NotFound", "no-such-container");
const noExec = err("NotFound", "no-such-exec");
const pruned = (to: string, ...events: string[]) => ok(to, ...events, "daemon.containersPruned");
const restarted = (to: string, ...events: string[]) => ({
  to,
  events: events.map((e) => (e.includes(".") ? e : `container.${e}`)),
});

const TABLE: Record<string, Record<Column, Expected>> = {
  start: {
    created: ok("running", "started"),
    running: err("NotModified", "already-running"),
    paused: err("Conflict", "start-paused"),
    restarting: err("NotModified", "already-running"),
    exited: ok("running", "started"),
    dead: err("Conflict", "marked-for-removal"),
    removing: err("Conflict", "marked-for-removal"),
    absent: noSuch,
  },
  stop: {
    created: err("NotModified", "already-stopped"),
    // PID 1 has no SIGTERM handler: it ignores the signal, the stop waits for its timeout.
    running: ok("running", "stopRequested", "signalled"),
    paused: ok("running", "stopRequested", "signalled", "unpaused"),
    restarting: ok("exited", "stopped"),
    exited: err("NotModified", "already-stopped"),
    dead: err("NotModified", "already-stopped"),
    removing: err("NotModified", "already-stopped"),
    absent: noSuch,
  },
  kill: {
    created: notRunning,
    running: ok("exited", "signalled", "died"),
    paused: ok("exited", "signalled", "unpaused", "died"),
    restarting: ok("exited", "restartCancelled"),
    exited: notRunning,
    dead: notRunning,
    removing: notRunning,
    absent: err("NotFound", "no-such-container"),
  },
  pause: {
    created: notRunning,
    running: ok("paused", "paused"),
    paused: err("Conflict", "already-paused"),
    restarting: err("Conflict", "restarting"),
    exited: notRunning,
    dead: notRunning,
    removing: notRunning,
    absent: noSuch,
  },
  unpause: {
    created: notPaused,
    running: notPaused,
    paused: ok("running", "unpaused"),
    restarting: notPaused,
    exited: notPaused,
    dead: notPaused,
    removing: notPaused,
    absent: noSuch,
  },
  restart: {
    created: ok("running", "started", "restarted"),
    running: ok("running", "stopRequested", "signalled"),
    paused: ok("running", "stopRequested", "signalled", "unpaused"),
    // Docker's restart stops first: the pending restart is cancelled (its `stop`), then it starts.
    restarting: ok("running", "stopped", "started", "restarted"),
    exited: ok("running", "started", "restarted"),
    dead: err("System", "restart-failed"),
    removing: err("System", "restart-failed"),
    absent: noSuch,
  },
  exec: {
    created: notRunning,
    running: ok("running", "execStarted"),
    paused: err("Conflict", "paused"),
    restarting: err("Conflict", "restarting"),
    exited: notRunning,
    dead: notRunning,
    removing: notRunning,
    absent: noSuch,
  },
  commit: {
    created: commitAt("created"),
    running: ok("running", "paused", "image.created", "committed", "unpaused"),
    paused: commitAt("paused"),
    restarting: commitAt("restarting"),
    exited: commitAt("exited"),
    dead: err("Conflict", "commit-dead"),
    removing: err("Conflict", "commit-removing"),
    absent: noSuch,
  },
  rm: {
    created: removed,
    running: err("Conflict", "remove-running"),
    paused: err("Conflict", "remove-paused"),
    restarting: err("Conflict", "remove-running"),
    exited: removed,
    dead: removed,
    removing: err("Conflict", "removal-in-progress"),
    absent: noSuch,
  },
  "rm -f": {
    created: removed,
    running: ok("gone", "signalled", "died", "removalStarted", "destroyed"),
    paused: ok("gone", "signalled", "unpaused", "died", "removalStarted", "destroyed"),
    restarting: ok("gone", "restartCancelled", "removalStarted", "destroyed"),
    exited: removed,
    dead: removed,
    removing: err("Conflict", "removal-in-progress"),
    absent: noSuch,
  },
  "fs write (cp into)": {
    created: ok("created", "fs.fileWritten"),
    running: ok("running", "fs.fileWritten"),
    paused: ok("paused", "fs.fileWritten"),
    restarting: ok("restarting", "fs.fileWritten"),
    exited: ok("exited", "fs.fileWritten"),
    dead: err("System", "no-rw-layer"),
    removing: err("System", "no-rw-layer"),
    absent: noSuch,
  },
  rename: {
    created: ok("created", "renamed"),
    running: ok("running", "renamed"),
    paused: ok("paused", "renamed"),
    restarting: ok("restarting", "renamed"),
    exited: ok("exited", "renamed"),
    dead: ok("dead", "renamed"),
    removing: ok("removing", "renamed"),
    absent: noSuch,
  },

  "exec create": {
    created: notRunning,
    running: ok("running", "execCreated"),
    paused: err("Conflict", "paused"),
    restarting: err("Conflict", "restarting"),
    exited: notRunning,
    dead: notRunning,
    removing: notRunning,
    absent: noSuch,
  },
  // The instance is created right after the start; PID 1's exit unregisters an instance never started.
  "exec start": {
    created: noExec,
    running: ok("running", "execStarted"),
    paused: err("Conflict", "paused"),
    restarting: noExec,
    exited: noExec,
    dead: noExec,
    removing: noExec,
    absent: noExec,
  },
  oom: {
    created: notRunning,
    running: ok("exited", "oomKilled", "died"),
    paused: err("Conflict", "paused"),
    restarting: err("Conflict", "restarting"),
    exited: notRunning,
    dead: notRunning,
    removing: notRunning,
    absent: noSuch,
  },
  "set health": {
    created: ok("created", "healthSet"),
    running: ok("running", "healthSet"),
    paused: ok("paused", "healthSet"),
    restarting: ok("restarting", "healthSet"),
    exited: ok("exited", "healthSet"),
    dead: ok("dead", "healthSet"),
    removing: ok("removing", "healthSet"),
    absent: noSuch,
  },
  "container prune": {
    created: pruned("gone", "removalStarted", "destroyed"),
    running: pruned("running"),
    paused: pruned("paused"),
    restarting: pruned("restarting"),
    exited: pruned("gone", "removalStarted", "destroyed"),
    dead: pruned("gone", "removalStarted", "destroyed"),
    removing: pruned("removing"),
    absent: pruned("gone"),
  },
  // Graceful: the stop signal (ignored by a PID 1 without a handler), then SIGKILL.
  "daemon restart": {
    created: restarted("created", "daemon.restarted"),
    running: restarted("exited", "signalled", "signalled", "died", "daemon.restarted"),
    paused: restarted("exited", "signalled", "unpaused", "signalled", "died", "daemon.restarted"),
    restarting: restarted("running", "shutDown", "daemon.restarted", "started"),
    exited: restarted("exited", "daemon.restarted"),
    dead: restarted("dead", "daemon.restarted"),
    removing: restarted("dead", "daemon.restarted", "removalFailed"),
    absent: restarted("gone", "daemon.restarted"),
  },
  "daemon restart (crashed)": {
    created: restarted("created", "daemon.restarted"),
    running: restarted("exited", "shutDown", "daemon.restarted"),
    paused: restarted("exited", "shutDown", "daemon.restarted"),
    restarting: restarted("running", "shutDown", "daemon.restarted", "started"),
    exited: restarted("exited", "daemon.restarted"),
    dead: restarted("dead", "daemon.restarted"),
    removing: restarted("dead", "daemon.restarted", "removalFailed"),
    absent: restarted("gone", "daemon.restarted"),
  },
};

const summary = (o: ProbeOutcome): Expected =>
  o.error ? { code: o.error.code, reason: o.error.reason } : { to: o.to ?? "", events: [...o.events] };

describe("command × container state", () => {
  test("every probed command has a row", () => {
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(PROBES).sort());
  });
  for (const [label, command] of Object.entries(PROBES)) {
    for (const state of STATES) {
      const expected = TABLE[label]?.[state];
      test(`given a ${state} container, when ${label}, then ${JSON.stringify(expected)}`, () => {
        expect(summary(probe(state, command, PROBE_SETUP[label]))).toEqual(expected);
      });
    }
    const absent = TABLE[label]?.absent;
    test(`given no such container, when ${label}, then ${JSON.stringify(absent)}`, () => {
      const o = probe("absent", command);
      expect(summary(o)).toEqual(absent);
      if (o.error?.reason === "no-such-container")
        expect(o.error.message).toBe(
          command.type === "container.kill"
            ? "cannot kill container: web: No such container: web"
            : "No such container: web",
        );
      if (o.error?.reason === "no-such-exec")
        expect(o.error.message).toBe(`No such exec instance: ${PROBE_EXEC_ID}`);
    });
  }
});
