/**
 * `strata serve` as a user runs it: the built binary in its own process, the real docker CLI (28.2) on
 * its socket. It listens on a 0600 socket or loopback, stops cleanly on SIGTERM and SIGINT, starts
 * again with everything in place, refuses a socket in use, and loses nothing it acknowledged when
 * killed with SIGKILL in the middle of requests.
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { docker, logWithImage, serve } from "./support/strataServe.js";

const BIN = new URL("../dist/bin.js", import.meta.url).pathname;
const tmp = tempDirs("strata-serve-");
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`run pnpm build first (${BIN} is missing)`);
});

/** POST /containers/create over the socket with a raw client: resolves with the status and body. */
function createOver(socket: string, name: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        method: "POST",
        path: `/v1.50/containers/create?name=${name}`,
        headers: { "Content-Type": "application/json" },
      },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => {
          body += d.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify({ Image: "base:1", Cmd: ["sleep", "100"] }));
  });
}

describe("strata serve", () => {
  test("a 0600 socket; SIGTERM stops it cleanly (exit 0, socket gone); it starts again on the same state", async () => {
    const dir = tmp();
    const log = logWithImage(dir);
    const socket = join(dir, "d.sock");
    const first = await serve("--log", log, "--socket", socket);
    expect(first.address).toBe(`unix://${socket}`);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const host = first.address;
    expect((await docker(host, "create", "--name", "web", "base:1", "sleep", "100")).code).toBe(0);
    expect((await docker(host, "start", "web")).code).toBe(0);
    expect((await docker(host, "create", "--name", "idle", "base:1")).code).toBe(0);
    const before = await docker(host, "inspect", "web", "idle");
    expect(before.code).toBe(0);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(first.err()).toMatch(/stopping/);

    // --live-restore: the containers are left as they were (nothing is appended as it starts).
    const second = await serve("--log", log, "--socket", socket, "--live-restore");
    const after = await docker(second.address, "inspect", "web", "idle");
    expect(after.out).toBe(before.out);
    expect((await docker(second.address, "ps", "--format", "{{.Names}} {{.State}}")).out).toBe(
      "web running\n",
    );
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });

  test("started again on a log it served, it is dockerd restarting: each container ends where the daemon's restart leaves it", async () => {
    const dir = tmp();
    const log = logWithImage(dir);
    const socket = join(dir, "d.sock");
    const first = await serve("--log", log, "--socket", socket);
    const host = first.address;
    const run = async (...args: string[]) => expect((await docker(host, "run", "-d", ...args)).code).toBe(0);
    await run("--name", "plain", "base:1", "sleep", "100");
    await run("--name", "always", "--restart", "always", "base:1", "sleep", "100");
    await run("--name", "unless", "--restart", "unless-stopped", "base:1", "sleep", "100");
    await run("--name", "stopped", "--restart", "unless-stopped", "base:1", "sleep", "100");
    expect((await docker(host, "stop", "-t", "0", "stopped")).code).toBe(0);
    expect((await docker(host, "create", "--name", "fresh", "--restart", "always", "base:1")).code).toBe(0);
    const pidBefore = (await docker(host, "inspect", "--format", "{{.State.Pid}}", "always")).out;
    const psFormat = ["ps", "-a", "--format", "{{.Names}} {{.State}}"];
    expect((await docker(host, ...psFormat)).out.split("\n").sort().join(" ")).toBe(
      " always running fresh created plain running stopped exited unless running",
    );
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    const second = await serve("--log", log, "--socket", socket);
    expect(second.err()).toMatch(/daemon restart: 3 container\(s\) stopped, 2 started again/);
    // The shutdown stopped every running container (sleep ignores SIGTERM as PID 1: SIGKILL, 137);
    // the restore started again those whose policy says so; a container never started stays created.
    expect((await docker(second.address, ...psFormat)).out.split("\n").sort().join(" ")).toBe(
      " always running fresh created plain exited stopped exited unless running",
    );
    const plain = await docker(second.address, "inspect", "--format", "{{.State.ExitCode}}", "plain");
    expect(plain.out).toBe("137\n");
    const pidAfter = (await docker(second.address, "inspect", "--format", "{{.State.Pid}}", "always")).out;
    expect(pidAfter).not.toBe(pidBefore);
    const events = await docker(
      second.address,
      "events",
      "--since",
      "0",
      // Not "0s": the client sends a duration as whole seconds (moby's GetTimestamp), which leaves out
      // the events of the current second; the next whole second includes them and ends the answer then.
      "--until",
      String(Math.floor(Date.now() / 1000) + 1),
      "--filter",
      "container=plain",
      "--format",
      "{{.Action}}",
    );
    expect(events.out.trim().split("\n").slice(-3)).toEqual(["kill", "kill", "die"]);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  test("--host tcp://127.0.0.1:0 listens on loopback and says which port; a bad --host is a usage error", async () => {
    const dir = tmp();
    const log = logWithImage(dir);
    const s = await serve("--log", log, "--host", "tcp://127.0.0.1:0");
    expect(s.address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(s.address).not.toBe("tcp://127.0.0.1:0");
    const v = await docker(s.address, "version", "--format", "{{.Server.APIVersion}}");
    expect(v).toMatchObject({ code: 0, out: "1.50\n" });
    expect(s.err()).toBe("");
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);

    const bad = spawnSync(process.execPath, [BIN, "serve", "--log", log, "--host", "127.0.0.1:80"], {
      encoding: "utf8",
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^strata serve: invalid --host "127\.0\.0\.1:80": expected tcp:\/\/HOST:PORT/);
  });

  test("a socket another server listens on is refused (exit 1), and that server keeps it", async () => {
    const dir = tmp();
    const log = logWithImage(dir);
    const socket = join(dir, "d.sock");
    const s = await serve("--log", log, "--socket", socket);
    const again = spawnSync(process.execPath, [BIN, "serve", "--log", log, "--socket", socket], {
      encoding: "utf8",
    });
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(
      `Error: cannot listen on unix://${socket}: another server is listening on it\n`,
    );
    expect((await docker(s.address, "version")).code).toBe(0);
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
  });

  test("SIGTERM while a client waits (docker wait) ends the wait and still exits 0", async () => {
    const dir = tmp();
    const log = logWithImage(dir);
    const s = await serve("--log", log, "--socket", join(dir, "d.sock"));
    expect((await docker(s.address, "run", "-d", "--name", "waiter", "base:1", "sleep", "100")).code).toBe(0);
    const waiting = docker(s.address, "wait", "waiter");
    await new Promise((r) => setTimeout(r, 300));
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    expect((await waiting).code).not.toBe(0);
  });

  test("SIGKILL in the middle of requests: every container the server acknowledged is there after a restart", async () => {
    const dir = tmp();
    const log = logWithImage(dir);
    const socket = join(dir, "d.sock");
    const acknowledged = new Set<string>();
    for (let round = 0; round < 6; round++) {
      const s = await serve("--log", log, "--socket", socket);
      const clients = Array.from({ length: 4 }, async (_, c) => {
        for (let i = 0; ; i++) {
          const name = `r${round}c${c}n${i}`;
          try {
            const r = await createOver(socket, name);
            if (r.status === 201) acknowledged.add(name);
            else throw new Error(`create ${name}: ${r.status} ${r.body}`);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === undefined) throw e;
            return; // the server is gone
          }
        }
      });
      await new Promise((r) => setTimeout(r, 150 + round * 60));
      s.child.kill("SIGKILL");
      expect(await s.exited).toBe("SIGKILL");
      await Promise.all(clients);
    }
    const verify = spawnSync(process.execPath, [BIN, "log", "verify", "--log", log], { encoding: "utf8" });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    const s = await serve("--log", log, "--socket", socket);
    const names = new Set(
      (await docker(s.address, "ps", "-a", "--format", "{{.Names}}")).out.split("\n").filter((n) => n !== ""),
    );
    expect(acknowledged.size).toBeGreaterThan(6);
    for (const name of acknowledged) expect(names.has(name), name).toBe(true);
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
  });
});
