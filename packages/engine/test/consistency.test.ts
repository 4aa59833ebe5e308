/**
 * Several engines on one log never write a contradiction. Two engines run random commands at the same
 * time on one log (in memory, and two file-log handles as two processes would hold them), with random
 * pauses so their steps interleave every way. Afterwards:
 * - every batch in the log is exactly what its command decides on the log just before it (the log is
 *   as if the commands had run one after another, in log order: serializable);
 * - each engine's state equals a fresh replay of the log.
 * On PostgreSQL too, with two handles as two hosts hold them (when a server is reachable: STRATA_PG_URL;
 * required under CI=true).
 * And the named races: one name, one tag, create against rmi of its image, start against rm.
 */

import { randomBytes } from "node:crypto";
import {
  type Command,
  type EventEnvelope,
  initialState,
  type ProjectedState,
  parseEvent,
  plan,
  replayProjected,
  replayProjectedTo,
  sequentialIds,
  simulatedClock,
} from "@strata/core";
import { DurableEngine, type ExecuteResult } from "@strata/engine";
import { type FsState, fsProjection, InlineBlobStore, initialFsState, MemoryBlobStore } from "@strata/fs";
import { type EventLog, FileEventLog, MemoryEventLog, PostgresEventLog } from "@strata/store";
import fc from "fast-check";
import pg from "pg";
import { afterAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-consistency-");
const RUNS = Number(process.env.STRATA_ENGINE_RUNS ?? 150);

const name = fc.constantFrom("web", "db");
const tag = fc.constantFrom("app:1", "app:2");
const command: fc.Arbitrary<Command> = fc
  .oneof(
    fc.record({
      type: fc.constant("container.create" as const),
      image: fc.constantFrom("base:1", "app:1"),
      name,
    }),
    fc.record({
      type: fc.constantFrom(
        "container.start" as const,
        "container.kill" as const,
        "container.pause" as const,
      ),
      container: name,
    }),
    fc.record({ type: fc.constant("container.stop" as const), container: name, timeout: fc.constant(0) }),
    fc.record({ type: fc.constant("container.remove" as const), container: name, force: fc.boolean() }),
    fc.record({ type: fc.constant("container.rename" as const), container: name, name }),
    fc.record({ type: fc.constant("image.tag" as const), image: fc.constantFrom("base:1", "app:2"), tag }),
    fc.record({ type: fc.constant("image.remove" as const), image: tag, force: fc.boolean() }),
    fc.record({ type: fc.constant("container.commit" as const), container: name, tag }),
    fc.record({
      type: fc.constant("fs.writeFile" as const),
      container: name,
      path: fc.constantFrom("/a", "/b"),
      content: fc.constantFrom("x", "yy"),
    }),
  )
  .map((c) => JSON.parse(JSON.stringify(c)) as Command);

/** A step: a command, and how many turns of the event loop to let pass before it. */
const step = fc.record({ command, pause: fc.nat({ max: 3 }) });

const pause = async (turns: number) => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};

async function run(engine: DurableEngine, steps: readonly { command: Command; pause: number }[]) {
  const results: ExecuteResult[] = [];
  for (const s of steps) {
    await pause(s.pause);
    results.push(await engine.execute(s.command));
  }
  return results;
}

/** Every batch is what its command decides on the log just before it. */
function checkSerializable(
  events: readonly EventEnvelope[],
  results: readonly ExecuteResult[],
  now: number,
  blobs: MemoryBlobStore,
) {
  // The commands as decided name their contents by digest: replanning finds them in the engines' store,
  // or carried inline by the log's events.
  const contents = new InlineBlobStore(blobs);
  contents.learn(events);
  const projection = fsProjection({ blobs: contents });
  for (const r of results) {
    if (r.events.length === 0) continue;
    const first = r.events[0]?.seq as number;
    const before: ProjectedState<FsState> =
      first === 1
        ? { core: initialState(), projection: initialFsState() }
        : replayProjectedTo(projection, events, first - 1);
    const again = plan(projection, before, r.command, now);
    expect(again.outcome, `${r.command.type} at seq ${first}`).toBe(r.outcome);
    expect(
      again.events.map((e) => ({ ...e.event })),
      `${r.command.type} at seq ${first}`,
    ).toEqual(r.events.map(({ seq: _s, ...e }) => e));
  }
}

async function twoEngines(
  makeLogs: (delays: readonly number[]) => Promise<[EventLog, EventLog]>,
  runs: number,
) {
  await fc.assert(
    fc.asyncProperty(
      fc.array(step, { maxLength: 12 }),
      fc.array(step, { maxLength: 12 }),
      fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 8 }),
      async (stepsA, stepsB, delays) => {
        const [logA, logB] = await makeLogs(delays);
        const clock = simulatedClock();
        const blobs = new MemoryBlobStore();
        const a = await DurableEngine.open({ log: logA, blobs, clock, ids: sequentialIds("a") });
        const b = await DurableEngine.open({ log: logB, blobs, clock, ids: sequentialIds("b") });
        try {
          await a.execute({ type: "image.create", layers: [], tags: ["base:1"] });
          const [ra, rb] = await Promise.all([run(a, stepsA), run(b, stepsB)]);
          const events = (await logA.read()).map((e) => parseEvent(e, `seq ${e.seq}`));
          checkSerializable(events, [...ra, ...rb], clock.now(), blobs);
          // Each engine, caught up, is the replay of the log.
          const replayed = replayProjected(fsProjection({ blobs }), events);
          for (const engine of [a, b]) {
            await engine.catchUp();
            expect(engine.state).toEqual(replayed.core);
          }
        } finally {
          await a.close();
          await b.close();
        }
      },
    ),
    { numRuns: runs },
  );
}

/**
 * One in-memory log shared by two engines, whose reads and appends take a few turns of the event loop
 * (the turns cycling through `delays`), so that one engine's read and append can fall between the
 * other's, as they do across processes.
 */
function sharedMemoryLog(delays: readonly number[]): EventLog {
  const log = new MemoryEventLog();
  let i = 0;
  const later = async <T>(f: () => Promise<T>): Promise<T> => {
    await pause(delays[i++ % delays.length] as number);
    const r = await f();
    await pause(delays[i++ % delays.length] as number);
    return r;
  };
  return {
    lastSeq: () => later(() => log.lastSeq()),
    append: (e, o) => later(() => log.append(e, o)),
    read: (f, l) => later(() => log.read(f, l)),
    readStream: (s, f) => log.readStream(s, f),
    streamVersion: (s) => log.streamVersion(s),
    subscribe: (f, h) => log.subscribe(f, h),
    close: async () => {}, // both engines share it
  };
}

describe("two engines on one log never write a contradiction", () => {
  test(`in memory: random commands, random interleavings (${RUNS} runs)`, async () => {
    await twoEngines(async (delays) => {
      const shared = sharedMemoryLog(delays);
      return [shared, shared];
    }, RUNS);
  });

  test(`two file-log handles, as two processes hold them (${Math.ceil(RUNS / 5)} runs)`, async () => {
    await twoEngines(
      async () => {
        const dir = tmp();
        return [await FileEventLog.open(dir), await FileEventLog.open(dir)];
      },
      Math.ceil(RUNS / 5),
    );
  });
});

const PG_URL = process.env.STRATA_PG_URL ?? "postgres://postgres:strata@127.0.0.1:5432/strata_test";
const pgWhy = await (async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return null;
  } catch (e) {
    const why = `cannot connect to ${PG_URL.replace(/:[^:@/]*@/, ":***@")}: ${(e as Error).message}`;
    if (process.env.CI === "true")
      throw new Error(`the PostgreSQL consistency test must run in CI, but ${why}`);
    console.warn(`skipping the PostgreSQL consistency test: ${why}`);
    return why;
  } finally {
    await client.end().catch(() => {});
  }
})();
const pgSchemas: string[] = [];
afterAll(async () => {
  if (pgSchemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const s of pgSchemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await client.end();
});

describe.runIf(pgWhy === null)("two engines on one PostgreSQL log never write a contradiction", () => {
  test(`two handles, as two hosts hold them (${Math.ceil(RUNS / 10)} runs)`, async () => {
    const logs: EventLog[] = [];
    try {
      await twoEngines(
        async () => {
          const schema = `strata_c_${randomBytes(6).toString("hex")}`;
          pgSchemas.push(schema);
          const a = await PostgresEventLog.open({ connectionString: PG_URL, schema });
          const b = await PostgresEventLog.open({ connectionString: PG_URL, schema });
          logs.push(a, b);
          return [a, b];
        },
        Math.ceil(RUNS / 10),
      );
    } finally {
      for (const log of logs) await log.close().catch(() => {});
    }
  }, 300_000);
});

describe("named races: exactly one wins, the loser gets Docker's answer", () => {
  async function race(first: Command[], a: Command, b: Command) {
    const log = sharedMemoryLog([0, 1]);
    const blobs = new MemoryBlobStore();
    const clock = simulatedClock();
    const x = await DurableEngine.open({ log, blobs, clock, ids: sequentialIds("x") });
    const y = await DurableEngine.open({ log, blobs, clock, ids: sequentialIds("y") });
    for (const c of first) expect((await x.execute(c)).ok, c.type).toBe(true);
    await y.catchUp();
    const results = await Promise.all([x.execute(a), y.execute(b)]);
    return { results, x, y };
  }
  const base: Command = { type: "image.create", layers: [], tags: ["base:1"] };

  test("two creates of the same name", async () => {
    const { results } = await race(
      [base],
      { type: "container.create", image: "base:1", name: "web" },
      { type: "container.create", image: "base:1", name: "web" },
    );
    expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
    const loser = results.find((r) => !r.ok);
    expect(loser?.error?.message).toMatch(
      /^Conflict\. The container name "\/web" is already in use by container "[0-9a-f]{64}"/,
    );
    expect(loser?.attempts).toBe(2);
  });

  test("create against rmi of its image: either the image goes first (No such image) or the container pins it (conflict)", async () => {
    const { results, x } = await race(
      [base],
      { type: "container.create", image: "base:1", name: "web" },
      { type: "image.remove", image: "base:1" },
    );
    const [create, rmi] = results as [ExecuteResult, ExecuteResult];
    expect(create.ok !== rmi.ok).toBe(true);
    if (create.ok) expect(rmi.error?.message).toMatch(/conflict: unable to (remove|delete)/);
    else expect(create.error?.message).toMatch(/No such image: base:1/);
    await x.catchUp();
    const web = x.state.names.web;
    if (web) expect(x.state.images[x.state.containers[web]?.context.imageId as string]).toBeDefined();
  });

  test("start against rm of the same container", async () => {
    const { results } = await race(
      [base, { type: "container.create", image: "base:1", name: "web" }],
      { type: "container.start", container: "web" },
      { type: "container.remove", container: "web" },
    );
    const [start, rm] = results as [ExecuteResult, ExecuteResult];
    // Either start first (then rm of a running container is refused) or rm first (then no such container).
    expect(start.ok && rm.ok).toBe(false);
    expect(start.ok || rm.ok).toBe(true);
  });

  test("two tags of the same name onto different images: both succeed, in log order (a tag moves)", async () => {
    const { results, x } = await race(
      [base, { type: "image.create", layers: [], tags: ["other:1"] }],
      { type: "image.tag", image: "base:1", tag: "app:1" },
      { type: "image.tag", image: "other:1", tag: "app:1" },
    );
    expect(results.every((r) => r.ok)).toBe(true);
    await x.catchUp();
    const last = results.reduce((m, r) =>
      (r.events.at(-1)?.seq ?? 0) > (m.events.at(-1)?.seq ?? 0) ? r : m,
    );
    expect(x.state.tags["app:1"]).toBe(last.events.at(-1)?.streamId);
  });
});
