/**
 * The server is the engine, seen through HTTP: random sequences of Docker API calls give, after every
 * call, the same answers (status and body) as the same commands on an engine in this process, the same
 * `docker ps -a` rows and `docker inspect` documents, the same events; and after the server and its
 * engine are closed and opened again on the same log, the same state.
 *
 * Both engines get the same simulated clock readings and the same id source, so everything they make
 * (ids, generated names, times) must agree; the clock moves between calls and both fire their timers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Command, sequentialIds, simulatedClock } from "@strata/core";
import {
  containerInspect,
  containerSummary,
  DockerServer,
  dockerError,
  ProgramRuntime,
} from "@strata/docker";
import { type DurableEngine, openEngine } from "@strata/engine";
import type { StoredEvent } from "@strata/store";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { seedImage } from "./support/served.js";

const RUNS = Number(process.env.STRATA_DOCKER_PROPERTY_RUNS ?? 150);

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

function call(socket: string, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        // A connection per call: a pooled one may be one the server is closing (at the restart).
        agent: false,
        method,
        path: `/v1.50${path}`,
        headers: payload === undefined ? {} : { "Content-Type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, body: text === "" ? null : JSON.parse(text) });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** One API call, and the command it means. */
interface ApiCall {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly command: Command;
  /** The answer of an accepted command (the created container's answer is made from its id). */
  readonly status: number;
}

const NAMES = ["web", "db", "cache"];
const refArb = fc.oneof(
  fc.constantFrom(...NAMES),
  fc.constant("nope"),
  fc.nat(5).map((i) => `#${i}`),
);
const q = (s: string) => encodeURIComponent(s);

const callArb: fc.Arbitrary<(ref: (r: string) => string) => ApiCall> = fc.oneof(
  fc
    .record({
      name: fc.option(fc.constantFrom(...NAMES), { nil: undefined }),
      cmd: fc.constantFrom<string[]>(["sleep", "100"], ["sh", "-c", "exit 3"]),
      labels: fc.option(fc.dictionary(fc.constantFrom("app", "tier"), fc.constantFrom("a", "b")), {
        nil: undefined,
      }),
      policy: fc.constantFrom("", "always", "unless-stopped", "on-failure", "bogus"),
      retries: fc.constantFrom(0, 2),
      autoRemove: fc.boolean(),
    })
    .map(
      (c) => (): ApiCall => ({
        method: "POST",
        path: `/containers/create${c.name ? `?name=${c.name}` : ""}`,
        body: {
          Image: "alpine",
          Cmd: c.cmd,
          ...(c.labels ? { Labels: c.labels } : {}),
          HostConfig: {
            ...(c.policy ? { RestartPolicy: { Name: c.policy, MaximumRetryCount: c.retries } } : {}),
            AutoRemove: c.autoRemove,
          },
        },
        command: {
          type: "container.create",
          image: "alpine",
          cmd: c.cmd,
          ...(c.name ? { name: c.name } : {}),
          ...(c.labels && Object.keys(c.labels).length > 0 ? { labels: c.labels } : {}),
          ...(c.policy ? { restartPolicy: { name: c.policy, maximumRetryCount: c.retries } } : {}),
          ...(c.autoRemove ? { autoRemove: true } : {}),
        } as unknown as Command,
        status: 201,
      }),
    ),
  refArb.map(
    (r) =>
      (ref: (r: string) => string): ApiCall => ({
        method: "POST",
        path: `/containers/${q(ref(r))}/start`,
        command: { type: "container.start", container: ref(r) } as Command,
        status: 204,
      }),
  ),
  fc.tuple(refArb, fc.constantFrom("t=0", "signal=SIGKILL&t=5", "t=0&signal=SIGTERM")).map(
    ([r, query]) =>
      (ref: (r: string) => string): ApiCall => ({
        method: "POST",
        path: `/containers/${q(ref(r))}/stop?${query}`,
        command: {
          type: "container.stop",
          container: ref(r),
          timeout: Number(/t=(\d+)/.exec(query)?.[1]),
          ...(query.includes("signal=") ? { signal: /signal=(\w+)/.exec(query)?.[1] as string } : {}),
        } as Command,
        status: 204,
      }),
  ),
  fc.tuple(refArb, fc.constantFrom(undefined, "SIGKILL", "TERM", "HUP", "SIGFOO", "9")).map(
    ([r, signal]) =>
      (ref: (r: string) => string): ApiCall => ({
        method: "POST",
        path: `/containers/${q(ref(r))}/kill${signal ? `?signal=${signal}` : ""}`,
        command: { type: "container.kill", container: ref(r), ...(signal ? { signal } : {}) } as Command,
        status: 204,
      }),
  ),
  fc.tuple(refArb, fc.constantFrom("pause", "unpause")).map(
    ([r, verb]) =>
      (ref: (r: string) => string): ApiCall => ({
        method: "POST",
        path: `/containers/${q(ref(r))}/${verb}`,
        command: { type: `container.${verb}`, container: ref(r) } as Command,
        status: 204,
      }),
  ),
  refArb.map(
    (r) =>
      (ref: (r: string) => string): ApiCall => ({
        method: "POST",
        path: `/containers/${q(ref(r))}/restart?t=0`,
        command: { type: "container.restart", container: ref(r), timeout: 0 } as Command,
        status: 204,
      }),
  ),
  fc.tuple(refArb, fc.constantFrom(...NAMES, "x", "bad name")).map(
    ([r, name]) =>
      (ref: (r: string) => string): ApiCall => ({
        method: "POST",
        path: `/containers/${q(ref(r))}/rename?name=${q(name)}`,
        command: { type: "container.rename", container: ref(r), name } as Command,
        status: 204,
      }),
  ),
  fc.tuple(refArb, fc.boolean()).map(
    ([r, force]) =>
      (ref: (r: string) => string): ApiCall => ({
        method: "DELETE",
        path: `/containers/${q(ref(r))}?force=${force ? 1 : 0}`,
        command: { type: "container.remove", container: ref(r), force } as Command,
        status: 204,
      }),
  ),
  fc.constant(
    (): ApiCall => ({
      method: "POST",
      path: "/containers/prune",
      command: { type: "container.prune" } as Command,
      status: 200,
    }),
  ),
);

const stepArb = fc.record({ call: callArb, advanceMs: fc.constantFrom(0, 50, 1_000, 30_000) });

/** What an event says, without where it sits in the log (its batching may differ). */
const gist = (e: StoredEvent) => ({ type: e.type, streamId: e.streamId, data: e.data, at: e.recordedAt });

async function inspectAll(engine: DurableEngine): Promise<unknown> {
  await engine.catchUp();
  const state = engine.state;
  return Object.values(state.containers)
    .sort((a, b) => a.context.id.localeCompare(b.context.id))
    .map((c) => containerInspect(c));
}

async function listAll(engine: DurableEngine): Promise<unknown> {
  const state = engine.state;
  return Object.values(state.containers)
    .sort((a, b) => b.context.createdAt - a.context.createdAt)
    .map((c) => containerSummary(c, state, engine.clock.now()));
}

describe("the API against an in-process engine", () => {
  test(`random container calls: the same answers, rows, inspect documents and events after every call; the same state after a restart (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 14 }), async (steps) => {
        const dir = mkdtempSync(join(tmpdir(), "strata-api-prop-"));
        const clock = simulatedClock();
        const open = () =>
          openEngine({ location: join(dir, "log"), clock, ids: sequentialIds("p"), follow: true });
        let served = await open();
        const local = await openEngine({
          location: "memory:",
          clock,
          ids: sequentialIds("p"),
          timers: false,
        });
        const socket = join(dir, "d.sock");
        let server = new DockerServer({ backend: { engine: served, name: "p", id: "p", location: dir } });
        try {
          await server.listen({ socket });
          await seedImage(served);
          await seedImage(local);
          const created: string[] = [];
          const ref = (r: string) =>
            r.startsWith("#") ? (created[Number(r.slice(1))] ?? "nope").slice(0, 12) : r;
          // The server ends programs that end at once (`sh -c 'exit 3'`) as soon as they start, on its
          // own; the model applies the same rule in step, and the server's ends are awaited before
          // each comparison (settle reports any still due; the server's own report then is refused).
          const settle = () =>
            Promise.all([new ProgramRuntime(served).settle(), new ProgramRuntime(local).settle()]);
          for (const step of steps) {
            clock.advance(step.advanceMs);
            await served.tick();
            await local.tick();
            await settle();
            const c = step.call(ref);
            const got = await call(socket, c.method, c.path, c.body);
            const r = await local.execute(c.command);
            await local.tick();
            await settle();
            let want: Answer;
            if (r.ok) {
              const id = r.events.find((e) => e.type === "container.created")?.streamId;
              if (id) created.push(id);
              const pruned = r.events.find((e) => e.type === "daemon.containersPruned")?.data as
                | { containerIds: string[] }
                | undefined;
              want = {
                status: c.status,
                body:
                  c.status === 201
                    ? { Id: id, Warnings: [] }
                    : c.status === 200
                      ? {
                          ContainersDeleted:
                            pruned && pruned.containerIds.length > 0 ? pruned.containerIds : null,
                          SpaceReclaimed: 0,
                        }
                      : null,
              };
            } else {
              const e = dockerError(r.error);
              want = { status: e.status, body: e.status === 304 ? null : { message: e.message } };
            }
            expect(got, `${c.method} ${c.path}`).toEqual(want);
            await served.catchUp();
            expect(await listAll(served)).toEqual(await listAll(local));
            expect(await inspectAll(served)).toEqual(await inspectAll(local));
            const rows = await call(socket, "GET", "/containers/json?all=1");
            expect(rows.body).toEqual(await listAll(local));
          }
          expect((await served.log.read()).map(gist)).toEqual((await local.log.read()).map(gist));
          // A restart: the server and its engine close; new ones open on the same log.
          const before = await inspectAll(served);
          await server.close();
          await served.close();
          served = await open();
          server = new DockerServer({ backend: { engine: served, name: "p", id: "p", location: dir } });
          await server.listen({ socket });
          expect(await inspectAll(served)).toEqual(before);
          const rows = await call(socket, "GET", "/containers/json?all=1");
          expect(rows.body).toEqual(await listAll(local));
        } finally {
          await server.close();
          await served.close();
          await local.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: RUNS },
    );
  }, 600_000);
});
