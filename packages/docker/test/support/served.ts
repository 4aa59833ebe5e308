/**
 * A Strata daemon for a test: the durable engine on a temporary directory (or a given location), the
 * Docker API on a temporary unix socket, and the real `docker` CLI (28.2, on PATH) pointed at it.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerServer, type DockerServerOptions } from "@strata/docker";
import { type DurableEngine, openEngine } from "@strata/engine";

export interface Served {
  readonly dir: string;
  readonly socket: string;
  readonly engine: DurableEngine;
  readonly server: DockerServer;
  /**
   * Runs `docker ARGS` against the daemon; stdin from `input`. Asynchronous on purpose: the server runs
   * in this process, so a synchronous spawn would block the loop that has to answer the client.
   */
  docker(args: readonly string[], input?: string | Buffer): Promise<DockerRun>;
  /** Stops the server and the engine (the log stays, for a restart). */
  stop(): Promise<void>;
  /** Removes the directory. */
  remove(): void;
}

export interface DockerRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs the docker CLI with `env`, feeding `input` on stdin; kills it after `timeoutMs`. */
export function runDocker(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input?: string | Buffer,
  timeoutMs = 60_000,
): Promise<DockerRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", [...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out: Buffer.concat(out).toString("utf8"), err: Buffer.concat(err).toString("utf8") });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}

export async function serve(
  options: { dir?: string; location?: string; server?: Omit<DockerServerOptions, "backend"> } = {},
): Promise<Served> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "strata-docker-"));
  const location = options.location ?? join(dir, "log");
  const engine = await openEngine({ location, follow: true });
  const server = new DockerServer({
    ...options.server,
    backend: { engine, name: "strata-test", id: "strata-test", location },
  });
  const socket = join(dir, "docker.sock");
  await server.listen({ socket });
  return {
    dir,
    socket,
    engine,
    server,
    docker(args, input) {
      return runDocker(
        args,
        { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, ".docker") },
        input,
      );
    },
    async stop() {
      await server.close();
      await engine.close();
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The programs the test images carry (empty files with an execute bit: the runtime looks them up). */
export const PROGRAMS = ["sh", "sleep", "true", "false", "echo", "ls", "cat", "top", "env", "ps"] as const;

/**
 * An image to start from, made in the engine directly (the API has no registry to pull from): one layer
 * with `/etc/hostname`, `/etc/os-release`, an empty `/tmp` and `/bin`'s {@link PROGRAMS}, tagged `tag`,
 * running `cmd`.
 */
export async function seedImage(
  engine: DurableEngine,
  tag = "alpine:latest",
  cmd = ["/bin/sh"],
): Promise<string> {
  const meta = { uid: 0, gid: 0, mtime: Date.UTC(2026, 0, 1) };
  const file = (path: string, text: string) => ({
    type: "file" as const,
    path,
    mode: 0o644,
    ...meta,
    digest: engine.blobs.put(Buffer.from(text)),
    size: Buffer.byteLength(text),
  });
  const layerId = `sha256:${engine.blobs.put(Buffer.from(`layer of ${tag}`)).slice(7)}`;
  const layer = await engine.execute({
    type: "layer.create",
    layerId,
    entries: [
      { type: "dir", path: "/etc", mode: 0o755, ...meta },
      file("/etc/hostname", "strata\n"),
      file("/etc/os-release", 'NAME="Strata Linux"\n'),
      { type: "dir", path: "/tmp", mode: 0o1777, ...meta },
      { type: "dir", path: "/bin", mode: 0o755, ...meta },
      ...PROGRAMS.map((p) => ({ ...file(`/bin/${p}`, ""), mode: 0o755 })),
    ],
  });
  if (!layer.ok && layer.error.reason !== "layer-exists") throw layer.error;
  const r = await engine.execute({
    type: "image.create",
    layers: [{ id: layerId, parent: null, createdBy: "ADD rootfs.tar /" }],
    tags: [tag],
    cmd,
  });
  if (!r.ok) throw r.error;
  return r.events[0]?.streamId as string;
}
