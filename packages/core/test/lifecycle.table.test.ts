/**
 * The command × container-state table of the reference (docs/lifecycle.md), one case per cell, in
 * given/when/then form: given a container in STATE, when COMMAND, then OUTCOME.
 */
import { describe, expect, test } from "vitest";
import { PROBES, type ProbeOutcome, probe, STATES } from "./support/probe.js";

type Expected = { to: string; events: string[] } | { code: string; reason: string };

const ok = (to: string, ...events: string[]): Expected => ({
  to,
  events: events.map((e) => (e.includes(".") ? e : `container.${e}`)),
});
const err = (code: string, reason: string): Expected => ({ code, reason });

const notRunning = err("Conflict", "not-running");
const notPaused = err("System", "not-paused");
const commitAt = (to: string) => ok(to, "image.created", "committed");
const removed = ok("gone", "removalStarted", "destroyed");

const TABLE: Record<string, Record<(typeof STATES)[number], Expected>> = {
  start: {
    created: ok("running", "started"),
    running: err("NotModified", "already-running"),
    paused: err("Conflict", "start-paused"),
    restarting: err("NotModified", "already-running"),
    exited: ok("running", "started"),
    dead: err("Conflict", "marked-for-removal"),
    removing: err("Conflict", "marked-for-removal"),
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
  },
  kill: {
    created: notRunning,
    running: ok("exited", "signalled", "died"),
    paused: ok("exited", "signalled", "unpaused", "died"),
    restarting: ok("exited", "restartCancelled"),
    exited: notRunning,
    dead: notRunning,
    removing: notRunning,
  },
  pause: {
    created: notRunning,
    running: ok("paused", "paused"),
    paused: err("Conflict", "already-paused"),
    restarting: err("Conflict", "restarting"),
    exited: notRunning,
    dead: notRunning,
    removing: notRunning,
  },
  unpause: {
    created: notPaused,
    running: notPaused,
    paused: ok("running", "unpaused"),
    restarting: notPaused,
    exited: notPaused,
    dead: notPaused,
    removing: notPaused,
  },
  restart: {
    created: ok("running", "started", "restarted"),
    running: ok("running", "stopRequested", "signalled"),
    paused: ok("running", "stopRequested", "signalled", "unpaused"),
    restarting: ok("running", "started", "restarted"),
    exited: ok("running", "started", "restarted"),
    dead: err("System", "restart-failed"),
    removing: err("System", "restart-failed"),
  },
  exec: {
    created: notRunning,
    running: ok("running", "execStarted"),
    paused: err("Conflict", "paused"),
    restarting: err("Conflict", "restarting"),
    exited: notRunning,
    dead: notRunning,
    removing: notRunning,
  },
  commit: {
    created: commitAt("created"),
    running: ok("running", "paused", "image.created", "committed", "unpaused"),
    paused: commitAt("paused"),
    restarting: commitAt("restarting"),
    exited: commitAt("exited"),
    dead: err("Conflict", "commit-dead"),
    removing: err("Conflict", "commit-removing"),
  },
  rm: {
    created: removed,
    running: err("Conflict", "remove-running"),
    paused: err("Conflict", "remove-paused"),
    restarting: err("Conflict", "remove-running"),
    exited: removed,
    dead: removed,
    removing: err("Conflict", "removal-in-progress"),
  },
  "rm -f": {
    created: removed,
    running: ok("gone", "signalled", "died", "removalStarted", "destroyed"),
    paused: ok("gone", "signalled", "unpaused", "died", "removalStarted", "destroyed"),
    restarting: ok("gone", "restartCancelled", "removalStarted", "destroyed"),
    exited: removed,
    dead: removed,
    removing: err("Conflict", "removal-in-progress"),
  },
  "fs write (cp into)": {
    created: ok("created", "fs.fileWritten"),
    running: ok("running", "fs.fileWritten"),
    paused: ok("paused", "fs.fileWritten"),
    restarting: ok("restarting", "fs.fileWritten"),
    exited: ok("exited", "fs.fileWritten"),
    dead: err("System", "no-rw-layer"),
    removing: err("System", "no-rw-layer"),
  },
  rename: {
    created: ok("created", "renamed"),
    running: ok("running", "renamed"),
    paused: ok("paused", "renamed"),
    restarting: ok("restarting", "renamed"),
    exited: ok("exited", "renamed"),
    dead: ok("dead", "renamed"),
    removing: ok("removing", "renamed"),
  },
};

const summary = (o: ProbeOutcome): Expected =>
  o.error ? { code: o.error.code, reason: o.error.reason } : { to: o.to ?? "", events: [...o.events] };

describe("command × container state", () => {
  for (const [label, command] of Object.entries(PROBES)) {
    for (const state of STATES) {
      const expected = TABLE[label]?.[state];
      test(`given a ${state} container, when ${label}, then ${JSON.stringify(expected)}`, () => {
        expect(summary(probe(state, command))).toEqual(expected);
      });
    }
    test(`given no such container, when ${label}, then 404 No such container`, () => {
      const o = probe("absent", command);
      expect(o.error).toMatchObject({ code: "NotFound", status: 404, message: "No such container: web" });
    });
  }
});
