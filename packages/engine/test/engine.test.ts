/**
 * The durable engine on its own: what execute appends and answers (timers included, one batch), that
 * a failed append changes nothing, that a reopened engine has everything back, time travel, and the
 * real-time timers with the system clock.
 */
import { randomBytes } from "node:crypto";
import { cpSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Command, parseEvent, replay, sequentialIds, simulatedClock, systemClock } from "@strata/core";
import { DurableEngine, openEngine } from "@strata/engine";
import { MemoryBlobStore } from "@strata/fs";
import { type EventLog, MemoryEventLog, StorageError } from "@strata/store";
import pg from "pg";
import { afterAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-engine-");

const PG_URL = process.env.STRATA_PG_URL ?? "postgres://postgres:strata@127.0.0.1:5432/strata_test";
const pgWhy = await (async () => {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return null;
  } catch (e) {
    const why = `cannot connect to ${PG_URL.replace(/:[^:@/]*@/, ":***@")}: ${(e as Error).message}`;
    if (process.env.CI === "true") throw new Error(`the PostgreSQL engine tests must run in CI, but ${why}`);
    console.warn(`skipping the PostgreSQL engine tests: ${why}`);
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

const base: Command = { type: "image.create", layers: [], tags: ["base:1"], cmd: ["/bin/sh"] };

describe("execute", () => {
  test("the answer lists everything appended, the timers that were due first included, in one batch", async () => {
    const clock = simulatedClock();
    const log = new MemoryEventLog();
    let appends = 0;
    const counting: EventLog = {
      ...bind(log),
      append: (e, o) => {
        appends++;
        return log.append(e, o);
      },
    };
    const engine = await DurableEngine.open({
      log: counting,
      blobs: new MemoryBlobStore(),
      clock,
      ids: sequentialIds("t"),
    });
    await engine.execute(base);
    await engine.execute({ type: "container.create", image: "base:1", name: "web" });
    await engine.execute({ type: "container.start", container: "web" });
    const stop = await engine.execute({ type: "container.stop", container: "web", timeout: 1 });
    expect(stop.events.map((e) => e.type)).toEqual(["container.stopRequested", "container.signalled"]);
    clock.advance(2_000);
    const before = appends;
    const tag = await engine.execute({ type: "image.tag", image: "base:1", tag: "base:2" });
    expect(tag.ok).toBe(true);
    expect(tag.events.map((e) => e.type)).toEqual([
      "container.signalled",
      "container.died",
      "container.stopped",
      "image.tagged",
    ]);
    expect(appends).toBe(before + 1);
    expect((await log.read()).slice(-4).map((e) => e.seq)).toEqual(tag.events.map((e) => e.seq));
    expect(engine.state.containers[engine.state.names.web as string]?.status).toBe("exited");
    await engine.close();
  });

  test("an append that fails leaves the engine's state as it was, and the command can run again", async () => {
    const log = new MemoryEventLog();
    let fail = false;
    const flaky: EventLog = {
      ...bind(log),
      append: (e, o) =>
        fail ? Promise.reject(new StorageError("append to", "/dev/full", "ENOSPC")) : log.append(e, o),
    };
    const engine = await DurableEngine.open({
      log: flaky,
      blobs: new MemoryBlobStore(),
      clock: simulatedClock(),
    });
    await engine.execute(base);
    const before = engine.state;
    fail = true;
    await expect(
      engine.execute({ type: "container.create", image: "base:1", name: "web" }),
    ).rejects.toMatchObject({
      errno: "ENOSPC",
    });
    expect(engine.state).toBe(before);
    expect(engine.seq).toBe(await log.lastSeq());
    fail = false;
    const r = await engine.execute({ type: "container.create", image: "base:1", name: "web" });
    expect(r.ok).toBe(true);
    await engine.close();
  });

  test("a refused command appends nothing but the timers due, and says why in Docker's words", async () => {
    const engine = await DurableEngine.open({
      log: new MemoryEventLog(),
      blobs: new MemoryBlobStore(),
      clock: simulatedClock(),
    });
    await engine.execute(base);
    const r = await engine.execute({ type: "container.start", container: "nope" });
    expect(r).toMatchObject({ ok: false, outcome: "refused", events: [] });
    expect(r.error?.message).toBe("No such container: nope");
    await engine.close();
  });
});

describe("catchUp", () => {
  test("readers that ask while a catch-up waits its turn share it, and each sees every event appended before it asked", async () => {
    const log = new MemoryEventLog();
    let reads = 0;
    const counted: EventLog = {
      ...bind(log),
      read: (from, limit) => {
        reads += 1;
        return log.read(from, limit);
      },
    };
    const engine = await DurableEngine.open({
      log: counted,
      blobs: new MemoryBlobStore(),
      clock: simulatedClock(),
    });
    // Another writer of the same log: the engine learns of its events only by catching up.
    const other = await DurableEngine.open({ log, blobs: new MemoryBlobStore(), clock: simulatedClock() });
    await other.execute(base);
    const busy = engine.execute({ type: "container.create", image: "base:1", name: "web" });
    await other.execute({ type: "container.create", image: "base:1", name: "db" });
    const before = reads;
    const readers = await Promise.all(
      Array.from({ length: 16 }, async () => {
        await engine.catchUp();
        return Object.values(engine.state.containers).map((c) => c.context.name);
      }),
    );
    await busy;
    for (const names of readers) expect(names).toEqual(expect.arrayContaining(["web", "db"]));
    // One catch-up for the sixteen: a read that finds the new events, and one that finds nothing more.
    expect(reads - before).toBeLessThanOrEqual(2);
    // A reader that asks after that catch-up started gets a new one, which sees what came after.
    await other.execute({ type: "container.create", image: "base:1", name: "cache" });
    await engine.catchUp();
    expect(Object.values(engine.state.containers).map((c) => c.context.name)).toContain("cache");
    await other.close();
    await engine.close();
  });
});

describe("durable", () => {
  test("a reopened engine has its containers and files back; time travel reads the past from the log", async () => {
    const dir = tmp();
    const clock = simulatedClock();
    const a = await openEngine({ location: dir, clock, ids: sequentialIds("a") });
    await a.execute(base);
    await a.execute({ type: "container.create", image: "base:1", name: "web" });
    const write = await a.execute({
      type: "fs.writeFile",
      container: "web",
      path: "/hello",
      content: "hello\n",
    });
    await a.execute({ type: "fs.writeFile", container: "web", path: "/hello", content: "bye\n" });
    await a.close();
    const b = await openEngine({ location: dir, clock });
    expect(Buffer.from(b.view("web").readFile("/hello")).toString()).toBe("bye\n");
    const then = await b.at(write.events.at(-1)?.seq as number);
    expect(Buffer.from(then.view("web").readFile("/hello")).toString()).toBe("hello\n");
    expect(Buffer.from(await b.readFile("web", "/hello", { at: then.seq })).toString()).toBe("hello\n");
    await expect(b.at(10_000)).rejects.toMatchObject({ reason: "no-such-event" });
    await b.close();
    // Read-only: no writes, nothing created.
    const reader = await openEngine({ location: dir, readOnly: true, clock });
    expect(reader.state.names.web).toBeDefined();
    await expect(reader.execute(base)).rejects.toMatchObject({ code: "ReadOnly" });
    await reader.close();
    await expect(openEngine({ location: join(dir, "nope"), readOnly: true })).rejects.toMatchObject({
      code: "LogNotFound",
    });
  });
});

/**
 * A read-only engine on `location` (a log whose stop deadline is long past) appends nothing: its timers
 * are off, and stay off when asked for; `tick` fires nothing; `execute` and `snapshot` refuse.
 */
async function readOnlyNeverAppends(location: string, written: () => Promise<unknown>): Promise<void> {
  const writer = await openEngine({ location, clock: simulatedClock(), timers: false });
  await writer.execute(base);
  await writer.execute({
    type: "container.create",
    image: "base:1",
    name: "web",
    handlers: { SIGTERM: { action: "ignore" } },
  });
  await writer.execute({ type: "container.start", container: "web" });
  await writer.execute({ type: "container.stop", container: "web", timeout: 1 });
  await writer.close();
  const before = await written();
  for (const timers of [undefined, true]) {
    const warnings: string[] = [];
    const reader = await openEngine({
      location,
      readOnly: true,
      ...(timers === undefined ? {} : { timers }),
      onWarning: (w) => warnings.push(w),
    });
    expect(reader.readOnly).toBe(true);
    const seq = reader.seq;
    await new Promise((r) => setTimeout(r, 300));
    expect(await reader.tick()).toEqual([]);
    await expect(reader.execute(base)).rejects.toMatchObject({ code: "ReadOnly" });
    await expect(reader.snapshot()).rejects.toMatchObject({ code: "ReadOnly" });
    expect(warnings).toEqual([]);
    expect(reader.seq).toBe(seq);
    expect(await reader.log.lastSeq()).toBe(seq);
    expect(reader.state.containers[reader.state.names.web as string]?.status).toBe("running");
    await reader.close();
  }
  expect(await written()).toEqual(before);
}

/** Every file under `dir` with its size. */
function filesUnder(dir: string): Record<string, number> {
  const files: Record<string, number> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const stat = statSync(join(dir, name));
    if (stat.isFile()) files[name] = stat.size;
  }
  return files;
}

describe("a read-only engine never appends", () => {
  test("on a directory", async () => {
    const dir = tmp();
    await readOnlyNeverAppends(dir, async () => filesUnder(dir));
  });

  test.runIf(pgWhy === null)("on PostgreSQL", async () => {
    const schema = `strata_ro_${randomBytes(6).toString("hex")}`;
    pgSchemas.push(schema);
    await readOnlyNeverAppends(`${PG_URL}${PG_URL.includes("?") ? "&" : "?"}schema=${schema}`, async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        const r = await client.query(
          `SELECT (SELECT count(*) FROM ${schema}.strata_events) AS events, (SELECT count(*) FROM ${schema}.strata_snapshots) AS snapshots, (SELECT count(*) FROM ${schema}.strata_blobs) AS blobs`,
        );
        return r.rows[0];
      } finally {
        await client.end();
      }
    });
  });

  test.runIf(pgWhy === null)("a missing PostgreSQL schema is LogNotFound, and is not created", async () => {
    const schema = `strata_ro_${randomBytes(6).toString("hex")}`;
    await expect(
      openEngine({
        location: `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}schema=${schema}`,
        readOnly: true,
      }),
    ).rejects.toMatchObject({ code: "LogNotFound" });
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    const r = await client.query("SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1", [schema]);
    await client.end();
    expect(r.rows[0].n).toBe(0);
  });
});

describe("logs written before the engine", () => {
  test("the committed v1 fixture log opens through the engine and folds to the state a plain replay gives", async () => {
    const dir = tmp();
    cpSync(new URL("../../store/test/fixtures/log-v1", import.meta.url).pathname, join(dir, "events"), {
      recursive: true,
    });
    const engine = await openEngine({ location: dir, readOnly: true, clock: simulatedClock() });
    const events = (await engine.log.read()).map((e) => parseEvent(e, `seq ${e.seq}`));
    expect(events).toHaveLength(20);
    expect(engine.state).toEqual(replay(events));
    expect(engine.seq).toBe(20);
    await engine.close();
  });
});

describe("real time", () => {
  test("with the system clock, a stop's SIGKILL fires at its deadline and wait resolves", async () => {
    const engine = await openEngine({ location: tmp() });
    await engine.execute(base);
    await engine.execute({
      type: "container.create",
      image: "base:1",
      name: "web",
      handlers: { SIGTERM: { action: "ignore" } },
    });
    await engine.execute({ type: "container.start", container: "web" });
    const r = await engine.execute({ type: "container.stop", container: "web", timeout: 1 });
    expect(r.ok).toBe(true);
    const waited = await engine.wait("web");
    expect(waited).toEqual({ statusCode: 137 });
    expect(engine.state.containers[engine.state.names.web as string]?.status).toBe("exited");
    expect(engine.clock).toBe(systemClock);
    await engine.close();
  }, 20_000);
});

describe("timers whose append fails", () => {
  test("try again after a delay that doubles (100 ms, 200 ms, …), not at once; and fire when the log takes appends again", async () => {
    // A stop whose deadline is long past when the engine opens: its timer is due at once.
    const clock = simulatedClock();
    const log = new MemoryEventLog();
    const setup = await DurableEngine.open({
      log: { ...bind(log), close: async () => {} },
      blobs: new MemoryBlobStore(),
      clock,
      timers: false,
    });
    await setup.execute(base);
    await setup.execute({
      type: "container.create",
      image: "base:1",
      name: "web",
      handlers: { SIGTERM: { action: "ignore" } },
    });
    await setup.execute({ type: "container.start", container: "web" });
    await setup.execute({ type: "container.stop", container: "web", timeout: 1 });
    await setup.close();
    clock.advance(5_000);
    let fail = true;
    const warnings: string[] = [];
    const flaky: EventLog = {
      ...bind(log),
      append: (e, o) =>
        fail ? Promise.reject(new StorageError("append to", "/dev/full", "ENOSPC")) : log.append(e, o),
    };
    const engine = await DurableEngine.open({
      log: flaky,
      blobs: new MemoryBlobStore(),
      clock,
      timers: true,
      onWarning: (w) => warnings.push(w),
    });
    await new Promise((r) => setTimeout(r, 700));
    // Tries at 0, 100, 300 (and perhaps 700) ms; retrying at once made hundreds in that time.
    expect(warnings.length, warnings.join("\n")).toBeGreaterThanOrEqual(2);
    expect(warnings.length, warnings.join("\n")).toBeLessThanOrEqual(5);
    expect(warnings[0]).toMatch(/a timer could not fire: .*ENOSPC.*\(trying again in 100 ms\)/);
    expect(warnings[1]).toMatch(/\(trying again in 200 ms\)/);
    expect(engine.state.containers[engine.state.names.web as string]?.status).toBe("running");
    fail = false;
    expect(await engine.wait("web")).toEqual({ statusCode: 137 });
    await engine.close();
  }, 20_000);
});

/** A log's methods bound to it, to build a wrapper that changes one of them. */
function bind(log: EventLog): EventLog {
  return {
    lastSeq: () => log.lastSeq(),
    append: (e, o) => log.append(e, o),
    read: (f, l) => log.read(f, l),
    readStream: (s, f) => log.readStream(s, f),
    streamVersion: (s) => log.streamVersion(s),
    subscribe: (f, h) => log.subscribe(f, h),
    close: () => log.close(),
  };
}
