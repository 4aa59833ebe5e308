/**
 * A minimal Engine API daemon for oracle tests: it answers /_ping and serves whatever JSON the test sets
 * per path (GET /containers/json, /images/json, /images/{id}/history, /events…), so the real docker CLI
 * (28.2, on PATH) can format data no Strata server has to produce. `docker()` runs the CLI against it
 * with TZ=UTC and a private config directory, asynchronously (the server runs in this process).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What the CLI printed, with the time window it ran in (ms since the epoch). */
export interface CliRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  readonly started: number;
  readonly ended: number;
}

/** Runs `docker ARGS` with DOCKER_HOST=host, TZ=UTC. */
export function runCli(host: string, configDir: string, args: readonly string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn("docker", [...args], {
      env: { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: configDir, TZ: "UTC", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        code,
        out: Buffer.concat(out).toString("utf8"),
        err: Buffer.concat(err).toString("utf8"),
        started,
        ended: Date.now(),
      }),
    );
  });
}

/** A running stub daemon. */
export interface StubDaemon {
  /**
   * Sets the body served at `path` (the API version prefix is ignored); a string is sent as is;
   * undefined makes the path answer 404.
   */
  set(path: string, body: unknown): void;
  docker(args: readonly string[]): Promise<CliRun>;
  close(): Promise<void>;
}

/** Starts a stub daemon on a temporary unix socket. */
export async function startStubDaemon(): Promise<StubDaemon> {
  const dir = mkdtempSync(join(tmpdir(), "strata-stub-"));
  const socket = join(dir, "docker.sock");
  const bodies = new Map<string, unknown>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").replace(/^\/v1\.\d+/, "").split("?")[0] ?? "/";
    res.setHeader("Api-Version", "1.50");
    res.setHeader("Ostype", "linux");
    if (path === "/_ping") {
      res.setHeader("Content-Type", "text/plain; charset=utf-8");
      res.end(req.method === "HEAD" ? undefined : "OK");
      return;
    }
    res.setHeader("Content-Type", "application/json");
    if (!bodies.has(path)) {
      res.statusCode = 404;
      res.end(JSON.stringify({ message: `no such object: ${path}` }));
      return;
    }
    const body = bodies.get(path);
    if (path === "/events" && Array.isArray(body)) {
      for (const e of body) res.write(`${typeof e === "string" ? e : JSON.stringify(e)}\n`);
      res.end();
      return;
    }
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    set: (path, body) => {
      if (body === undefined) bodies.delete(path);
      else bodies.set(path, body);
    },
    docker: (args) => runCli(`unix://${socket}`, join(dir, ".docker"), args),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
