/**
 * Strata's own paths: the log's head, its raw events a page at a time, and time travel — any read of
 * the Docker API as dockerd would have answered it right after a past event (`/strata/at/{seq}/…`, also
 * as a docker CLI base path), Strata's records, layers, and the union view's listings and file contents
 * at a past seq. Bad seqs and unknown ids are typed 400 and 404.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SimulatedClock, sequentialIds, simulatedClock } from "@strata/core";
import { DockerServer } from "@strata/docker";
import { openEngine } from "@strata/engine";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runSteps, type Step, steps } from "./support/commandSequences.js";
import { call, get } from "./support/http.js";
import { runDocker, type Served, seedImage, serve } from "./support/served.js";

const ok = (r: { code: number | null; out: string; err: string }) => {
  expect(r.code, r.err).toBe(0);
  return r.out;
};

describe("time travel with the docker CLI's daemon (a directory log)", () => {
  let d: Served;
  const seqs: Record<string, number> = {};
  let id: string;
  beforeAll(async () => {
    d = await serve();
    await seedImage(d.engine);
    id = ok(await d.docker(["create", "--name", "web", "-l", "app=web", "alpine", "sleep", "100"])).trim();
    seqs.created = d.engine.seq;
    await d.engine.execute({ type: "fs.writeFile", container: "web", path: "/etc/motd", content: "first\n" });
    seqs.written = d.engine.seq;
    ok(await d.docker(["start", "web"]));
    seqs.started = d.engine.seq;
    await d.engine.execute({
      type: "fs.writeFile",
      container: "web",
      path: "/etc/motd",
      content: "second\n",
    });
    await d.engine.execute({ type: "fs.remove", container: "web", path: "/etc/hostname" });
    ok(await d.docker(["rename", "web", "web2"]));
    ok(await d.docker(["rm", "-f", "web2"]));
    seqs.removed = d.engine.seq;
  });
  afterAll(async () => {
    await d.stop();
    d.remove();
  });

  test("GET /strata/log: the head and its time", async () => {
    const r = await get(d.socket, "/strata/log");
    expect(r.status).toBe(200);
    const [last] = await d.engine.log.read(d.engine.seq, 1);
    expect(r.json()).toEqual({
      head: d.engine.seq,
      recordedAt: last?.recordedAt,
      time: new Date(last?.recordedAt as number)
        .toISOString()
        .replace(/\.?0*Z$/, "Z")
        .replace(/\.$/, ""),
    });
  });

  test("GET /strata/at/{seq}/containers/{id}/json is docker inspect as it was; the container is gone now", async () => {
    const at = async (seq: number, path: string) => get(d.socket, `/strata/at/${seq}${path}`);
    expect((await at(seqs.created as number, "/containers/web/json")).json()).toMatchObject({
      Id: id,
      Name: "/web",
      State: { Status: "created", Running: false },
      Config: { Labels: { app: "web" } },
    });
    expect((await at(seqs.started as number, "/v1.50/containers/web/json")).json()).toMatchObject({
      State: { Status: "running", Running: true },
    });
    expect((await at(seqs.removed as number, "/containers/web2/json")).json()).toEqual({
      message: "No such container: web2",
    });
    expect((await get(d.socket, "/containers/web2/json")).status).toBe(404);
    const list = (await at(seqs.started as number, "/containers/json")).json<
      { Names: string[]; State: string }[]
    >();
    expect(list.map((c) => [c.Names, c.State])).toEqual([[["/web"], "running"]]);
    // docker diff as it was: nothing yet right after create, the file after the write.
    expect((await at(seqs.created as number, "/containers/web/changes")).json()).toBeNull();
    expect((await at(seqs.written as number, "/containers/web/changes")).json()).toEqual([
      { Path: "/etc", Kind: 0 },
      { Path: "/etc/motd", Kind: 1 },
    ]);
  });

  test("the docker CLI itself travels: -H tcp://…/strata/at/{seq} is the daemon as it was", async () => {
    const tcp = new DockerServer({ backend: d.server.backend });
    const address = await tcp.listen({ host: "127.0.0.1", port: 0 });
    try {
      const env = {
        ...process.env,
        DOCKER_HOST: `${address}/strata/at/${seqs.started}`,
        DOCKER_CONFIG: join(d.dir, ".docker"),
      };
      expect(ok(await runDocker(["inspect", "-f", "{{.State.Status}} {{.Name}}", "web"], env)).trim()).toBe(
        "running /web",
      );
      expect(ok(await runDocker(["ps", "--format", "{{.Names}} {{.State}}"], env)).trim()).toBe(
        "web running",
      );
      // The past is read-only.
      const stop = await runDocker(["stop", "web"], env);
      expect(stop.code).toBe(1);
      expect(stop.err).toContain("the log's past is read-only");
    } finally {
      await tcp.close();
    }
  });

  test("files at a past seq: ls and cat of the union view, and Strata's records", async () => {
    const cat = (seq: number, path: string) =>
      get(d.socket, `/strata/containers/${id}/cat?path=${path}&at=${seq}`);
    expect((await cat(seqs.written as number, "/etc/motd")).body.toString()).toBe("first\n");
    expect((await cat((seqs.removed as number) - 3, "/etc/motd")).body.toString()).toBe("second\n");
    expect((await cat(seqs.written as number, "/etc/motd")).headers["content-type"]).toBe(
      "application/octet-stream",
    );
    const ls = (await get(d.socket, `/strata/containers/${id}/ls?path=/etc&at=${seqs.written}`)).json<
      { name: string; type: string; layer: string; size: number }[]
    >();
    expect(ls.map((e) => [e.name, e.type, e.layer])).toEqual([
      ["hostname", "file", "lower"],
      ["motd", "file", "upper"],
      ["os-release", "file", "lower"],
    ]);
    const image = (await get(d.socket, "/strata/images/alpine:latest/ls?path=/etc/hostname")).json();
    expect(image).toMatchObject([{ name: "hostname", type: "file", size: 7, layer: "lower" }]);
    expect((await get(d.socket, "/strata/images/alpine/cat?path=/etc/hostname")).body.toString()).toBe(
      "strata\n",
    );
    const record = (await get(d.socket, `/strata/containers/web?at=${seqs.started}`)).json<{
      seq: number;
      status: string;
      context: { id: string };
    }>();
    expect(record).toMatchObject({ seq: seqs.started, status: "running", context: { id } });
    const layers = (await get(d.socket, `/strata/containers/web/layers?at=${seqs.written}`)).json();
    expect(layers).toMatchObject({ container: id, changes: 2, layers: [{ createdBy: "ADD rootfs.tar /" }] });
    expect((await get(d.socket, "/strata/images/alpine")).json()).toMatchObject({
      status: "present",
      tags: ["alpine:latest"],
    });
  });

  test("typed refusals: a bad seq 400, a seq past the head 404, an id unknown then 404, a missing file 404, writes 405", async () => {
    const answer = async (method: string, path: string) => {
      const r = await call(d.socket, method, path);
      return [r.status, r.body.length > 0 ? r.json() : null];
    };
    const rule = "a seq is a whole number from 0 (before the first event) to the log's head";
    expect(await answer("GET", "/strata/at/-1/containers/json")).toEqual([
      400,
      { message: `invalid seq "-1": ${rule}` },
    ]);
    expect(await answer("GET", "/strata/at/x/info")).toEqual([400, { message: `invalid seq "x": ${rule}` }]);
    expect(await answer("GET", "/strata/containers/web?at=1.5")).toEqual([
      400,
      { message: `invalid at "1.5": ${rule}` },
    ]);
    const head = d.engine.seq;
    expect(await answer("GET", `/strata/at/${head + 1}/containers/json`)).toEqual([
      404,
      { message: `No such event: ${head + 1} (the log has events 1 to ${head}; 0 is before the first)` },
    ]);
    expect(await answer("GET", `/strata/containers/web?at=${(seqs.created as number) - 1}`)).toEqual([
      404,
      { message: `No such container: web (at seq ${(seqs.created as number) - 1})` },
    ]);
    expect(await answer("GET", "/strata/images/nope:1")).toEqual([404, { message: "No such image: nope:1" }]);
    expect(await answer("GET", `/strata/containers/${id}/cat?path=/nope&at=${seqs.written}`)).toEqual([
      404,
      { message: "ENOENT: No such file or directory, stat '/nope'" },
    ]);
    expect(await answer("GET", `/strata/containers/${id}/cat?path=/etc&at=${seqs.written}`)).toEqual([
      400,
      { message: "EISDIR: Is a directory, read '/etc'" },
    ]);
    expect((await answer("GET", `/strata/containers/${id}/cat?at=${seqs.written}`))[0]).toBe(400);
    expect(await answer("POST", `/strata/at/${seqs.started}/containers/web/stop`)).toEqual([
      405,
      {
        message: `the log's past is read-only: /strata/at/${seqs.started}/… serves reads (GET and HEAD) only`,
      },
    ]);
    expect(await answer("GET", `/strata/at/${seqs.started}/nothing/here`)).toEqual([
      404,
      { message: "page not found" },
    ]);
  });
});

/** A daemon on a memory log with a simulated clock, its API on a temporary socket. */
async function memoryServer(seed: string) {
  const dir = mkdtempSync(join(tmpdir(), "strata-pages-"));
  const clock = simulatedClock();
  const engine = await openEngine({ location: "memory:", clock, ids: sequentialIds(seed) });
  const server = new DockerServer({ backend: { engine, name: "m", id: "m", location: "memory:" } });
  const socket = join(dir, "d.sock");
  await server.listen({ socket });
  return {
    clock,
    engine,
    socket,
    async close() {
      await server.close();
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

test("an empty log has head 0, no page, and nothing at seq 0", async () => {
  const m = await memoryServer("empty");
  try {
    expect((await get(m.socket, "/strata/log")).json()).toEqual({ head: 0, recordedAt: null, time: null });
    expect((await get(m.socket, "/strata/events")).json()).toEqual({ head: 0, events: [], next: null });
    expect((await get(m.socket, "/strata/at/0/containers/json?all=1")).json()).toEqual([]);
  } finally {
    await m.close();
  }
});

describe("the log, a page at a time, and every past read", () => {
  let m: Awaited<ReturnType<typeof memoryServer>>;
  let socket: string;
  let engine: Awaited<ReturnType<typeof openEngine>>;
  let clock: SimulatedClock;
  beforeAll(async () => {
    m = await memoryServer("pages");
    ({ socket, engine, clock } = m);
    await seedImage(engine);
    for (let i = 0; i < 30; i++)
      await engine.execute({ type: "container.create", image: "alpine", name: `c${i}` });
  });
  afterAll(async () => {
    await m.close();
  });

  test("pages chained by next give the whole log, in order; limits are typed", async () => {
    const whole = await engine.log.read();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: whole.length + 3 }),
        async (limit, from) => {
          const got: unknown[] = [];
          let next: number | null = from;
          while (next !== null) {
            const answer = await get(socket, `/strata/events?from=${next}&limit=${limit}`);
            const page: { head: number; events: unknown[]; next: number | null } = answer.json();
            expect(page.head).toBe(whole.length);
            expect(page.events.length).toBeLessThanOrEqual(limit);
            got.push(...page.events);
            next = page.next;
          }
          expect(got).toEqual(JSON.parse(JSON.stringify(whole.slice(from - 1))));
        },
      ),
      { numRuns: 100 },
    );
    for (const [q, message] of [
      ["limit=0", 'invalid limit "0": a whole number from 1 to 1000'],
      ["limit=1001", 'invalid limit "1001": a whole number from 1 to 1000'],
      ["from=0", 'invalid from "0": a seq, a whole number from 1'],
      ["from=two", 'invalid from "two": a seq, a whole number from 1'],
    ]) {
      const r = await get(socket, `/strata/events?${q}`);
      expect([r.status, r.json()]).toEqual([400, { message }]);
    }
  });

  test("property: every read at a past seq answers what the same read answered then", async () => {
    const reads = [
      "/containers/json?all=1",
      "/containers/web/json",
      "/containers/db/json",
      "/containers/db/changes",
    ];
    const strip = (body: string) => body.replace(/"Status":"[^"]*"/g, '"Status":"…"');
    await fc.assert(
      fc.asyncProperty(steps(8), async (list: Step[]) => {
        const recorded: { seq: number; path: string; status: number; body: string }[] = [];
        for (const step of list) {
          await runSteps(engine, clock, [step]);
          for (const path of reads) {
            const r = await get(socket, path);
            recorded.push({ seq: engine.seq, path, status: r.status, body: strip(r.body.toString()) });
          }
        }
        for (const r of recorded) {
          const past = await get(socket, `/strata/at/${r.seq}${r.path}`);
          expect({ ...r, status: past.status, body: strip(past.body.toString()) }).toEqual(r);
        }
      }),
      { numRuns: 60 },
    );
  });
});
