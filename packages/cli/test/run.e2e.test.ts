/**
 * `strata run` as a user runs it, beside the real docker CLI (28.2) against `strata serve` on the same
 * kind of image: a program the image lacks fails the start (127, runc's message, the container left
 * `created`), and a run whose program ignores the signals it forwards gives up at the third SIGINT or
 * SIGTERM, as docker's does, leaving the container running.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { BIN, docker, serve } from "./support/strataServe.js";

const tmp = tempDirs("strata-run-");
const OCI =
  "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ";

function strata(log: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "--log", log, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A log with `base:1`: a root filesystem tar imported, with `/bin/sh` and `/bin/sleep`. */
function logWithRootfs(dir: string): string {
  const root = join(dir, "rootfs");
  mkdirSync(join(root, "bin"), { recursive: true });
  for (const p of ["sh", "sleep"]) {
    writeFileSync(join(root, "bin", p), "#!\n");
    chmodSync(join(root, "bin", p), 0o755);
  }
  const tar = join(dir, "root.tar");
  expect(spawnSync("tar", ["-cf", tar, "-C", root, "."]).status).toBe(0);
  const log = join(dir, "log");
  const imported = strata(log, "import", "-c", 'CMD ["/bin/sh"]', tar, "base:1");
  expect(imported.code, imported.err).toBe(0);
  return log;
}

/** Resolves with the exit code and stderr of a child once it ends. */
function ended(child: ChildProcess): Promise<{ code: number | null; err: string }> {
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, err })));
}

/** Polls until `check` holds (a container the run started shows as running). */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("timed out waiting");
}

/** Three SIGINT/SIGTERM a moment apart, as a user pressing Ctrl-C. */
async function interrupt(child: ChildProcess): Promise<void> {
  for (const signal of ["SIGINT", "SIGTERM", "SIGINT"] as const) {
    child.kill(signal);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe("strata run", () => {
  test("a program the image does not have: exit 127 with runc's message, and the container stays created", () => {
    const log = logWithRootfs(tmp());
    const r = strata(log, "run", "--name", "r1", "base:1", "/nonexistent");
    expect(r).toMatchObject({
      code: 127,
      err: `strata: Error response from daemon: ${OCI}exec: "/nonexistent": stat /nonexistent: no such file or directory: unknown\n\nRun 'strata run --help' for more information\n`,
    });
    expect(strata(log, "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "r1").out).toBe(
      "created 127\n",
    );
    expect(strata(log, "run", "--rm", "base:1", "nosuch").code).toBe(127);
  });

  test("three SIGINT/SIGTERM end a run whose program ignores them, as docker's; the container keeps running", async () => {
    const log = logWithRootfs(tmp());
    const child = spawn(process.execPath, [
      BIN,
      "--log",
      log,
      "run",
      "--name",
      "long",
      "base:1",
      "sleep",
      "100",
    ]);
    const done = ended(child);
    await until(() => strata(log, "ps", "--filter", "name=long", "-q").out !== "");
    await interrupt(child);
    const r = await done;
    expect(r).toEqual({ code: 1, err: "\ngot 3 SIGTERM/SIGINTs, forcefully exiting\n" });
    expect(strata(log, "ps", "--format", "{{.Names}} {{.State}}").out).toBe("long running\n");
  });

  test("docker run against strata serve does the same: 127 for a missing program, 1 after three signals", async () => {
    const dir = tmp();
    const log = logWithRootfs(dir);
    const s = await serve("--log", log, "--socket", join(dir, "d.sock"));
    const missing = await docker(s.address, "run", "--name", "r1", "base:1", "/nonexistent");
    expect(missing).toMatchObject({ code: 127 });
    expect(missing.err).toContain(`exec: "/nonexistent": stat /nonexistent: no such file or directory`);
    const child = spawn("docker", ["run", "--name", "long", "base:1", "sleep", "100"], {
      env: { ...process.env, DOCKER_HOST: s.address },
    });
    const done = ended(child);
    await until(async () => (await docker(s.address, "ps", "-q", "--filter", "name=long")).out !== "");
    await interrupt(child);
    expect(await done).toEqual({ code: 1, err: "\ngot 3 SIGTERM/SIGINTs, forcefully exiting\n" });
    expect((await docker(s.address, "ps", "--format", "{{.Names}} {{.State}}")).out).toBe("long running\n");
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
  });
});
