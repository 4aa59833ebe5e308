/**
 * `strata serve` in its own process and the real docker CLI (28.2) on its socket, for the CLI's
 * end-to-end tests.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";

/** An empty docker client configuration (no contexts, no credentials of the machine). */
const DOCKER_CONFIG = mkdtempSync(join(tmpdir(), "strata-docker-config-"));

export const BIN = new URL("../../dist/bin.js", import.meta.url).pathname;

export interface Running {
  readonly child: ChildProcess;
  /** The address printed once it listens. */
  readonly address: string;
  out(): string;
  err(): string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
}

/** Starts `strata serve ARGS` and waits until it says where it listens (or exits). */
export function serve(...args: string[]): Promise<Running> {
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
export function docker(
  host: string,
  ...args: string[]
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn("docker", args, {
      env: {
        ...process.env,
        DOCKER_HOST: host,
        DOCKER_CONFIG: DOCKER_CONFIG,
      },
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

/** What a client printed and how it ended. */
export interface CliResult {
  readonly code: number | null;
  readonly out: Buffer;
  readonly err: string;
}

/**
 * Runs a client against `host`: the real docker CLI (with an empty configuration) or `strata --host`, in
 * `cwd`, with `input` on standard input (none: closed at once).
 */
export function client(
  which: "docker" | "strata",
  host: string,
  args: readonly string[],
  options: { cwd?: string; input?: Buffer | string } = {},
): Promise<CliResult> {
  const [cmd, argv] =
    which === "docker" ? ["docker", [...args]] : [process.execPath, [BIN, "--host", host, ...args]];
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, {
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: { ...process.env, TZ: "UTC", DOCKER_HOST: host, DOCKER_CONFIG: DOCKER_CONFIG },
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.stdin.on("error", () => {}); // a client that exits before reading its input
    child.stdin.end(options.input);
    child.on("close", (code) => resolve({ code, out: Buffer.concat(out), err }));
  });
}

/** A log with the image `base:1` (from a script: the API has no registry to pull from). */
export function logWithImage(dir: string): string {
  const log = join(dir, "log");
  const script = join(dir, "setup.jsonl");
  writeFileSync(
    script,
    `${JSON.stringify({ type: "image.create", layers: [], tags: ["base:1"], cmd: ["sh"] })}\n`,
  );
  const r = spawnSync(process.execPath, [BIN, "apply", script, "--log", log], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return log;
}
