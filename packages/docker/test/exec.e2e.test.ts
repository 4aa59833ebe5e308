/**
 * Processes as the real docker CLI (28.2) sees them through `strata serve`: `docker exec` (detached and
 * attached), `docker run` without `-d`, `docker start -a`, `docker attach`, `docker logs`. Nothing runs,
 * so nothing is printed; every attached client ends when the process it follows ends, with its exit
 * code, as with dockerd.
 */
import { spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import type { Command } from "@strata/core";
import { DockerServer } from "@strata/docker";
import { openEngine } from "@strata/engine";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type DockerRun, type Served, seedImage, serve } from "./support/served.js";

let d: Served;
beforeAll(async () => {
  d = await serve();
  await seedImage(d.engine);
});
afterAll(async () => {
  await d.stop();
  d.remove();
});

const ok = (r: DockerRun) => {
  expect(r.code, r.err).toBe(0);
  return r.out;
};

/** Starts `docker ARGS` and returns its result later, with a way to know it has not ended yet. */
function background(args: readonly string[]): { result: Promise<DockerRun>; ended: () => boolean } {
  let done = false;
  const result = new Promise<DockerRun>((resolve, reject) => {
    const child = spawn("docker", [...args], {
      env: { ...process.env, DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: join(d.dir, ".docker") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      done = true;
      resolve({ code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() });
    });
  });
  return { result, ended: () => done };
}

/** Resolves when the server receives a request (or an upgrade) whose URL matches `url`. */
function requestSeen(url: RegExp): Promise<void> {
  return new Promise((resolve) => {
    const seen = (req: { url?: string }) => {
      if (!url.test(req.url ?? "")) return;
      d.server.http.off("request", seen);
      d.server.http.off("upgrade", seen);
      resolve();
    };
    d.server.http.on("request", seen);
    d.server.http.on("upgrade", seen);
  });
}

/** A raw HTTP request on the daemon's socket. */
function raw(
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: d.socket,
        method,
        path,
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts).toString(),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const execIdsOf = async (container: string): Promise<string[]> =>
  JSON.parse(ok(await d.docker(["inspect", "-f", "{{json .ExecIDs}}", container]))) ?? [];

describe("docker exec", () => {
  test("-d starts the process and returns; inspect shows it running", async () => {
    ok(await d.docker(["run", "-d", "--name", "x1", "alpine", "sleep", "100"]));
    expect(await d.docker(["exec", "-d", "x1", "sleep", "50"])).toEqual({ code: 0, out: "", err: "" });
    const [execId] = await execIdsOf("x1");
    const inspected = await raw("GET", `/v1.50/exec/${execId}/json`);
    expect(inspected.status).toBe(200);
    expect(JSON.parse(inspected.body)).toMatchObject({
      ID: execId,
      Running: true,
      ExitCode: null,
      ProcessConfig: { entrypoint: "sleep", arguments: ["50"] },
    });
    expect(JSON.parse(inspected.body).Pid).toBeGreaterThan(0);
    expect((await raw("POST", `/v1.50/exec/${execId}/resize?h=40&w=100`)).status).toBe(200);
    expect(await raw("POST", `/v1.50/exec/${execId}/resize?h=x&w=100`)).toMatchObject({
      status: 400,
      body: '{"message":"invalid resize height \\"x\\": invalid syntax"}\n',
    });
    expect(await raw("GET", "/v1.50/exec/nope/json")).toMatchObject({
      status: 404,
      body: '{"message":"No such exec instance: nope"}\n',
    });
  });

  test("attached: the stream is empty and ends when the process ends, with its exit code", async () => {
    ok(await d.docker(["run", "-d", "--name", "x2", "alpine", "sleep", "100"]));
    expect(await d.docker(["exec", "x2", "true"])).toEqual({ code: 0, out: "", err: "" });
    expect(await d.docker(["exec", "x2", "false"])).toEqual({ code: 1, out: "", err: "" });
    expect(await d.docker(["exec", "x2", "sh", "-c", "exit 3"])).toEqual({ code: 3, out: "", err: "" });
    // A program that does not end at once runs until something ends it: here an injected exit.
    const before = new Set(await execIdsOf("x2"));
    const long = background(["exec", "x2", "sleep", "100"]);
    const [execId] = await new Promise<string[]>((resolve) => {
      const look = () => {
        const record = Object.values(d.engine.state.containers).find((c) => c.context.name === "x2");
        const running = record?.context.execs.filter((x) => x.running && !before.has(x.execId)) ?? [];
        if (running.length > 0) resolve(running.map((x) => x.execId));
        return running.length > 0;
      };
      if (!look()) {
        const off = d.engine.onEvents(() => {
          if (look()) off();
        });
      }
    });
    expect(long.ended()).toBe(false);
    const pid = Object.values(d.engine.state.containers)
      .find((c) => c.context.name === "x2")
      ?.context.execs.find((x) => x.execId === execId)?.pid as number;
    const exit = await d.engine.execute({ type: "process.exit", container: "x2", pid, exitCode: 7 });
    expect(exit.ok).toBe(true);
    expect(await long.result).toEqual({ code: 7, out: "", err: "" });
  });

  test("dockerd's refusals: no such container, not running, unknown user, an instance that already ran", async () => {
    ok(await d.docker(["create", "--name", "x3", "alpine", "sleep", "100"]));
    const id = ok(await d.docker(["inspect", "-f", "{{.Id}}", "x3"])).trim();
    expect(await d.docker(["exec", "x3", "true"])).toMatchObject({
      code: 1,
      err: `Error response from daemon: container ${id} is not running\n`,
    });
    expect(await d.docker(["exec", "nosuch", "true"])).toMatchObject({
      code: 1,
      err: "Error response from daemon: No such container: nosuch\n",
    });
    ok(await d.docker(["start", "x3"]));
    expect(await d.docker(["exec", "-u", "nobody", "x3", "true"])).toMatchObject({
      code: 1,
      err: "Error response from daemon: unable to find user nobody: no matching entries in passwd file\n",
    });
    expect(await d.docker(["exec", "-u", "1000:1000", "x3", "true"])).toEqual({ code: 0, out: "", err: "" });
    const [, execId] = await execIdsOf("x3").then((ids) => ["", ids[ids.length - 1]]);
    expect(await raw("POST", `/v1.50/exec/${execId}/start`, '{"Detach":true}')).toMatchObject({
      status: 409,
      body: `{"message":"exec command ${execId} has already run"}\n`,
    });
  });

  test("a start without an upgrade (dockerode's) streams the same empty body in a plain 200", async () => {
    ok(await d.docker(["run", "-d", "--name", "x4", "alpine", "sleep", "100"]));
    const created = await raw("POST", "/v1.50/containers/x4/exec", '{"Cmd":["sh","-c","exit 4"]}');
    expect(created.status).toBe(201);
    const { Id } = JSON.parse(created.body);
    const started = await raw("POST", `/v1.50/exec/${Id}/start`, "{}");
    expect(started).toMatchObject({
      status: 200,
      headers: { "content-type": "application/vnd.docker.raw-stream" },
      body: "",
    });
    expect(JSON.parse((await raw("GET", `/v1.50/exec/${Id}/json`)).body)).toMatchObject({
      Running: false,
      ExitCode: 4,
    });
  });
});

describe("docker run, start -a, attach, logs", () => {
  test("docker run without -d exits with the program's status; --rm removes the container", async () => {
    expect(await d.docker(["run", "--name", "r1", "alpine", "sh", "-c", "exit 3"])).toEqual({
      code: 3,
      out: "",
      err: "",
    });
    expect(ok(await d.docker(["ps", "-a", "--filter", "name=r1", "--format", "{{.Status}}"]))).toMatch(
      /^Exited \(3\) /,
    );
    expect(await d.docker(["run", "--rm", "--name", "r2", "alpine", "true"])).toEqual({
      code: 0,
      out: "",
      err: "",
    });
    expect(ok(await d.docker(["ps", "-aq", "--filter", "name=r2"]))).toBe("");
    ok(await d.docker(["create", "--name", "r3", "alpine", "false"]));
    expect(await d.docker(["start", "-a", "r3"])).toEqual({ code: 1, out: "", err: "" });
  });

  test("attach and logs -f follow a running container until it stops; logs are empty", async () => {
    ok(await d.docker(["run", "-d", "--name", "r4", "alpine", "sleep", "100"]));
    expect(await d.docker(["logs", "r4"])).toEqual({ code: 0, out: "", err: "" });
    const attach = requestSeen(/\/containers\/r4\/attach\?/);
    const logs = requestSeen(/\/logs\?.*follow=1/);
    const attached = background(["attach", "r4"]);
    const followed = background(["logs", "-f", "r4"]);
    // Both requests are being answered before the kill (their handlers catch up before they follow).
    await Promise.all([attach, logs]);
    await d.engine.catchUp();
    await d.engine.catchUp();
    expect(attached.ended() || followed.ended()).toBe(false);
    ok(await d.docker(["kill", "r4"]));
    expect(await attached.result).toEqual({ code: 137, out: "", err: "" });
    expect(await followed.result).toEqual({ code: 0, out: "", err: "" });
    expect(await d.docker(["logs", "nosuch"])).toMatchObject({
      code: 1,
      err: "Error response from daemon: No such container: nosuch\n",
    });
    expect(await raw("GET", "/v1.50/containers/r4/logs")).toMatchObject({
      status: 400,
      body: '{"message":"Bad parameters: you must choose at least one stream"}\n',
    });
  });
});

describe("the program runtime", () => {
  test("a program that ends at once, already running when a server starts, is ended then", async () => {
    const engine = await openEngine({ location: "memory:" });
    try {
      await seedImage(engine);
      const commands: Command[] = [
        { type: "container.create", image: "alpine", name: "pre", cmd: ["sh", "-c", "exit 5"] },
        { type: "container.start", container: "pre" },
      ];
      for (const command of commands) {
        const r = await engine.execute(command);
        expect(r.ok, r.error?.message).toBe(true);
      }
      expect(engine.state.containers[engine.state.names.pre ?? ""]?.status).toBe("running");
      const server = new DockerServer({ backend: { engine, name: "t", id: "t", location: "memory:" } });
      expect(await engine.wait("pre")).toEqual({ statusCode: 5 });
      await server.close();
    } finally {
      await engine.close();
    }
  });
});
