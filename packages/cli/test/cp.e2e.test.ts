/**
 * `strata cp` against the real `docker cp` (28.2) as the oracle: both drive the same `strata serve`,
 * from the same local tree into twin containers and out of the same container into twin directories,
 * for every shape docker's placement rules tell apart (a file, a directory, `dir/`, `dir/.`, a symbolic
 * link with and without -L (which only links tell apart), a missing source; a new destination, a new one with a trailing slash, an
 * existing directory (with and without the slash), an existing file, a missing parent, `-`). The exit
 * code, the message and the resulting tree must be the same.
 */
import { execFileSync, spawn } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { BIN, logWithImage, type Running, serve } from "./support/strataServe.js";
import { tarNames } from "./support/tarNames.js";

const tmp = tempDirs("strata-cp-");
let server: Running;
let socket: string;

/** One Engine API call over the server's socket (setup only: the copies compared go through the CLIs). */
function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.isBuffer(body)
      ? body
      : body === undefined
        ? undefined
        : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: Buffer.isBuffer(body)
          ? { "Content-Type": "application/x-tar" }
          : { "Content-Type": "application/json" },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => {
          text += d.toString("latin1");
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

function run(cmd: string, args: string[], cwd: string, input?: Buffer) {
  return new Promise<{ code: number | null; out: Buffer; err: string }>((resolve) => {
    const child = spawn(cmd, args, {
      cwd,
      env: { ...process.env, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(cwd, "..", ".docker") },
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.stdin.end(input);
    child.on("close", (code) => resolve({ code, out: Buffer.concat(out), err }));
  });
}
const dockerCp = (cwd: string, args: string[], input?: Buffer) => run("docker", ["cp", ...args], cwd, input);
const strataCp = (cwd: string, args: string[], input?: Buffer) =>
  run(process.execPath, [BIN, "-H", `unix://${socket}`, "cp", ...args], cwd, input);

/** The local fixture: a file, a directory with a nested file and a link inside, links to both. */
function fixture(dir: string): void {
  mkdirSync(join(dir, "dir", "sub"), { recursive: true });
  writeFileSync(join(dir, "file"), "file content\n");
  writeFileSync(join(dir, "dir", "a"), "a\n", { mode: 0o640 });
  writeFileSync(join(dir, "dir", "sub", "b"), "b".repeat(3000));
  symlinkSync("a", join(dir, "dir", "link-a"));
  symlinkSync("file", join(dir, "link"));
  symlinkSync("dir", join(dir, "dirlink"));
  mkdirSync(join(dir, "existing-dir"));
  writeFileSync(join(dir, "existing-dir", "keep"), "keep\n");
  writeFileSync(join(dir, "existing-file"), "old\n");
}

/** A local tree as text: each path, its type, mode and content or link target (times left out). */
function describeTree(root: string): string[] {
  const lines: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(root, path));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) lines.push(`${path} -> ${readlinkSync(join(root, path))}`);
      else if (st.isDirectory()) {
        lines.push(`${path}/ ${mode}`);
        walk(path);
      } else lines.push(`${path} ${mode} ${JSON.stringify(readFileSync(join(root, path), "latin1"))}`);
    }
  };
  walk("");
  return lines;
}

/** What docker's messages say, with the parts that differ by run (paths of the two twins) made equal. */
function normalise(text: string, cwd: string): string {
  return withoutLogLines(text)
    .split(cwd)
    .join("CWD")
    .replace(/\b(twin-[ab])\b/g, "twin");
}

/** The docker client's own log lines (its tar writer's pipe closing after a refusal) are not its answer. */
function withoutLogLines(text: string): string {
  return text
    .split("\n")
    .filter((l) => !/^time="[^"]*" level=/.test(l))
    .join("\n");
}

async function createContainer(name: string): Promise<void> {
  const r = await api("POST", `/v1.50/containers/create?name=${name}`, { Image: "base:1" });
  expect(r.status, r.body).toBe(201);
}

let serverDir: string;
beforeAll(async () => {
  // Not a tmp(): those go after each test, and the server lives through them all.
  serverDir = mkdtempSync(join(tmpdir(), "strata-cp-server-"));
  const dir = serverDir;
  mkdirSync(join(dir, ".docker"));
  server = await serve("--log", logWithImage(dir), "--socket", join(dir, "s.sock"));
  socket = server.address.replace(/^unix:\/\//, "");
  // The container that is copied out of, with the fixture at /fx (put there by docker cp itself).
  const src = join(dir, "fx");
  mkdirSync(src);
  fixture(src);
  await createContainer("source");
  const put = await dockerCp(dir, ["fx", "source:/"]);
  expect(put.code, put.err).toBe(0);
}, 60_000);
afterAll(async () => {
  server?.child.kill("SIGTERM");
  await server?.exited;
  rmSync(serverDir, { recursive: true, force: true });
});

const SOURCES_IN_CONTAINER = [
  "/fx/file",
  "/fx/dir",
  "/fx/dir/",
  "/fx/dir/.",
  "/fx/link",
  "/fx/dirlink",
  "/nosuch",
];
const LOCAL_DESTINATIONS = ["new", "new/", "existing-dir", "existing-dir/", "existing-file", "nosuch/x", "-"];

describe("strata cp does what docker cp does", () => {
  test("out of a container: every source shape into every destination shape", async () => {
    for (const follow of [false, true])
      for (const src of SOURCES_IN_CONTAINER.filter((p) => !follow || p.includes("link")))
        for (const dst of LOCAL_DESTINATIONS) {
          const args = [...(follow ? ["-L"] : []), `source:${src}`, dst];
          // The twins are apart (their own directory each), so the two copies run side by side.
          const results = await Promise.all(
            (
              [
                [dockerCp, "twin-a"],
                [strataCp, "twin-b"],
              ] as const
            ).map(async ([cp, twin]) => {
              const cwd = join(tmp(), twin);
              mkdirSync(cwd);
              fixture(cwd);
              const r = await cp(cwd, args);
              return {
                code: r.code,
                err: normalise(r.err, cwd),
                tree: describeTree(cwd),
                out: dst === "-" ? tarNames(r.out) : [],
              };
            }),
          );
          expect(results[1], `cp ${args.join(" ")}`).toEqual(results[0]);
        }
  }, 240_000);

  test("into a container: every local source shape onto every destination shape", async () => {
    const sources = ["file", "dir", "dir/", "dir/.", "link", "dirlink", "nosuch", "-"];
    const destinations = [
      "/t/new",
      "/t/new/",
      "/t/existing-dir",
      "/t/existing-dir/",
      "/t/existing-file",
      "/t/nosuch/x",
    ];
    const base = tmp();
    const local = join(base, "t");
    mkdirSync(local);
    fixture(local);
    const stdinTar = (await dockerCp(local, ["source:/fx/dir", "-"])).out;
    // Each twin container gets /t as in the local fixture, and is listed afterwards, over the API
    // directly (only the copies compared go through the two command lines).
    const seedTar = execFileSync("tar", ["-C", base, "-c", "t"]);
    let n = 0;
    for (const follow of [false, true])
      for (const src of sources.filter((p) => !follow || p.includes("link")))
        for (const dst of destinations) {
          const args = [...(follow ? ["-L"] : []), src];
          const results = await Promise.all(
            [dockerCp, strataCp].map(async (cp) => {
              const name = `c${n++}`;
              await createContainer(name);
              const seed = await api("PUT", `/v1.50/containers/${name}/archive?path=/`, seedTar);
              expect(seed.status, seed.body).toBe(200);
              const r = await cp(local, [...args, `${name}:${dst}`], src === "-" ? stdinTar : undefined);
              const listing = await api("GET", `/v1.50/containers/${name}/archive?path=/t`);
              return {
                code: r.code,
                err: withoutLogLines(r.err).replace(/\bc\d+\b/g, "C"),
                tree: tarNames(Buffer.from(listing.body, "latin1")),
              };
            }),
          );
          expect(results[1], `cp ${args.join(" ")} C:${dst}`).toEqual(results[0]);
        }
  }, 400_000);
});
