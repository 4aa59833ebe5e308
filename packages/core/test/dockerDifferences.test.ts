/**
 * The ten differences a conformance check found (issue 14), each as given/when/then against Docker's
 * behaviour as moby's code has it.
 */
import { describe, expect, test } from "vitest";
import { baseImage, Scenario, types } from "./support/scenario.js";

const create = (extra: Record<string, unknown> = {}) =>
  ({ type: "container.create", image: "base:1", name: "web", ...extra }) as const;
const start = { type: "container.start", container: "web" } as const;
const kill = { type: "container.kill", container: "web" } as const;

describe("1. a start resets the exit code to 0 (moby State.setRunning)", () => {
  test("given a container killed by SIGKILL (137), when started by hand, then its exit code is 0", () => {
    const s = new Scenario().given(baseImage, create(), start, kill);
    expect(s.context("web").exitCode).toBe(137);
    s.given(start);
    expect(s.context("web").exitCode).toBe(0);
  });

  test("given a container the restart policy restarts after exit 3, when the backoff passes, then its exit code is 0", () => {
    const s = new Scenario().given(
      baseImage,
      create({ restartPolicy: { name: "always", maximumRetryCount: 0 } }),
      start,
      { type: "process.exit", container: "web", pid: 1, exitCode: 3 },
    );
    expect(s.status("web")).toBe("restarting");
    expect(s.context("web").exitCode).toBe(3);
    s.after(100);
    expect(s.status("web")).toBe("running");
    expect(s.context("web").exitCode).toBe(0);
  });
});

describe("2. an image not found is named as Docker looked it up (`:latest` added)", () => {
  test.each([
    ["image.remove", { type: "image.remove", image: "nosuch" }],
    ["image.tag", { type: "image.tag", image: "nosuch", tag: "x:1" }],
    ["container.create", { type: "container.create", image: "nosuch" }],
  ] as const)(
    "given no image nosuch, when %s nosuch, then 404 No such image: nosuch:latest",
    (_, command) => {
      const s = new Scenario().given(baseImage);
      const r = s.when(command);
      expect(!r.ok && r.error.toJSON()).toMatchObject({
        status: 404,
        message: "No such image: nosuch:latest",
      });
    },
  );

  test("a 64-hex id that matches nothing is named sha256:<id>", () => {
    const s = new Scenario().given(baseImage);
    const r = s.when({ type: "image.remove", image: "f".repeat(64) });
    expect(!r.ok && r.error.message).toBe(`No such image: sha256:${"f".repeat(64)}`);
  });
});

describe("3. wait --condition removed reports the exit code the container died with", () => {
  test("given a running container and a removed-wait, when rm -f, then the wait answers 137", async () => {
    const s = new Scenario().given(baseImage, create(), start);
    const waiting = s.engine.wait("web", "removed");
    s.given({ type: "container.remove", container: "web", force: true });
    await expect(waiting).resolves.toEqual({ statusCode: 137 });
  });
});

describe("4. a wait is woken when a pending restart is cancelled", () => {
  test.each([
    ["stop", { type: "container.stop", container: "web" }],
    ["kill", kill],
  ] as const)(
    "given a restarting container and a next-exit wait, when %s, then the wait answers the previous exit code",
    async (_, command) => {
      const s = new Scenario().given(
        baseImage,
        create({ restartPolicy: { name: "always", maximumRetryCount: 0 } }),
        start,
        { type: "process.exit", container: "web", pid: 1, exitCode: 3 },
      );
      const waiting = s.engine.wait("web", "not-running");
      s.given(command);
      expect(s.status("web")).toBe("exited");
      await expect(waiting).resolves.toEqual({ statusCode: 3 });
    },
  );
});

describe("5. wait refuses a condition Docker does not know", () => {
  test('when wait --condition bogus, then 400 invalid condition: "bogus" (before the container is looked up)', async () => {
    const s = new Scenario().given(baseImage);
    await expect(s.engine.wait("nosuch", "bogus" as "removed")).rejects.toMatchObject({
      code: "InvalidParameter",
      status: 400,
      message: 'invalid condition: "bogus"',
    });
  });
});

describe("6. restart of a restarting container stops it first", () => {
  test("given a restarting container, when restart, then {stopped, started, restarted}", () => {
    const s = new Scenario().given(
      baseImage,
      create({ restartPolicy: { name: "always", maximumRetryCount: 0 } }),
      start,
      { type: "process.exit", container: "web", pid: 1, exitCode: 3 },
    );
    const r = s.when({ type: "container.restart", container: "web" });
    expect(types(r)).toEqual(["container.stopped", "container.started", "container.restarted"]);
    expect(s.status("web")).toBe("running");
    expect(s.context("web").restartCount).toBe(0);
  });
});

describe("7. a commit adds exactly one history entry, its own record", () => {
  test("given a container, when committed with a message and author, then the image has the parent's history plus one entry", () => {
    const s = new Scenario().given(baseImage, create({ cmd: ["sh", "-c", "run"] }), start);
    s.clock.advance(1_000);
    const r = s.when({
      type: "container.commit",
      container: "web",
      tag: "snap:1",
      comment: "m",
      author: "a",
    });
    expect(r.ok).toBe(true);
    const image = s.state.images[s.state.tags["snap:1"] ?? ""];
    const parent = s.state.images[s.state.tags["base:1"] ?? ""];
    expect(image?.history).toEqual([
      ...(parent?.history ?? []),
      { created: s.clock.now(), createdBy: "sh -c run", comment: "m", author: "a", emptyLayer: false },
    ]);
    expect(parent?.history).toHaveLength(1);
  });
});

describe("9. a value Docker validates gets Docker's message", () => {
  test("given no image, when rmi of a blank name, then 400 image name cannot be blank", () => {
    const s = new Scenario().given(baseImage);
    for (const image of ["", "   "]) {
      const r = s.when({ type: "image.remove", image });
      expect(!r.ok && r.error.toJSON()).toMatchObject({ status: 400, message: "image name cannot be blank" });
    }
  });

  test.each([
    [
      { name: "always", maximumRetryCount: 3 },
      "invalid restart policy: maximum retry count can only be used with 'on-failure'",
    ],
    [
      { name: "unless-stopped", maximumRetryCount: -1 },
      "invalid restart policy: maximum retry count can only be used with 'on-failure' and cannot be negative",
    ],
    [
      { name: "on-failure", maximumRetryCount: -2 },
      "invalid restart policy: maximum retry count cannot be negative",
    ],
    [
      { name: "sometimes", maximumRetryCount: 0 },
      "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'",
    ],
  ])("when create with restart policy %j, then 400 %s", (restartPolicy, message) => {
    const s = new Scenario().given(baseImage);
    const r = s.when(create({ restartPolicy }));
    expect(!r.ok && r.error.toJSON()).toMatchObject({
      status: 400,
      reason: "invalid-restart-policy",
      message,
    });
  });

  test("an empty policy name is `no` (Docker's create normalises it)", () => {
    const s = new Scenario().given(baseImage, create({ restartPolicy: { name: "", maximumRetryCount: 0 } }));
    expect(s.context("web").config.restartPolicy).toEqual({ name: "no", maximumRetryCount: 0 });
  });

  test("when rename to an invalid name, then 400 with rename's prefix and the name as Docker reserves it", () => {
    const s = new Scenario().given(baseImage, create());
    const r = s.when({ type: "container.rename", container: "web", name: "-x" });
    expect(!r.ok && r.error.message).toBe(
      "Error when allocating new name: Invalid container name (/-x), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
    );
  });

  test("when kill -s SIGFOO, then 400 invalid signal: SIGFOO (kill's router names the container), even for a missing container", () => {
    const s = new Scenario().given(baseImage, create(), start);
    for (const container of ["web", "nosuch"]) {
      const r = s.when({ type: "container.kill", container, signal: "SIGFOO" });
      expect(!r.ok && r.error.toJSON()).toMatchObject({
        status: 400,
        message: `cannot kill container: ${container}: invalid signal: SIGFOO`,
      });
    }
    const n = s.when({ type: "container.kill", container: "web", signal: 99 });
    expect(!n.ok && n.error.message).toBe(
      "cannot kill container: web: the linux daemon does not support signal 99",
    );
  });

  test("when stop -s SIGFOO: a running container answers 500 (stop wraps untyped), a stopped one 304", () => {
    const s = new Scenario().given(baseImage, create(), start);
    const r = s.when({ type: "container.stop", container: "web", signal: "SIGFOO" });
    expect(!r.ok && r.error.toJSON()).toMatchObject({
      status: 500,
      message: "cannot stop container: web: invalid signal: SIGFOO",
    });
    s.given(kill);
    const again = s.when({ type: "container.stop", container: "web", signal: "SIGFOO" });
    expect(!again.ok && again.error.status).toBe(304);
  });

  test("when create with --stop-signal SIGFOO, a relative working dir or an empty env name, then 400 in Docker's words", () => {
    const s = new Scenario().given(baseImage);
    const cases = [
      [{ stopSignal: "SIGFOO" }, "invalid signal: SIGFOO"],
      [{ workingDir: "app" }, "the working directory 'app' is invalid, it needs to be an absolute path"],
      [{ env: ["=x"] }, "invalid environment variable: =x"],
    ] as const;
    for (const [extra, message] of cases) {
      const r = s.when(create(extra));
      expect(!r.ok && r.error.toJSON(), JSON.stringify(extra)).toMatchObject({ status: 400, message });
    }
  });

  test("settings are checked before the image and the name, as Docker's create does", () => {
    const s = new Scenario().given(baseImage);
    const r = s.when({ type: "container.create", image: "nosuch", name: "-bad", stopSignal: "SIGFOO" });
    expect(!r.ok && r.error.reason).toBe("invalid-signal");
    const r2 = s.when({ type: "container.create", image: "nosuch", name: "-bad" });
    expect(!r2.ok && r2.error.reason).toBe("no-such-image");
    const r3 = s.when({ type: "container.create", image: "base:1", name: "-bad" });
    expect(!r3.ok && r3.error.reason).toBe("invalid-name");
  });
});

describe("10. a removal that fails part-way records dead and answers 500", () => {
  test("given a running container, when rm -f fails, then its kill and the failure are recorded and the rm answers 500", () => {
    const s = new Scenario().given(baseImage, create(), start);
    const r = s.when({ type: "container.remove", container: "web", force: true, fault: { fail: true } });
    expect(r.outcome).toBe("failed");
    expect(types(r)).toEqual([
      "container.signalled",
      "container.died",
      "container.removalStarted",
      "container.removalFailed",
    ]);
    expect(!r.ok && r.error.toJSON()).toMatchObject({
      code: "System",
      status: 500,
      reason: "removal-failed",
    });
    expect(s.status("web")).toBe("dead");
  });

  test("every other refusal appends nothing", () => {
    const s = new Scenario().given(baseImage, create(), start);
    const before = s.engine.log.lastSeq;
    const r = s.when({ type: "container.remove", container: "web" });
    expect(r.outcome).toBe("refused");
    expect(s.engine.log.lastSeq).toBe(before);
  });

  test("a dead container's removed-wait answers at once with the removal's error", async () => {
    const s = new Scenario().given(baseImage, create());
    const waiting = s.engine.wait("web", "removed");
    s.given({ type: "container.remove", container: "web", fault: { fail: true } });
    await expect(waiting).resolves.toEqual({
      statusCode: 0,
      error: "unable to remove filesystem: injected fault",
    });
    await expect(s.engine.wait("web", "removed")).resolves.toEqual({
      statusCode: 0,
      error: "unable to remove filesystem: injected fault",
    });
  });
});
