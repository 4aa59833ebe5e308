/**
 * Engines in separate processes racing on one log — a directory (the file log) and PostgreSQL — for
 * hundreds of rounds: in each, racers send a conflicting command at the same moment (the same name;
 * the same tag on their own images; create against rmi of its image; start against rm). Exactly one
 * wins each race (of the tag: every racer's tag is accepted, as Docker moves a tag, and the tag ends on
 * the image of the last one appended), the log never holds a contradiction (a property over the
 * replayed log), and every racer's own state, dumped by the racer, is a fresh read-only replay's.
 * And file contents written by one host are read by another from the PostgreSQL log alone.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { applyEvents, type EngineState, type EventEnvelope, initialState, parseEvent } from "@strata/core";
import { openEngine } from "@strata/engine";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-races-");
const RACER = new URL("./fixtures/racer.mjs", import.meta.url).pathname;
const DIST = new URL("../dist/index.js", import.meta.url).pathname;
const ROUNDS = Number(process.env.STRATA_RACE_ROUNDS ?? 60);
const PG_URL = process.env.STRATA_PG_URL ?? "postgres://postgres:strata@127.0.0.1:5432/strata_test";

beforeAll(() => {
  if (!existsSync(DIST))
    throw new Error(
      `the race tests run child processes on the built package: run pnpm build first (${DIST} is missing)`,
    );
});

/** A racer process and a way to send it a command and get its answer. */
class Racer {
  readonly #child: ChildProcess;
  readonly #lines: Interface;
  readonly #waiting: ((line: string) => void)[] = [];
  readonly ready: Promise<void>;

  constructor(location: string, who: string) {
    this.#child = spawn(process.execPath, [RACER, location, who], { stdio: ["pipe", "pipe", "inherit"] });
    this.#lines = createInterface({ input: this.#child.stdout as NodeJS.ReadableStream });
    this.#lines.on("line", (line) => this.#waiting.shift()?.(line));
    this.ready = new Promise((resolve) => this.#waiting.push(() => resolve()));
  }

  send(command: object): Promise<{ ok: boolean; outcome: string; error: string | null; seqs: number[] }> {
    return this.#ask(command);
  }

  /** The racer's own state, after it caught up with the log. */
  dump(): Promise<{ seq: number; state: EngineState }> {
    return this.#ask({ dump: true });
  }

  #ask<T>(message: object): Promise<T> {
    return new Promise((resolve) => {
      this.#waiting.push((line) => resolve(JSON.parse(line)));
      this.#child.stdin?.write(`${JSON.stringify(message)}\n`);
    });
  }

  async stop(): Promise<void> {
    this.#child.stdin?.end();
    await new Promise((r) => this.#child.once("exit", r));
  }
}

/** What must hold of any log, however the races went: checked event by event on a replay. */
function checkNoContradiction(events: readonly EventEnvelope[]): EngineState {
  let state = initialState();
  for (const e of events) {
    if (e.type === "container.created") {
      const d = e.data as { name: string; imageId: string };
      expect(state.names[d.name], `seq ${e.seq}: name ${d.name} taken twice`).toBeUndefined();
      expect(state.images[d.imageId]?.status, `seq ${e.seq}: a container of a removed image`).toBe("present");
    }
    if (e.type === "container.started")
      expect(state.containers[e.streamId], `seq ${e.seq}: started a removed container`).toBeDefined();
    if (e.type === "image.tagged") {
      // A tag moves by untagging its holder first: a decision on a stale holder would leave two.
      const tag = (e.data as { tag: string }).tag;
      const holder = state.tags[tag];
      expect(
        holder === undefined || holder === e.streamId,
        `seq ${e.seq}: ${tag} tagged while ${holder} held it`,
      ).toBe(true);
    }
    state = applyEvents(state, [e]);
  }
  // Each tag is listed by exactly the image the index says holds it.
  for (const image of Object.values(state.images))
    for (const tag of image.tags) expect(state.tags[tag], `${tag} of ${image.id}`).toBe(image.id);
  for (const [tag, id] of Object.entries(state.tags)) expect(state.images[id]?.tags).toContain(tag);
  return state;
}

async function raceOn(location: string) {
  const racers = ["a", "b", "c"].map((who) => new Racer(location, who));
  await Promise.all(racers.map((r) => r.ready));
  const [a, b, c] = racers as [Racer, Racer, Racer];
  /** Per round, the racer whose tag was appended last (its image must hold the tag at the end). */
  const tagWinners: string[] = [];
  const dumps: { seq: number; state: EngineState }[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const image = `img${round}:1`;
      expect((await a.send({ type: "image.create", layers: [], tags: [image] })).ok).toBe(true);
      // One name, three creators.
      const names = await Promise.all(
        racers.map((r) => r.send({ type: "container.create", image, name: `n${round}` })),
      );
      expect(
        names.filter((x) => x.ok),
        `round ${round}: ${JSON.stringify(names)}`,
      ).toHaveLength(1);
      for (const lost of names.filter((x) => !x.ok))
        expect(lost.error).toMatch(
          new RegExp(`^Conflict\\. The container name "/n${round}" is already in use`),
        );
      // Create against rmi of the image (a fresh image, so that nothing else pins it).
      const other = `other${round}:1`;
      expect((await b.send({ type: "image.create", layers: [], tags: [other] })).ok).toBe(true);
      const [created, removed] = await Promise.all([
        b.send({ type: "container.create", image: other, name: `m${round}` }),
        c.send({ type: "image.remove", image: other }),
      ]);
      expect(created.ok !== removed.ok, `round ${round}: ${JSON.stringify([created, removed])}`).toBe(true);
      // Start against rm.
      const [started, gone] = await Promise.all([
        a.send({ type: "container.start", container: `n${round}` }),
        c.send({ type: "container.remove", container: `n${round}` }),
      ]);
      expect(started.ok !== gone.ok, `round ${round}: ${JSON.stringify([started, gone])}`).toBe(true);
      // One tag, three images (each racer its own): every tag is accepted (Docker moves a tag).
      const own = await Promise.all(
        racers.map((r, i) => r.send({ type: "image.create", layers: [], tags: [`t${round}${"abc"[i]}:1`] })),
      );
      expect(own.every((x) => x.ok)).toBe(true);
      const tagged = await Promise.all(
        racers.map((r, i) =>
          r.send({ type: "image.tag", image: `t${round}${"abc"[i]}:1`, tag: `shared${round}:1` }),
        ),
      );
      expect(
        tagged.every((x) => x.ok),
        `round ${round}: ${JSON.stringify(tagged)}`,
      ).toBe(true);
      const last = Math.max(...tagged.map((x) => x.seqs.at(-1) as number));
      tagWinners.push("abc"[tagged.findIndex((x) => x.seqs.at(-1) === last)] as string);
    }
    for (const r of racers) dumps.push(await r.dump());
  } finally {
    await Promise.all(racers.map((r) => r.stop()));
  }
  const engine = await openEngine({ location, readOnly: true, timers: false });
  try {
    const events = (await engine.log.read()).map((e) => parseEvent(e, `seq ${e.seq}`));
    const replayed = checkNoContradiction(events);
    expect(engine.state).toEqual(replayed);
    for (const [round, winner] of tagWinners.entries())
      expect(replayed.tags[`shared${round}:1`], `round ${round}: the last tag appended was ${winner}'s`).toBe(
        replayed.tags[`t${round}${winner}:1`],
      );
    // Each racer's own state (as JSON, the way it crossed the pipe) is the fresh replay's.
    const fresh = JSON.parse(JSON.stringify(replayed));
    dumps.forEach((dump, i) => {
      expect(dump.seq, `racer ${"abc"[i]}`).toBe(events.length);
      expect(dump.state, `racer ${"abc"[i]}'s own state`).toEqual(fresh);
    });
  } finally {
    await engine.close();
  }
}

describe("engines in separate processes racing on one file log", () => {
  test(`${ROUNDS} rounds of four races each: exactly one wins each, the log holds no contradiction`, async () => {
    await raceOn(tmp());
  }, 300_000);
});

const pgWhy = await reachable();
if (pgWhy !== null) {
  if (process.env.CI === "true") throw new Error(`the PostgreSQL race tests must run in CI, but ${pgWhy}`);
  console.warn(`skipping the PostgreSQL race tests: ${pgWhy}`);
}
const schemas: string[] = [];
afterAll(async () => {
  if (pgWhy !== null || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  await client.end();
});
/** A PostgreSQL location of its own (a fresh schema, through the connection string's options). */
function freshPg(): { location: string; schema: string } {
  const schema = `strata_e_${randomBytes(6).toString("hex")}`;
  schemas.push(schema);
  return { location: `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}schema=${schema}`, schema };
}

describe.skipIf(pgWhy !== null)("PostgreSQL", () => {
  test(`engines in separate processes racing on one PostgreSQL log, ${ROUNDS} rounds`, async () => {
    await raceOn(freshPg().location);
  }, 300_000);

  test("a file written on one host is read on another from the PostgreSQL log alone", async () => {
    const { location } = freshPg();
    const hostA = tmp();
    const hostB = tmp();
    const bytes = randomBytes(300_000).toString("base64");
    writeFileSync(join(hostA, "data.b64"), bytes);
    const script = (body: string) =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ["--input-type=module", "-e", body], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
        });
        child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
      });
    await script(`
      const { openEngine } = await import(${JSON.stringify(DIST)});
      process.chdir(${JSON.stringify(hostA)});
      const engine = await openEngine({ location: ${JSON.stringify(location)}, timers: false });
      await engine.execute({ type: "image.create", layers: [], tags: ["base:1"] });
      await engine.execute({ type: "container.create", image: "base:1", name: "web" });
      const { readFileSync } = await import("node:fs");
      const content = readFileSync("data.b64", "utf8");
      const r = await engine.execute({ type: "fs.writeFile", container: "web", path: "/data", content, encoding: "base64" });
      if (!r.ok) throw new Error(r.error.message);
      await engine.close();`);
    const read = await script(`
      const { openEngine } = await import(${JSON.stringify(DIST)});
      process.chdir(${JSON.stringify(hostB)});
      const engine = await openEngine({ location: ${JSON.stringify(location)}, timers: false, blobCache: "cache" });
      process.stdout.write(Buffer.from(await engine.readFile("web", "/data")).toString("base64"));
      await engine.close();`);
    expect(read).toBe(bytes);
  }, 60_000);
});

async function reachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return null;
  } catch (e) {
    return `cannot connect to ${PG_URL.replace(/:[^:@/]*@/, ":***@")}: ${(e as Error).message}`;
  } finally {
    await client.end().catch(() => {});
  }
}
