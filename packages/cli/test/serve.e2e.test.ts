/**
 * `strata serve` as a user runs it: the built binary in its own process, the real docker CLI (28.2) on
 * its socket. It listens on a 0600 socket or loopback, stops cleanly on SIGTERM and SIGINT, starts
 * again with everything in place, refuses a socket in use, and loses nothing it acknowledged when
 * killed with SIGKILL in the middle of requests.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const BIN = new URL("../dist/bin.js", import.meta.url).pathname;
const tmp = tempDirs("strata-serve-");
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`run pnpm build first (${BIN} is missing)`);
});

interface Running {
  readonly child: ChildProcess;
  /** The address printed once it listens. */
  readonly address: string;
  out(): string;
  err(): string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
}

/** Starts `strata serve ARGS` and waits until it says where it listens (or exits). */
function serve(...args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [BIN, "serve", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const exited = new Promise<number | string>((resolve) =>
    child.on("close", (code, signal) => resolve(code ?? signal ?? "?")),
  );
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /on ((?:unix|tcp):\/\/\S+) /.exec(out);
      if (m) resolve({ child, address: m[1] as string, out: () => out, err: () => err, exited });
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    void exited.then((code) => reject(new Error(`strata serve exited ${code} before listening: ${err}`)));
  });
}

/** Runs the docker CLI against `host` (asynchronously: the loop stays free). */
function docker(host: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn("docker", args, {
      env: { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(tmp(), ".docker") },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

/** A log with the image `base:1` (from a script: the API has no registry to pull from). */
function logWithImage(dir: string): string {
  const log = join(dir, "log");
  const script = join(dir, "setup.jsonl");
  writeFileSync(
    script,
    `${JSON.stringify({ type: "image.create", layers: [], tags: ["base:1"], cmd: ["sh"] })}\n`,
  );
  const r = spawnSync(process.execPath, [BIN, "run", script, "--log", log], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return log;
}

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
  test("a 0600 socket; SIGTERM stops it cleanly (exit 0, socket gone); it starts again with everything in place", async () => {
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

    const second = await serve("--log", log, "--socket", socket);
    const after = await docker(second.address, "inspect", "web", "idle");
    expect(after.out).toBe(before.out);
    expect((await docker(second.address, "ps", "--format", "{{.Names}} {{.State}}")).out).toBe(
      "web running\n",
    );
    second.child.kill("SIGINT");
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
    expect(bad.status).toBe(2);
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
