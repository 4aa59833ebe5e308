/**
 * The runtime's look at a container's program when it starts it (runc's `exec.LookPath` in the
 * container's root): what it finds, in Go's words, and what the start does with it (the exit code
 * 127/126/128 and moby's message, the container kept as it was). An image without files is a model
 * image: its programs are simulated and always start.
 */
import { type Command, type LayerEntry, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, lookPath } from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

const L1 = `sha256:${"1".repeat(64)}`;
const NOW = Date.UTC(2026, 0, 1);
const OCI =
  "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ";

const meta = { uid: 0, gid: 0, mtime: NOW };
const dir = (path: string, mode = 0o755): LayerEntry => ({ type: "dir", path, mode, ...meta });
const link = (path: string, target: string): LayerEntry => ({ type: "symlink", path, target, ...meta });

const PASSWD =
  "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/:/bin/sh\n";

function given(
  entries?: (file: (path: string, mode: number, text?: string, uid?: number) => LayerEntry) => LayerEntry[],
) {
  const clock = simulatedClock(NOW);
  const e = createFsEngine({ clock, ids: sequentialIds("look") });
  const file = (path: string, mode: number, text = "#!", uid = 0): LayerEntry => ({
    type: "file",
    path,
    mode,
    uid,
    gid: uid,
    mtime: NOW,
    digest: e.putBlob(text),
    size: Buffer.byteLength(text),
  });
  const layer = entries?.(file) ?? [
    dir("/bin"),
    file("/bin/sh", 0o755),
    file("/bin/busybox", 0o755),
    link("/bin/sleep", "busybox"),
    file("/bin/cat", 0o644),
    file("/bin/own", 0o700, "#!", 1000),
    dir("/etc"),
    file("/etc/passwd", 0o644, PASSWD),
    link("/loop", "/loop"),
    dir("/app"),
    file("/app/run", 0o755),
    dir("/usr"),
    dir("/usr/local"),
    dir("/usr/local/bin"),
    file("/usr/local/bin/tool", 0o755),
  ];
  const run = (c: Command) => {
    const r = e.execute(c);
    if (!r.ok) throw r.error;
    return r;
  };
  run({ type: "layer.create", layerId: L1, entries: layer });
  run({ type: "image.create", layers: [{ id: L1, parent: null }], tags: ["app:1"], cmd: ["sh"] });
  return { e, clock, run };
}

/** What the runtime says of `program` in a fresh container of app:1 with `env`, `workingDir`, `user`. */
function look(
  program: string,
  options: { env?: string[]; workingDir?: string; uid?: number; gid?: number } = {},
) {
  const { e, run } = given();
  run({ type: "container.create", image: "app:1", name: "c1" });
  return lookPath(e.view("c1"), program, {
    env: options.env ?? [],
    workingDir: options.workingDir ?? "",
    uid: options.uid ?? 0,
    gid: options.gid ?? 0,
  });
}

describe("lookPath: what runc's exec.LookPath answers in the container's root", () => {
  test("given a path that does not exist, then stat's ENOENT", () => {
    expect(look("/nonexistent")).toBe('exec: "/nonexistent": stat /nonexistent: no such file or directory');
  });

  test("given a bare name no PATH directory has, then not found in $PATH (Docker's default PATH)", () => {
    expect(look("nosuch")).toBe('exec: "nosuch": executable file not found in $PATH');
    expect(look("tool")).toBeNull(); // /usr/local/bin is on Docker's default PATH
    expect(look("sleep")).toBeNull(); // a symlink to an executable
  });

  test("given the container's PATH, then only its directories are searched; an empty PATH has none", () => {
    expect(look("run", { env: ["PATH=/app"] })).toBeNull();
    expect(look("sh", { env: ["PATH=/app"] })).toBe('exec: "sh": executable file not found in $PATH');
    expect(look("sh", { env: ["PATH="] })).toBe('exec: "sh": executable file not found in $PATH');
    expect(look("sh", { env: ["PATH=/nowhere", "PATH=/bin"] })).toBeNull(); // the last one wins
  });

  test("given a directory, then EISDIR; a file without an execute bit, then EACCES (skipped in a PATH search)", () => {
    expect(look("/bin")).toBe('exec: "/bin": is a directory');
    expect(look("/bin/cat")).toBe('exec: "/bin/cat": permission denied');
    expect(look("cat")).toBe('exec: "cat": executable file not found in $PATH');
  });

  test("given a file as a directory, then ENOTDIR; a symlink loop, then ELOOP", () => {
    expect(look("/bin/sh/x")).toBe('exec: "/bin/sh/x": stat /bin/sh/x: not a directory');
    expect(look("/loop")).toBe('exec: "/loop": stat /loop: too many levels of symbolic links');
  });

  test("given a relative path, then it is the working directory's; a relative PATH entry is Go's ErrDot", () => {
    expect(look("./run", { workingDir: "/app" })).toBeNull();
    expect(look("./run")).toBe('exec: "./run": stat ./run: no such file or directory');
    expect(look("run", { env: ["PATH=app"] })).toBe(
      'exec: "run": cannot run executable found relative to current directory',
    );
  });

  test("given a user, then the execute bit is the user's: owner, group, other (root needs any one)", () => {
    expect(look("/bin/own")).toBeNull();
    expect(look("/bin/own", { uid: 1000, gid: 1000 })).toBeNull();
    expect(look("/bin/own", { uid: 1001, gid: 1001 })).toBe('exec: "/bin/own": permission denied');
    expect(look('/a"b')).toBe('exec: "/a\\"b": stat /a"b: no such file or directory');
  });
});

describe("a start the runtime refuses (given an image with files)", () => {
  test("when the program is missing, then the start fails with 127 and runc's message; the container stays created", () => {
    const { e, run } = given();
    run({ type: "container.create", image: "app:1", name: "r1", cmd: ["/nonexistent"] });
    const r = e.execute({ type: "container.start", container: "r1" });
    expect(r.outcome).toBe("failed");
    const message = `${OCI}exec: "/nonexistent": stat /nonexistent: no such file or directory: unknown`;
    expect(r.ok ? null : r.error.toJSON()).toMatchObject({ code: "InvalidParameter", status: 400, message });
    expect(r.outcome === "failed" ? r.events.map((x) => x.type) : []).toEqual(["container.startFailed"]);
    const c = e.state.containers[e.state.names.r1 as string];
    expect(c?.status).toBe("created");
    expect(c?.context.exitCode).toBe(127);
    expect(c?.context.error).toBe(message);
  });

  test("when the program is a directory, then 126 with ': permission denied' added (moby's fudge for docker/cli)", () => {
    const { e, run } = given();
    run({ type: "container.create", image: "app:1", name: "d1", cmd: ["/bin"] });
    const r = e.execute({ type: "container.start", container: "d1" });
    expect(r.ok ? null : r.error.message).toBe(
      `${OCI}exec: "/bin": is a directory: unknown: permission denied`,
    );
    expect(e.state.containers[e.state.names.d1 as string]?.context.exitCode).toBe(126);
  });

  test("when a path component is a file, then 127 with moby's hint; a loop is 128 and a 500", () => {
    const { e, run } = given();
    run({ type: "container.create", image: "app:1", name: "n1", cmd: ["/bin/sh/x"] });
    run({ type: "container.create", image: "app:1", name: "l1", cmd: ["/loop"] });
    const n = e.execute({ type: "container.start", container: "n1" });
    expect(n.ok ? null : n.error.message).toBe(
      `${OCI}exec: "/bin/sh/x": stat /bin/sh/x: not a directory: unknown: Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type`,
    );
    expect(e.state.containers[e.state.names.n1 as string]?.context.exitCode).toBe(127);
    const l = e.execute({ type: "container.start", container: "l1" });
    expect(l.ok ? null : l.error.toJSON()).toMatchObject({ code: "System", status: 500 });
    expect(e.state.containers[e.state.names.l1 as string]?.context.exitCode).toBe(128);
  });

  test("when the program is written into the container before the start, then it starts (files are looked at when it starts)", () => {
    const { e, run } = given();
    run({ type: "container.create", image: "app:1", name: "w1", cmd: ["/opt/app"] });
    expect(e.execute({ type: "container.start", container: "w1" }).outcome).toBe("failed");
    run({ type: "fs.mkdir", container: "w1", path: "/opt" });
    run({ type: "fs.writeFile", container: "w1", path: "/opt/app", content: "#!", mode: 0o755 });
    expect(e.execute({ type: "container.start", container: "w1" }).outcome).toBe("accepted");
    expect(e.state.containers[e.state.names.w1 as string]?.status).toBe("running");
  });

  test("when the policy restarts a container whose program went, then the restart fails and it stays exited with its code", () => {
    const { e, clock, run } = given();
    run({
      type: "container.create",
      image: "app:1",
      name: "p1",
      cmd: ["/app/run"],
      restartPolicy: { name: "always", maximumRetryCount: 0 },
    });
    run({ type: "container.start", container: "p1" });
    run({ type: "fs.remove", container: "p1", path: "/app/run" });
    run({ type: "process.exit", container: "p1", pid: 1, exitCode: 3 });
    expect(e.state.containers[e.state.names.p1 as string]?.status).toBe("restarting");
    clock.advance(1000);
    const fired = e.tick().map((x) => x.type);
    expect(fired).toEqual(["container.startFailed"]);
    const c = e.state.containers[e.state.names.p1 as string];
    expect([c?.status, c?.context.exitCode]).toEqual(["exited", 3]);
  });

  test("when a running container's program went and it is restarted, then the restart answers 500 Cannot restart container", () => {
    const { e, run } = given();
    run({
      type: "container.create",
      image: "app:1",
      name: "q1",
      cmd: ["/app/run"],
      handlers: { SIGTERM: { action: "exit", exitCode: 0 } },
    });
    run({ type: "container.start", container: "q1" });
    run({ type: "fs.remove", container: "q1", path: "/app/run" });
    const r = e.execute({ type: "container.restart", container: "q1" });
    expect(r.ok ? null : r.error.toJSON()).toMatchObject({
      code: "System",
      message: `Cannot restart container q1: ${OCI}exec: "/app/run": stat /app/run: no such file or directory: unknown`,
    });
    expect(e.state.containers[e.state.names.q1 as string]?.context.exitCode).toBe(127);
  });

  test("when the daemon restarts, then a container its policy starts again is looked up too", () => {
    const { e, run } = given();
    run({
      type: "container.create",
      image: "app:1",
      name: "b1",
      cmd: ["/app/run"],
      restartPolicy: { name: "always", maximumRetryCount: 0 },
    });
    run({ type: "container.start", container: "b1" });
    run({ type: "fs.remove", container: "b1", path: "/app/run" });
    const r = run({ type: "daemon.restart" });
    expect(r.events.map((x) => x.type).slice(-2)).toEqual(["daemon.restarted", "container.startFailed"]);
    const c = e.state.containers[e.state.names.b1 as string];
    expect([c?.status, c?.context.exitCode]).toEqual(["exited", 127]);
  });

  test("given an image without files (a model image), then any program starts", () => {
    const { e, run } = given(() => []);
    run({ type: "container.create", image: "app:1", name: "m1", cmd: ["/nonexistent"] });
    expect(e.execute({ type: "container.start", container: "m1" }).outcome).toBe("accepted");
  });

  test("given a container with no program at all (no Cmd, no Entrypoint: Docker would not create it), then it starts (a model container)", () => {
    const { e, run } = given();
    run({ type: "image.create", layers: [{ id: L1, parent: null }], tags: ["bare:1"] });
    run({ type: "container.create", image: "bare:1", name: "none" });
    expect(e.execute({ type: "container.start", container: "none" }).outcome).toBe("accepted");
    run({ type: "container.create", image: "bare:1", name: "empty", cmd: [""] });
    expect(e.execute({ type: "container.start", container: "empty" }).outcome).toBe("failed");
  });

  test("an injected startError still wins over what the files say", () => {
    const { e, run } = given();
    run({ type: "container.create", image: "app:1", name: "i1", cmd: ["sh"], startError: "runtime" });
    const r = e.execute({ type: "container.start", container: "i1" });
    expect(r.ok ? null : r.error.message).toBe(`${OCI}injected runtime error: unknown`);
  });
});

describe("property: a start runs exactly the programs the runtime finds", () => {
  const NAMES = [
    "/bin/sh",
    "/bin/cat",
    "/bin",
    "/loop",
    "sh",
    "cat",
    "tool",
    "nosuch",
    "/app/run",
    "./run",
    "/x/y",
  ];
  test("it starts iff lookPath answers null; else the container keeps its state with 126, 127 or 128 and the message", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.constantFrom("", "/app", "/bin"),
        fc.constantFrom<string[]>([], ["PATH=/app"], ["PATH=/bin:/usr/local/bin"]),
        (program, workingDir, env) => {
          const { e, run } = given();
          run({ type: "container.create", image: "app:1", name: "c1", cmd: [program], env, workingDir });
          const expected = lookPath(e.view("c1"), program, { env, workingDir, uid: 0, gid: 0 });
          const r = e.execute({ type: "container.start", container: "c1" });
          const c = e.state.containers[e.state.names.c1 as string];
          if (expected === null) {
            expect([r.outcome, c?.status]).toEqual(["accepted", "running"]);
          } else {
            expect([r.outcome, c?.status]).toEqual(["failed", "created"]);
            expect([126, 127, 128]).toContain(c?.context.exitCode);
            expect(c?.context.error).toContain(expected);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
