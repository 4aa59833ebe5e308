/**
 * Nothing the archive and process endpoints start can hang: every stream ends when the process it
 * follows ends, when its container goes, when its client goes away or when the server closes; a body
 * that is cut short, too large or stalled is answered or dropped, and the server still closes. Each test
 * waits for an end that must come (no timing is measured); a hang fails it by the test's timeout.
 */
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type DockerRun, type Served, seedImage, serve } from "./support/served.js";

let d: Served;
/** The engine subscriptions open now (the server's own, and one per stream following something). */
const following = new Set<object>();
beforeAll(async () => {
  d = await serve();
  await seedImage(d.engine);
  const subscribe = d.engine.onEvents.bind(d.engine);
  d.engine.onEvents = (listener) => {
    const token = {};
    following.add(token);
    const off = subscribe(listener);
    return () => {
      following.delete(token);
      off();
    };
  };
});

/** Resolves once `following` is down to `n` (the server stops following on its own, soon after). */
async function followingDownTo(n: number): Promise<void> {
  while (following.size > n) await new Promise((resolve) => setTimeout(resolve, 10));
}
afterAll(async () => {
  await d.stop();
  d.remove();
});

const ok = (r: DockerRun) => {
  expect(r.code, r.err).toBe(0);
  return r.out;
};

/** A connection to `socket` with what it has read so far and a promise of its close. */
function rawConnection(socket: string): { s: Socket; read: () => string; closed: Promise<string> } {
  const s = connect(socket);
  const parts: Buffer[] = [];
  s.on("data", (b: Buffer) => parts.push(b));
  s.on("error", () => {});
  const read = () => Buffer.concat(parts).toString("latin1");
  const closed = new Promise<string>((resolve) => s.once("close", () => resolve(read())));
  return { s, read, closed };
}

/** Resolves once `read()` holds `text`. */
async function seen(read: () => string, s: Socket, text: string): Promise<void> {
  while (!read().includes(text)) await new Promise((resolve) => s.once("data", resolve));
}

/** A streaming GET whose body is collected until it ends; `abort` goes away. */
function follow(socket: string, path: string, method = "GET", body?: string) {
  let abort = () => {};
  const result = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    abort = () => req.destroy();
    req.end(body);
  });
  return { result, abort: () => abort() };
}

describe("streams end with what they follow", () => {
  test("attach to a created container ends when it is removed; logs -f ends when its container is force-removed", async () => {
    const base = following.size;
    ok(await d.docker(["create", "--name", "b1", "alpine", "sleep", "100"]));
    const attach = follow(d.socket, "/v1.50/containers/b1/attach?stream=1&stdout=1", "POST");
    ok(await d.docker(["run", "-d", "--name", "b2", "alpine", "sleep", "100"]));
    const logs = follow(d.socket, "/v1.50/containers/b2/logs?follow=1&stdout=1");
    // Both are open now (the headers came); removing the containers ends them.
    ok(await d.docker(["rm", "b1"]));
    ok(await d.docker(["rm", "-f", "b2"]));
    expect(await attach.result).toEqual({ status: 200, body: "" });
    expect(await logs.result).toEqual({ status: 200, body: "" });
    await followingDownTo(base);
  });

  test("an attached exec start ends when its container stops, and one whose client left stops following", async () => {
    ok(await d.docker(["run", "-d", "--name", "b3", "alpine", "sleep", "100"]));
    const base = following.size;
    const exec = async (cmd: string[]) => {
      const created = follow(d.socket, "/v1.50/containers/b3/exec", "POST", JSON.stringify({ Cmd: cmd }));
      return JSON.parse((await created.result).body).Id as string;
    };
    const kept = follow(d.socket, `/v1.50/exec/${await exec(["sleep", "50"])}/start`, "POST", "{}");
    const leftId = await exec(["sleep", "60"]);
    const left = follow(d.socket, `/v1.50/exec/${leftId}/start`, "POST", "{}");
    // Both follow their process once started; the one whose client left stops following.
    await followingDownTo(base + 2);
    left.abort();
    await expect(left.result).rejects.toThrow();
    await followingDownTo(base + 1);
    ok(await d.docker(["stop", "-t", "0", "b3"]));
    expect(await kept.result).toEqual({ status: 200, body: "" });
    await followingDownTo(base);
  });

  test("an upgraded attach whose client half-closes still ends when the container exits", async () => {
    ok(await d.docker(["run", "-d", "--name", "b4", "alpine", "sleep", "100"]));
    const c = rawConnection(d.socket);
    c.s.write(
      "POST /v1.50/containers/b4/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
    );
    c.s.end();
    await seen(c.read, c.s, "101 UPGRADED");
    ok(await d.docker(["kill", "b4"]));
    expect(await c.closed).toMatch(/^HTTP\/1\.1 101 UPGRADED\r\n[\s\S]*\r\n\r\n$/);
  });
});

describe("bodies are bounded", () => {
  test("an upload cut short is refused and changes nothing", async () => {
    ok(await d.docker(["create", "--name", "u1", "alpine", "sleep", "1"]));
    const before = d.engine.seq;
    const c = rawConnection(d.socket);
    c.s.write(
      "PUT /v1.50/containers/u1/archive?path=/tmp HTTP/1.1\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: 4096\r\n\r\n",
    );
    c.s.end(Buffer.alloc(100));
    await c.closed;
    expect(d.engine.seq).toBe(before);
  });

  test("an exec start over an upgraded connection whose body never completes ends when the client leaves", async () => {
    ok(await d.docker(["run", "-d", "--name", "u2", "alpine", "sleep", "100"]));
    const created = follow(d.socket, "/v1.50/containers/u2/exec", "POST", '{"Cmd":["sleep","9"]}');
    const { Id } = JSON.parse((await created.result).body);
    const c = rawConnection(d.socket);
    c.s.write(
      `POST /v1.50/exec/${Id}/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Detach":`,
    );
    c.s.end();
    expect(await c.closed).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*"message":"unexpected EOF"/);
    const inspected = follow(d.socket, `/v1.50/exec/${Id}/json`);
    expect(JSON.parse((await inspected.result).body)).toMatchObject({ Running: false, Pid: 0 });
  });

  test("stalled bodies (an upload, a JSON body, an upgraded body, the rest after a refusal) do not keep the server from closing", async () => {
    const s = await serve();
    try {
      await seedImage(s.engine);
      ok(await s.docker(["run", "-d", "--name", "st", "alpine", "sleep", "100"]));
      const created = follow(s.socket, "/v1.50/containers/st/exec", "POST", '{"Cmd":["sleep","9"]}');
      const { Id } = JSON.parse((await created.result).body);
      const before = s.engine.seq;
      const heads = [
        "PUT /v1.50/containers/st/archive?path=/tmp HTTP/1.1\r\nContent-Type: application/x-tar\r\nContent-Length: 4096\r\n\r\n",
        "POST /v1.50/containers/create HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        `POST /v1.50/exec/${Id}/start HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
        // Refused at once (no such container): the rest of its body never comes.
        "PUT /v1.50/containers/nosuch/archive?path=/tmp HTTP/1.1\r\nContent-Type: application/x-tar\r\nContent-Length: 4096\r\n\r\n",
      ];
      const conns = heads.map((head) => {
        const c = rawConnection(s.socket);
        c.s.write(head.replace("HTTP/1.1\r\n", "HTTP/1.1\r\nHost: docker\r\n"));
        return c;
      });
      await seen(conns[3]?.read ?? (() => ""), conns[3]?.s as Socket, "No such container: nosuch");
      await s.stop();
      const answers = await Promise.all(conns.map((c) => c.closed));
      expect(answers[3]).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
      expect(s.engine.seq).toBe(before);
    } finally {
      s.remove();
    }
  });

  test("a body that stops arriving is dropped after the server's idle bound; a silent answer is not", async () => {
    const s = await serve({ server: { bodyIdleMs: 50 } });
    try {
      await seedImage(s.engine);
      ok(await s.docker(["run", "-d", "--name", "wt", "alpine", "sleep", "100"]));
      const created = follow(s.socket, "/v1.50/containers/wt/exec", "POST", '{"Cmd":["sleep","9"]}');
      const { Id } = JSON.parse((await created.result).body);
      const waited = follow(s.socket, "/v1.50/containers/wt/wait", "POST");
      for (const head of [
        "PUT /v1.50/containers/wt/archive?path=/tmp HTTP/1.1\r\nContent-Type: application/x-tar\r\nContent-Length: 4096\r\n\r\n",
        "POST /v1.50/containers/create HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        `POST /v1.50/exec/${Id}/start HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
      ]) {
        const c = rawConnection(s.socket);
        c.s.write(head.replace("HTTP/1.1\r\n", "HTTP/1.1\r\nHost: docker\r\n"));
        // The client keeps the connection open and sends nothing more: the server answers and ends it.
        expect(await c.closed).toMatch(
          /^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*the request body stopped arriving/,
        );
      }
      // The wait, silent all along (many idle bounds by now), still answers when its container stops.
      ok(await s.docker(["kill", "wt"]));
      expect(await waited.result).toEqual({ status: 200, body: '{"StatusCode":137}\n' });
      expect(await follow(s.socket, "/_ping").result).toEqual({ status: 200, body: "OK" });
    } finally {
      await s.stop();
      s.remove();
    }
  });
});
