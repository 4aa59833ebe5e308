/**
 * The docker CLI against a served daemon with stdout kept as bytes (a tar from `docker cp … -`), stdin
 * from bytes (a tar into `docker cp - …`).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { Served } from "./served.js";

export interface DockerBytes {
  readonly code: number | null;
  readonly out: Buffer;
  readonly err: string;
}

export function dockerBytes(d: Served, args: readonly string[], input?: Buffer): Promise<DockerBytes> {
  return new Promise((resolve, reject) => {
    const child = spawn("docker", [...args], {
      env: { ...process.env, DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: join(d.dir, ".docker") },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out: Buffer.concat(out), err: Buffer.concat(err).toString("utf8") });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(input);
  });
}
