/**
 * `GET /events` driven by the real docker CLI (28.2) and by a raw HTTP client: history replayed with
 * `--since`, bounded by `--until` (past and future), `--filter`, `--format '{{json .}}'`, live streaming
 * while commands run, dockerd's errors; and, over random lives of a daemon, the stream from `since=0`
 * is the mapping of the log, and what a live stream sees is what a replay sees.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEvent, type SimulatedClock, sequentialIds, simulatedClock } from "@strata/core";
import { DockerServer, ProgramRuntime } from "@strata/docker";
import { DurableEngine } from "@strata/engine";
import { MemoryBlobStore } from "@strata/fs";
import { type EventHandler, MemoryEventLog, type StoredEvent } from "@strata/store";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DockerEventMapper, encodeDockerEvent } from "../src/shapes/dockerEvents.js";
import { dockerTimestamp } from "../src/shapes/dockerTimestamp.js";
import { runSteps, type Step, steps } from "./support/commandSequences.js";
import { get, stream } from "./support/http.js";
import { runDocker, type Served, seedImage, serve } from "./support/served.js";

const ok = (r: { code: number | null; out: string; err: string }) => {
  expect(r.code, r.err).toBe(0);
  return r.out;
};
const json = (out: string) =>
  out
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
/** An instant as RFC 3339 with nanoseconds (what the CLI turns into `sec.nanos`). */
const rfc = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");

describe("docker events against strata (system clock, a directory log)", () => {
  let d: Served;
  let t0: number;
  let id: string;
  beforeAll(async () => {
    d = await serve();
    t0 = Date.now();
    await seedImage(d.engine);
    id = ok(await d.docker(["create", "--name", "web", "-l", "app=web", "alpine", "sleep", "100"])).trim();
    ok(await d.docker(["start", "web"]));
    ok(await d.docker(["kill", "-s", "HUP", "web"]));
    ok(await d.docker(["pause", "web"]));
    ok(await d.docker(["unpause", "web"]));
    ok(await d.docker(["rename", "web", "web2"]));
    ok(await d.docker(["rm", "-f", "web2"]));
    ok(await d.docker(["create", "--name", "other", "alpine", "true"]));
  });
  afterAll(async () => {
    await d.stop();
    d.remove();
  });

  test("--since and --until replay the history in dockerd's shape, and the CLI exits at the end", async () => {
    const until = rfc(Date.now());
    const all = json(
      ok(await d.docker(["events", "--since", "0", "--until", until, "--format", "{{json .}}"])),
    );
    expect(all.map((m) => `${m.Type} ${m.Action}`)).toEqual([
      "image load",
      "image tag",
      "container create",
      "container start",
      "container kill",
      "container pause",
      "container unpause",
      "container rename",
      "container kill",
      "container die",
      "container destroy",
      "container create",
    ]);
    expect(all[2]).toEqual({
      status: "create",
      id,
      from: "alpine",
      Type: "container",
      Action: "create",
      Actor: { ID: id, Attributes: { app: "web", image: "alpine", name: "web" } },
      scope: "local",
      time: expect.any(Number),
      timeNano: expect.any(Number),
    });
    expect(all[4].Actor.Attributes.signal).toBe("1");
    expect(all[7].Actor.Attributes).toMatchObject({ name: "web2", oldName: "/web" });
    expect(all[9].Actor.Attributes).toMatchObject({ exitCode: "137", name: "web2" });
    for (const m of all) {
      expect(m.time).toBeGreaterThanOrEqual(Math.floor(t0 / 1000));
      expect(Math.floor(m.timeNano / 1e9)).toBe(m.time);
    }
    // The default format: dockerd's time, type, action, id and sorted attributes.
    const text = ok(await d.docker(["events", "--since", "0", "--until", until, "--filter", "event=create"]));
    expect(text.split("\n")[0]).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container create ${id} \\(app=web, image=alpine, name=web\\)$`,
      ),
    );
  });

  test("--filter: type, event, container (a name prefix), image, label, and several combined", async () => {
    const until = rfc(Date.now());
    const events = async (...filters: string[]) =>
      json(
        ok(
          await d.docker([
            "events",
            "--since",
            "0",
            "--until",
            until,
            ...filters.flatMap((f) => ["--filter", f]),
            "--format",
            "{{json .}}",
          ]),
        ),
      ).map((m) => `${m.Type} ${m.Action} ${m.Actor.Attributes.name}`);
    expect(await events("type=image")).toEqual([
      expect.stringMatching(/^image load sha256:/),
      "image tag alpine:latest",
    ]);
    expect(await events("event=start", "event=die")).toEqual(["container start web", "container die web2"]);
    expect(await events("container=web", "event=create")).toEqual(["container create web"]);
    expect(await events("container=oth")).toEqual(["container create other"]);
    expect(await events("label=app=web", "event=kill")).toEqual([
      "container kill web",
      "container kill web2",
    ]);
    expect((await events("image=alpine")).length).toBe(11);
    expect(await events("image=alpine:latest")).toEqual(["image tag alpine:latest"]);
    expect(await events("scope=swarm")).toEqual([]);
  });

  test("what the CLI sends for every --since form reads here as what it meant", async () => {
    const seen: string[] = [];
    const capture = (req: { url?: string }) => {
      if (req.url?.includes("/events")) seen.push(req.url);
    };
    d.server.http.on("request", capture);
    try {
      const now = Date.now();
      const forms = [
        rfc(now - 5000),
        new Date(now - 7000).toISOString(),
        new Date(now - 3_600_000).toISOString().slice(0, 16), // local date and time (the zone here)
        new Date(now - 86_400_000).toISOString().slice(0, 10), // a local date
        `${Math.floor(now / 1000) - 9}`,
        `${Math.floor(now / 1000) - 9}.25`,
        "10s",
        "1h30m",
      ];
      for (const form of forms) {
        ok(await d.docker(["events", "--since", form, "--until", rfc(now), "--filter", "type=nothing"]));
        const sent = new URL(seen.at(-1) as string, "http://x").searchParams.get("since") as string;
        const here = await get(
          d.socket,
          `/events?since=${encodeURIComponent(form)}&until=${encodeURIComponent(sent)}&filters=${encodeURIComponent('{"type":["nothing"]}')}`,
        );
        // Read as sent and as typed, the bounds agree (a duration within the second the CLI rounds to).
        expect(here.status, `${form} → ${sent}: ${here.body}`).toBe(200);
        const typed = dockerTimestamp(form, Date.now()) as bigint;
        const asSent = dockerTimestamp(sent, Date.now()) as bigint;
        const drift = typed > asSent ? typed - asSent : asSent - typed;
        expect(drift <= (/[smh]$/.test(form) ? 2_000_000_000n : 0n), `${form} → ${sent}`).toBe(true);
      }
    } finally {
      d.server.http.off("request", capture);
    }
  });

  test("dockerd's errors: since after until, a bad time, a bad filter", async () => {
    expect(await d.docker(["events", "--since", "20", "--until", "10"])).toMatchObject({
      code: 1,
      err: "Error response from daemon: `since` time (20) cannot be after `until` time (10)\n",
    });
    const bad = await get(d.socket, "/v1.50/events?since=soon");
    expect(bad.status).toBe(500);
    expect(bad.json()).toEqual({ message: 'strconv.ParseInt: parsing "soon": invalid syntax' });
    const filter = await get(d.socket, "/v1.50/events?filters=%7B");
    expect([filter.status, filter.json()]).toEqual([400, { message: "invalid filter" }]);
    expect(filter.headers["content-type"]).toBe("application/json");
  });

  test("live: the headers come at once, then each event as its command runs; docker events streams them too", async () => {
    const raw = await stream(d.socket, "/v1.50/events");
    expect(raw.status).toBe(200);
    expect(raw.headers["content-type"]).toBe("application/json");
    expect(raw.lines).toEqual([]);
    const cli = runDocker(
      [
        "events",
        "--filter",
        "container=live",
        "--format",
        "{{.Action}} {{.Actor.Attributes.name}}",
        "--until",
        rfc(Date.now() + 4000),
      ],
      { ...process.env, DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: join(d.dir, ".docker") },
    );
    const liveId = ok(await d.docker(["create", "--name", "live", "alpine", "sleep", "1"])).trim();
    const [created] = await raw.waitFor(1);
    expect(JSON.parse(created as string)).toMatchObject({ Action: "create", id: liveId });
    ok(await d.docker(["start", "live"]));
    ok(await d.docker(["stop", "-t", "0", "live"]));
    // stop -t 0: the stop signal, SIGKILL at once, die, stop (dockerd logs both kills too).
    const lines = (await raw.waitFor(6)).map((l) => JSON.parse(l).Action);
    expect(lines).toEqual(["create", "start", "kill", "kill", "die", "stop"]);
    raw.close();
    // The CLI's stream ends at --until (4 s from its start), with what happened before then.
    const out = ok(await cli);
    expect(out.trim().split("\n")).toEqual([
      "create live",
      "start live",
      "kill live",
      "kill live",
      "die live",
      "stop live",
    ]);
  });

  test("until in the future: the answer stays open until then, then ends", async () => {
    const r = await stream(
      d.socket,
      `/events?since=${Math.floor(Date.now() / 1000)}&until=${(Date.now() + 1500) / 1000}&filters=${encodeURIComponent('{"container":["later"]}')}`,
    );
    ok(await d.docker(["create", "--name", "later", "alpine", "true"]));
    const lines = await r.ended;
    expect(lines.map((l) => JSON.parse(l).Action)).toEqual(["create"]);
  });

  test("API versions before 1.46 do not get image create events (dockerd added them then)", async () => {
    const commit = await d.engine.execute({ type: "container.commit", container: "other", tag: "snap:1" });
    expect(commit.ok).toBe(true);
    const until = Date.now() / 1000;
    const old = await get(
      d.socket,
      `/v1.45/events?since=0&until=${until}&filters=${encodeURIComponent('{"type":["image"]}')}`,
    );
    const now = await get(
      d.socket,
      `/v1.50/events?since=0&until=${until}&filters=${encodeURIComponent('{"type":["image"]}')}`,
    );
    const actions = (body: Buffer) => json(body.toString()).map((m) => m.Action);
    expect(actions(now.body)).toEqual(["load", "tag", "create", "tag"]);
    expect(actions(old.body)).toEqual(["load", "tag", "tag"]);
  });
});

/** A daemon on a memory log with a simulated clock; `delivered` counts the events the log handed out. */
async function memoryDaemon(seed: string) {
  const dir = mkdtempSync(join(tmpdir(), "strata-events-"));
  const log = new MemoryEventLog();
  const counter = { delivered: 0 };
  // The log the server reads, counting what its subscriptions deliver (to see backpressure at work).
  const counted = new Proxy(log, {
    get(target, key, receiver) {
      if (key === "subscribe")
        return (from: number, handler: EventHandler) =>
          target.subscribe(from, (batch: readonly StoredEvent[]) => {
            counter.delivered += batch.length;
            return handler(batch);
          });
      const v = Reflect.get(target, key, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  const clock = simulatedClock();
  const engine = await DurableEngine.open({
    log: counted,
    blobs: new MemoryBlobStore(),
    clock,
    ids: sequentialIds(seed),
  });
  await seedImage(engine);
  const server = new DockerServer({ backend: { engine, name: "mem", id: "mem", location: "memory:" } });
  const socket = join(dir, "d.sock");
  await server.listen({ socket });
  return {
    engine,
    clock,
    socket,
    server,
    counter,
    async close() {
      await server.close();
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function mappedLog(engine: DurableEngine, after = 0): Promise<string[]> {
  const mapper = new DockerEventMapper();
  return (await engine.log.read())
    .flatMap((e) =>
      mapper.next(parseEvent(e, `seq ${e.seq}`)).map((m) => ({ seq: e.seq, line: encodeDockerEvent(m) })),
    )
    .filter((x) => x.seq > after)
    .map((x) => x.line.trimEnd());
}

describe("over random lives of a daemon", () => {
  test("the stream from since=0 is the mapping of the log, and a live stream sees what a replay sees", async () => {
    const d = await memoryDaemon("live");
    try {
      await fc.assert(
        fc.asyncProperty(steps(12), async (list: Step[]) => {
          // Programs that end at once are reported by the server's runtime when it gets to them: settled
          // here in step, so the log the stream is compared with is the whole of what happened.
          await new ProgramRuntime(d.engine).settle();
          const from = d.engine.seq;
          const live = await stream(d.socket, "/v1.50/events");
          await runSteps(d.engine, d.clock as SimulatedClock, list);
          await new ProgramRuntime(d.engine).settle();
          const expected = await mappedLog(d.engine, from);
          const seen = (await live.waitFor(expected.length)).slice(0, expected.length);
          live.close();
          expect(seen).toEqual(expected);
          // The replay, bounded: ends by itself at until (which is before the clock's now).
          d.clock.advance(1);
          const until = (d.clock.now() - 1) / 1000;
          const replay = await get(d.socket, `/v1.50/events?since=0&until=${until}`);
          const all = replay.body
            .toString()
            .trimEnd()
            .split("\n")
            .filter((l) => l !== "");
          expect(all).toEqual(await mappedLog(d.engine));
          expect(all.slice(all.length - expected.length)).toEqual(seen);
        }),
        { numRuns: 150 },
      );
    } finally {
      await d.close();
    }
  });
});

describe("bounded", () => {
  test("a client that stops reading holds the server to a batch, and gets every message once it reads again", async () => {
    const d = await memoryDaemon("slow");
    try {
      let response: ServerResponse | null = null;
      d.server.http.on("request", (req, res) => {
        if (req.url?.startsWith("/events")) response = res;
      });
      const first = await d.engine.execute({
        type: "container.create",
        image: "alpine",
        name: "spam",
        labels: { pad: "x".repeat(400) },
      });
      expect(first.ok).toBe(true);
      // 30,000 renames: some 20 MB of messages, far more than the socket and the stream buffer hold.
      const renames = Array.from({ length: 30_000 }, (_, i) => ({
        streamId: first.events[0]?.streamId as string,
        type: "container.renamed",
        schemaVersion: 1,
        recordedAt: d.clock.now(),
        data: { oldName: i === 0 ? "spam" : `n${i - 1}`, newName: `n${i}` },
      }));
      const before = d.engine.seq;
      const s = await stream(
        d.socket,
        `/events?since=0&filters=${encodeURIComponent('{"event":["rename"]}')}`,
      );
      s.response.pause();
      await d.engine.log.append(renames);
      await d.engine.catchUp();
      // Wait (on the server's state, not on time) until it is blocked on the client.
      while (!(response as ServerResponse | null)?.writableNeedDrain)
        await new Promise((r) => setImmediate(r));
      const deliveredWhileBlocked = d.counter.delivered;
      for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
      expect(d.counter.delivered).toBe(deliveredWhileBlocked);
      expect(deliveredWhileBlocked).toBeLessThan(before + renames.length);
      s.response.resume();
      const lines = await s.waitFor(renames.length);
      expect(lines.length).toBe(renames.length);
      expect(JSON.parse(lines.at(-1) as string).Actor.Attributes.name).toBe(`n${renames.length - 1}`);
      s.close();
    } finally {
      await d.close();
    }
  });

  test("closing the server ends the event streams it holds open", async () => {
    const d = await memoryDaemon("close");
    const s = await stream(d.socket, "/events");
    await d.close();
    expect(await s.ended).toEqual([]);
  });
});
