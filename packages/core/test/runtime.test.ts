/**
 * What the runtime does to containers: start failures (127/126/128), exec instances as Docker has them,
 * the OOM killer, a trap that dies of its signal, and host PIDs (State.Pid).
 */
import { inspectContainer, inspectExec } from "@strata/core";
import { describe, expect, test } from "vitest";
import { baseImage, Scenario, types } from "./support/scenario.js";

const create = (extra: Record<string, unknown> = {}) =>
  ({ type: "container.create", image: "base:1", name: "web", ...extra }) as const;
const start = { type: "container.start", container: "web" } as const;
const PREFIX =
  "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ";

describe("start failures (moby daemon/start.go, errors.go setExitCodeFromError)", () => {
  test.each([
    ["not-found", 127, 400, `${PREFIX}exec: "nosuch": executable file not found in $PATH: unknown`],
    ["not-executable", 126, 400, `${PREFIX}exec: "nosuch": permission denied: unknown`],
    ["runtime", 128, 500, `${PREFIX}injected runtime error: unknown`],
  ] as const)(
    "given a program that fails to start (%s), when start, then it stays created with %i and answers %i",
    (startError, exitCode, status, message) => {
      const s = new Scenario().given(baseImage, create({ cmd: ["nosuch"], startError }));
      const r = s.when(start);
      expect(r.outcome).toBe("failed");
      expect(types(r)).toEqual(["container.startFailed"]);
      expect(!r.ok && r.error.toJSON()).toMatchObject({ status, reason: "start-failed", message });
      expect(s.status("web")).toBe("created");
      expect(inspectContainer(s.state, "web").State).toMatchObject({
        ExitCode: exitCode,
        Error: message,
        Pid: 0,
      });
    },
  );

  test("an absolute path that does not exist is runc's stat error, still 127", () => {
    const s = new Scenario().given(baseImage, create({ cmd: ["/bin/nosuch"], startError: "not-found" }));
    const r = s.when(start);
    expect(!r.ok && r.error.message).toBe(
      `${PREFIX}exec: "/bin/nosuch": stat /bin/nosuch: no such file or directory: unknown`,
    );
  });

  test("a restart whose start fails answers 500 Cannot restart container", () => {
    const s = new Scenario().given(baseImage, create({ startError: "not-found" }));
    const r = s.when({ type: "container.restart", container: "web" });
    expect(!r.ok && r.error.toJSON()).toMatchObject({ status: 500, reason: "restart-failed" });
    expect(!r.ok && r.error.message).toMatch(/^Cannot restart container web: failed to create task/);
  });

  test("an --rm container whose start fails is removed (containerStart's cleanup)", () => {
    const s = new Scenario().given(baseImage, create({ autoRemove: true, startError: "runtime" }));
    const r = s.when(start);
    expect(types(r)).toEqual(["container.startFailed", "container.removalStarted", "container.destroyed"]);
    expect(s.status("web")).toBe("gone");
  });

  test("a failed start is waited for: wait answers its exit code and error", async () => {
    const s = new Scenario().given(baseImage, create({ startError: "not-found" }));
    s.when(start);
    const w = await s.engine.wait("web");
    expect(w.statusCode).toBe(127);
    expect(w.error).toMatch(/stat \/bin\/sh: no such file or directory/);
  });
});

describe("exec instances (moby daemon/exec.go)", () => {
  const execId = "a".repeat(64);
  test("given a running container, when exec create then start, then the instance runs once and is inspectable after it exits", () => {
    const s = new Scenario().given(baseImage, create(), start);
    s.given({ type: "container.execCreate", container: "web", execId, cmd: ["sh", "-c", "work"] });
    expect(inspectExec(s.state, execId)).toMatchObject({ Running: false, ExitCode: null, Pid: 0 });
    s.given({ type: "exec.start", exec: execId });
    const running = inspectExec(s.state, execId);
    expect(running).toMatchObject({ Running: true, ExitCode: null, ProcessConfig: { entrypoint: "sh" } });
    expect(running.Pid).toBeGreaterThan(0);
    const again = s.when({ type: "exec.start", exec: execId });
    expect(!again.ok && again.error.toJSON()).toMatchObject({
      status: 409,
      message: `exec command ${execId} is already running`,
    });
    s.given({ type: "process.exit", container: "web", pid: 2, exitCode: 5 });
    expect(inspectExec(s.state, execId)).toMatchObject({ Running: false, ExitCode: 5, Pid: running.Pid });
    const ran = s.when({ type: "exec.start", exec: execId });
    expect(!ran.ok && ran.error.toJSON()).toMatchObject({
      status: 409,
      message: `exec command ${execId} has already run`,
    });
  });

  test("an unknown exec id is 404 No such exec instance", () => {
    const s = new Scenario().given(baseImage, create(), start);
    const r = s.when({ type: "exec.start", exec: "nosuch" });
    expect(!r.ok && r.error.toJSON()).toMatchObject({
      status: 404,
      message: "No such exec instance: nosuch",
    });
    expect(() => inspectExec(s.state, "nosuch")).toThrow("No such exec instance: nosuch");
  });

  test("exec start checks the container first: paused names the container by id (409)", () => {
    const s = new Scenario().given(baseImage, create(), start, {
      type: "container.execCreate",
      container: "web",
      execId,
      cmd: ["ps"],
    });
    s.given({ type: "container.pause", container: "web" });
    const r = s.when({ type: "exec.start", exec: execId });
    const id = s.state.names.web;
    expect(!r.ok && r.error.message).toBe(`Container ${id} is paused, unpause the container before exec`);
  });

  test("when PID 1 exits, an instance never started is unregistered, a running one is killed (137) and kept", () => {
    const other = "b".repeat(64);
    const s = new Scenario().given(
      baseImage,
      create(),
      start,
      { type: "container.execCreate", container: "web", execId, cmd: ["ps"] },
      { type: "container.exec", container: "web", execId: other, cmd: ["sleep"] },
      { type: "process.exit", container: "web", pid: 1, exitCode: 0 },
    );
    expect(() => inspectExec(s.state, execId)).toThrow("No such exec instance");
    expect(inspectExec(s.state, other)).toMatchObject({ Running: false, ExitCode: 137 });
  });
});

describe("exec ids are unique (dockerd makes each one random, so it never reuses one)", () => {
  const execId = "c".repeat(64);
  const other = { type: "container.create", image: "base:1", name: "db" } as const;
  test.each([
    ["container.execCreate", "web"],
    ["container.execCreate", "db"],
    ["container.exec", "web"],
    ["container.exec", "db"],
  ] as const)(
    "given an exec instance of web, when %s with its id in %s, then 409 and nothing is appended",
    (type, container) => {
      const s = new Scenario().given(baseImage, create(), start, other, {
        type: "container.start",
        container: "db",
      });
      s.given({ type: "container.execCreate", container: "web", execId, cmd: ["ps"] });
      const before = s.engine.log.lastSeq;
      const r = s.when({ type, container, execId, cmd: ["x"] });
      expect(!r.ok && r.error.toJSON()).toMatchObject({
        status: 409,
        reason: "exec-id-in-use",
        message: `Conflict. The exec ID "${execId}" is already in use by container "${s.state.names.web}"`,
      });
      expect(s.engine.log.lastSeq).toBe(before);
      expect(inspectExec(s.state, execId).ProcessConfig.entrypoint).toBe("ps");
    },
  );

  test("the container's state is checked first: a stopped container answers not running", () => {
    const s = new Scenario().given(baseImage, create(), start, other);
    s.given({ type: "container.execCreate", container: "web", execId, cmd: ["ps"] });
    const r = s.when({ type: "container.execCreate", container: "db", execId, cmd: ["x"] });
    expect(!r.ok && r.error.reason).toBe("not-running");
  });

  test("an id freed with its container (removed) can be used again", () => {
    const s = new Scenario().given(baseImage, create(), start, other, {
      type: "container.start",
      container: "db",
    });
    s.given(
      { type: "container.execCreate", container: "web", execId, cmd: ["ps"] },
      { type: "container.remove", container: "web", force: true },
    );
    expect(s.when({ type: "container.execCreate", container: "db", execId, cmd: ["x"] }).ok).toBe(true);
  });
});

describe("the OOM killer (moby daemon/monitor.go EventOOM)", () => {
  test("given a running container, when the OOM killer kills PID 1, then oom, die 137, OOMKilled until the next start", () => {
    const s = new Scenario().given(baseImage, create(), start);
    const r = s.when({ type: "container.oom", container: "web" });
    expect(types(r)).toEqual(["container.oomKilled", "container.died"]);
    expect(inspectContainer(s.state, "web").State).toMatchObject({
      Status: "exited",
      ExitCode: 137,
      OOMKilled: true,
    });
    s.given(start);
    expect(inspectContainer(s.state, "web").State.OOMKilled).toBe(false);
  });

  test("an OOM kill is not a user's stop: the restart policy restarts the container", () => {
    const s = new Scenario().given(
      baseImage,
      create({ restartPolicy: { name: "on-failure", maximumRetryCount: 0 } }),
      start,
    );
    s.given({ type: "container.oom", container: "web" });
    expect(s.status("web")).toBe("restarting");
  });

  test("an OOM kill of an exec'd process leaves PID 1 running, OOMKilled set", () => {
    const s = new Scenario().given(baseImage, create(), start, {
      type: "container.exec",
      container: "web",
      cmd: ["hog"],
    });
    const r = s.when({ type: "container.oom", container: "web", pid: 2 });
    expect(types(r)).toEqual(["container.oomKilled", "process.exited"]);
    expect(inspectContainer(s.state, "web").State).toMatchObject({ Status: "running", OOMKilled: true });
  });
});

describe("a trap that dies of the signal", () => {
  test("given PID 1 that re-raises SIGTERM, when stop, then it dies of it: 143", () => {
    const s = new Scenario().given(baseImage, create({ handlers: { SIGTERM: { action: "die" } } }), start);
    s.given({ type: "container.stop", container: "web" });
    expect(s.status("web")).toBe("exited");
    expect(s.context("web").exitCode).toBe(143);
    const died = s.engine.log.read().find((e) => e.type === "container.died");
    expect(died?.type === "container.died" && died.data.signal).toBe("SIGTERM");
  });

  test("every Linux signal Docker accepts is known: SIGALRM kills an exec'd process with 142", () => {
    const s = new Scenario().given(baseImage, create(), start, {
      type: "container.exec",
      container: "web",
      cmd: ["x"],
    });
    s.given({ type: "process.signal", container: "web", pid: 2, signal: "ALRM" });
    expect(s.context("web").execs[0]?.exitCode).toBe(142);
  });
});

describe("host PIDs (State.Pid)", () => {
  test("State.Pid is set while running or paused, 0 otherwise, and a new one at every start", () => {
    const s = new Scenario().given(baseImage, create());
    expect(inspectContainer(s.state, "web").State.Pid).toBe(0);
    s.given(start);
    const first = inspectContainer(s.state, "web").State.Pid;
    expect(first).toBeGreaterThan(0);
    s.given({ type: "container.pause", container: "web" });
    expect(inspectContainer(s.state, "web").State.Pid).toBe(first);
    s.given({ type: "container.unpause", container: "web" }, { type: "container.kill", container: "web" });
    expect(inspectContainer(s.state, "web").State.Pid).toBe(0);
    s.given(start);
    const second = inspectContainer(s.state, "web").State.Pid;
    expect(second).toBeGreaterThan(0);
    expect(second).not.toBe(first);
  });
});
