/**
 * The process space of a running container: PID 1 and exec'd processes, signals and their
 * dispositions, stop timeouts on the simulated clock, restart policies and backoff, wait.
 */
import { describe, expect, test } from "vitest";
import { baseImage, Scenario, types } from "./support/scenario.js";

const create = (extra: Record<string, unknown> = {}) =>
  ({ type: "container.create", image: "base:1", name: "web", ...extra }) as const;
const start = { type: "container.start", container: "web" } as const;

describe("stop", () => {
  test("given PID 1 without a SIGTERM handler, when stop, then it waits the 10 s timeout and SIGKILLs (137)", () => {
    const s = new Scenario().given(baseImage, create(), start);
    const r = s.when({ type: "container.stop", container: "web" });
    expect(types(r)).toEqual(["container.stopRequested", "container.signalled"]);
    expect(s.status("web")).toBe("running");
    s.after(9_999);
    expect(s.status("web")).toBe("running");
    s.after(1);
    expect(s.status("web")).toBe("exited");
    expect(s.context("web").exitCode).toBe(137);
    const tail = s.engine.log.read().slice(-3);
    expect(tail.map((e) => e.type)).toEqual(["container.signalled", "container.died", "container.stopped"]);
    expect(tail[0]?.recordedAt).toBe(r.ok ? (r.events[0]?.recordedAt ?? 0) + 10_000 : -1);
  });

  test("given PID 1 that exits 0 on SIGTERM, when stop, then it exits at once with 0", () => {
    const s = new Scenario().given(
      baseImage,
      create({ handlers: { SIGTERM: { action: "exit", exitCode: 0 } } }),
      start,
    );
    const r = s.when({ type: "container.stop", container: "web" });
    expect(types(r)).toEqual([
      "container.stopRequested",
      "container.signalled",
      "container.died",
      "container.stopped",
    ]);
    expect(s.context("web").exitCode).toBe(0);
  });

  test("given a custom timeout of 0, when stop, then SIGKILL follows at once", () => {
    const s = new Scenario().given(baseImage, create(), start);
    const r = s.when({ type: "container.stop", container: "web", timeout: 0 });
    expect(types(r)).toEqual([
      "container.stopRequested",
      "container.signalled",
      "container.signalled",
      "container.died",
      "container.stopped",
    ]);
    expect(s.context("web").exitCode).toBe(137);
  });

  test("given a timeout of -1, when stop, then it never SIGKILLs", () => {
    const s = new Scenario().given(baseImage, create(), start);
    s.when({ type: "container.stop", container: "web", timeout: -1 });
    s.after(3_600_000);
    expect(s.status("web")).toBe("running");
    s.given({ type: "process.exit", container: "web", pid: 1, exitCode: 4 });
    expect(s.status("web")).toBe("exited");
    expect(s.context("web").exitCode).toBe(4);
  });

  test("given a stop waiting for its timeout, when the container is paused past the deadline, then SIGKILL thaws and kills it", () => {
    const s = new Scenario().given(baseImage, create(), start, {
      type: "container.stop",
      container: "web",
      timeout: 1,
    });
    s.given({ type: "container.pause", container: "web" });
    s.after(1_000);
    expect(s.status("web")).toBe("exited");
    expect(
      s.engine.log
        .read()
        .slice(-4)
        .map((e) => e.type),
    ).toEqual(["container.signalled", "container.unpaused", "container.died", "container.stopped"]);
  });

  test("the stop signal comes from the request, else the container's STOPSIGNAL, else SIGTERM", () => {
    const s = new Scenario().given(baseImage, create({ stopSignal: "USR1", stopTimeout: 2 }), start);
    const r = s.when({ type: "container.stop", container: "web" });
    expect(r.ok && r.events[1]?.type === "container.signalled" && r.events[1].data.signal).toBe("SIGUSR1");
    s.after(2_000);
    expect(s.status("web")).toBe("exited");
  });
});

describe("signals", () => {
  test("PID 1 ignores signals it has no handler for, except SIGKILL", () => {
    const s = new Scenario().given(baseImage, create(), start);
    for (const signal of ["TERM", "HUP", "INT", "USR1"]) {
      expect(types(s.when({ type: "container.kill", container: "web", signal }))).toEqual([
        "container.signalled",
      ]);
      expect(s.status("web")).toBe("running");
    }
    s.when({ type: "container.kill", container: "web", signal: "KILL" });
    expect(s.context("web").exitCode).toBe(137);
  });

  test("other processes die of their signal with 128 + N, unless it is ignored by default", () => {
    const s = new Scenario().given(baseImage, create(), start, {
      type: "container.exec",
      container: "web",
      cmd: ["sleep", "1d"],
    });
    expect(s.context("web").processes.map((p) => p.pid)).toEqual([1, 2]);
    expect(types(s.when({ type: "process.signal", container: "web", pid: 2, signal: "SIGWINCH" }))).toEqual([
      "container.signalled",
    ]);
    const r = s.when({ type: "process.signal", container: "web", pid: 2, signal: "SIGTERM" });
    expect(r.ok && r.events[1]).toMatchObject({
      type: "process.exited",
      data: { pid: 2, exitCode: 143, signal: "SIGTERM" },
    });
    expect(s.status("web")).toBe("running");
    expect(s.context("web").execs[0]).toMatchObject({ running: false, exitCode: 143 });
  });

  test("a trapped handler can make PID 1 exit on a signal, or a process ignore one", () => {
    const s = new Scenario().given(baseImage, create(), start, {
      type: "container.exec",
      container: "web",
      cmd: ["app"],
    });
    s.given({ type: "process.trap", container: "web", pid: 2, signal: "TERM", action: { action: "ignore" } });
    s.when({ type: "process.signal", container: "web", pid: 2, signal: "TERM" });
    expect(s.context("web").processes).toHaveLength(2);
    s.given({
      type: "process.trap",
      container: "web",
      pid: 1,
      signal: "HUP",
      action: { action: "exit", exitCode: 7 },
    });
    s.when({ type: "container.kill", container: "web", signal: "HUP" });
    expect(s.status("web")).toBe("exited");
    expect(s.context("web").exitCode).toBe(7);
  });

  test("an unknown signal is a 400 in Docker's words (kill's router prefixes the container)", () => {
    const s = new Scenario().given(baseImage, create(), start);
    const r = s.when({ type: "container.kill", container: "web", signal: "SIGBOGUS" });
    expect(r.outcome).toBe("refused");
    expect(!r.ok && r.error.toJSON()).toMatchObject({
      code: "InvalidParameter",
      status: 400,
      message: "cannot kill container: web: invalid signal: SIGBOGUS",
    });
  });

  test("a signal to a process that does not exist is a 404", () => {
    const s = new Scenario().given(baseImage, create(), start);
    const r = s.when({ type: "process.signal", container: "web", pid: 9, signal: "TERM" });
    expect(!r.ok && r.error.code).toBe("NotFound");
  });
});

describe("exec", () => {
  test("exec adds processes with the next PIDs; when PID 1 exits, every exec'd process ends", () => {
    const s = new Scenario().given(baseImage, create(), start);
    for (let i = 0; i < 3; i++) s.given({ type: "container.exec", container: "web", cmd: ["worker"] });
    expect(s.context("web").processes.map((p) => p.pid)).toEqual([1, 2, 3, 4]);
    const r = s.when({ type: "process.exit", container: "web", pid: 1, exitCode: 0 });
    expect(types(r)).toEqual(["process.exited", "process.exited", "process.exited", "container.died"]);
    expect(s.context("web").processes).toEqual([]);
    s.given(start);
    s.given({ type: "container.exec", container: "web", cmd: ["again"] });
    expect(s.context("web").processes.map((p) => p.pid)).toEqual([1, 2]);
  });

  test("an exec with an exit code runs and ends at once (docker exec c true)", () => {
    const s = new Scenario().given(baseImage, create(), start);
    const r = s.when({ type: "container.exec", container: "web", cmd: ["true"], exitCode: 0 });
    expect(types(r)).toEqual(["container.execStarted", "process.exited"]);
  });
});

describe("restart policies", () => {
  const exit = (code: number) =>
    ({ type: "process.exit", container: "web", pid: 1, exitCode: code }) as const;

  test("no: an exit stays exited", () => {
    const s = new Scenario().given(baseImage, create(), start, exit(1));
    s.after(120_000);
    expect(s.status("web")).toBe("exited");
  });

  test("on-failure:2 restarts non-zero exits twice, with a doubling backoff, then gives up", () => {
    const s = new Scenario().given(
      baseImage,
      create({ restartPolicy: { name: "on-failure", maximumRetryCount: 2 } }),
      start,
    );
    s.given(exit(1));
    expect(s.status("web")).toBe("restarting");
    expect(s.context("web")).toMatchObject({ restartCount: 1, backoffMs: 100 });
    s.after(99);
    expect(s.status("web")).toBe("restarting");
    s.after(1);
    expect(s.status("web")).toBe("running");
    s.given(exit(1));
    expect(s.context("web")).toMatchObject({ restartCount: 2, backoffMs: 200 });
    s.after(200);
    s.given(exit(1));
    expect(s.status("web")).toBe("exited");
  });

  test("on-failure does not restart an exit 0", () => {
    const s = new Scenario().given(
      baseImage,
      create({ restartPolicy: { name: "on-failure", maximumRetryCount: 0 } }),
      start,
      exit(0),
    );
    expect(s.status("web")).toBe("exited");
  });

  test("always: the backoff doubles up to 1 minute and resets after a run of 10 s", () => {
    const s = new Scenario().given(
      baseImage,
      create({ restartPolicy: { name: "always", maximumRetryCount: 0 } }),
      start,
    );
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      s.given(exit(0));
      delays.push(s.context("web").backoffMs);
      s.after(s.context("web").backoffMs);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    s.after(10_000);
    s.given(exit(0));
    expect(s.context("web").backoffMs).toBe(100);
  });

  test("a user's stop or kill is never undone by the policy; start resets the restart count", () => {
    const s = new Scenario().given(
      baseImage,
      create({ restartPolicy: { name: "always", maximumRetryCount: 0 } }),
      start,
    );
    s.given(exit(1));
    s.after(100);
    expect(s.context("web").restartCount).toBe(1);
    s.given({ type: "container.kill", container: "web" });
    s.after(120_000);
    expect(s.status("web")).toBe("exited");
    s.given(start);
    expect(s.context("web").restartCount).toBe(0);
  });

  test("--rm removes the container after it exits, and cannot be combined with a restart policy", () => {
    const s = new Scenario().given(baseImage, create({ autoRemove: true }), start);
    const r = s.when(exit(0));
    expect(types(r)).toEqual(["container.died", "container.removalStarted", "container.destroyed"]);
    expect(s.status("web")).toBe("gone");
    const bad = s.when(create({ autoRemove: true, restartPolicy: { name: "always", maximumRetryCount: 0 } }));
    expect(!bad.ok && bad.error.message).toBe("can't create 'AutoRemove' container with restart policy");
  });
});

describe("restart", () => {
  test("given a running container whose PID 1 ignores SIGTERM, restart waits the timeout, then starts again", () => {
    const s = new Scenario().given(baseImage, create(), start);
    s.when({ type: "container.restart", container: "web", timeout: 3 });
    s.after(3_000);
    expect(s.status("web")).toBe("running");
    const tail = s.engine.log
      .read()
      .slice(-4)
      .map((e) => e.type);
    expect(tail).toEqual(["container.died", "container.stopped", "container.started", "container.restarted"]);
  });
});

describe("removal", () => {
  test("a removal that fails part-way leaves the container dead; removing it again can succeed", () => {
    const s = new Scenario().given(baseImage, create());
    const r = s.when({ type: "container.remove", container: "web", fault: { fail: true } });
    // The removal failed part-way: its events are recorded and the command still answers 500.
    expect(r.outcome).toBe("failed");
    expect(types(r)).toEqual(["container.removalStarted", "container.removalFailed"]);
    expect(!r.ok && r.error.toJSON()).toMatchObject({
      code: "System",
      status: 500,
      reason: "removal-failed",
      message: 'cannot remove container "web": unable to remove filesystem: injected fault',
    });
    expect(
      s.engine.log
        .read()
        .slice(-2)
        .map((e) => e.type),
    ).toEqual(types(r));
    expect(s.status("web")).toBe("dead");
    expect(s.context("web").error).toBe("unable to remove filesystem: injected fault");
    s.given({ type: "container.remove", container: "web" });
    expect(s.status("web")).toBe("gone");
  });

  test("a slow removal is observable as removing; the name is released only when it completes", () => {
    const s = new Scenario().given(baseImage, create());
    s.given({ type: "container.remove", container: "web", fault: { delayMs: 500 } });
    expect(s.status("web")).toBe("removing");
    expect(s.when(create()).ok).toBe(false);
    s.after(500);
    expect(s.status("web")).toBe("gone");
    expect(s.when(create()).ok).toBe(true);
  });
});

describe("wait", () => {
  test("wait returns at once for a stopped container, and at the next exit for a running one", async () => {
    const s = new Scenario().given(baseImage, create(), start);
    const waiting = s.engine.wait("web");
    s.given({ type: "process.exit", container: "web", pid: 1, exitCode: 99 });
    await expect(waiting).resolves.toEqual({ statusCode: 99 });
    await expect(s.engine.wait("web")).resolves.toEqual({ statusCode: 99 });
    await expect(s.engine.wait("nope")).rejects.toMatchObject({ code: "NotFound" });
  });

  test("wait --condition removed resolves when the container is gone", async () => {
    const s = new Scenario().given(baseImage, create());
    const waiting = s.engine.wait("web", "removed");
    s.given({ type: "container.remove", container: "web", fault: { delayMs: 10 } });
    s.after(10);
    await expect(waiting).resolves.toEqual({ statusCode: 0 });
  });
});
