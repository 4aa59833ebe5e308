/**
 * The timeline's state at any seq is the engine's, whatever the checkpoint spacing, for the events read
 * at open and for those that arrive after (folded as the engine follows the log); and the explorer's
 * API refuses what it does not serve, with a status and a message that say why.
 */
import { request } from "node:http";
import { type Command, sequentialIds, simulatedClock } from "@strata/core";
import { DurableEngine } from "@strata/engine";
import { ExplorerServer, MAX_ROWS, Timeline } from "@strata/explorer";
import { MemoryBlobStore } from "@strata/fs";
import { MemoryEventLog } from "@strata/store";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

const script: Command[] = [
  { type: "image.create", layers: [], tags: ["base:1"], cmd: ["/bin/sh"] },
  { type: "container.create", image: "base:1", name: "web" },
  { type: "fs.mkdir", container: "web", path: "/etc", mode: 0o755 },
  { type: "fs.writeFile", container: "web", path: "/etc/a", content: "a" },
  { type: "container.start", container: "web" },
  { type: "fs.writeFile", container: "web", path: "/etc/b", content: "b" },
  { type: "fs.remove", container: "web", path: "/etc/a" },
  { type: "container.stop", container: "web", timeout: 0 },
  { type: "container.commit", container: "web", tag: "web:2" },
  { type: "container.create", image: "web:2", name: "db" },
  { type: "fs.remove", container: "db", path: "/etc", recursive: true },
  { type: "fs.mkdir", container: "db", path: "/etc", mode: 0o700 },
  { type: "container.rename", container: "db", name: "cache" },
  { type: "container.remove", container: "web" },
];

async function engineWith(commands: readonly Command[]): Promise<DurableEngine> {
  const engine = await DurableEngine.open({
    log: new MemoryEventLog(),
    blobs: new MemoryBlobStore(),
    clock: simulatedClock(),
    ids: sequentialIds("t"),
  });
  for (const c of commands) {
    const r = await engine.execute(c);
    if (!r.ok) throw new Error(`${c.type}: ${r.error?.message}`);
  }
  return engine;
}

describe("Timeline", () => {
  test("property: the state at every seq is the engine's, for any checkpoint spacing and any split between the events read at open and those that arrive", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 0, max: script.length }),
        async (every, atOpen) => {
          const engine = await engineWith(script.slice(0, atOpen));
          const timeline = await Timeline.open(engine, { checkpointEvery: every });
          for (const c of script.slice(atOpen)) await engine.execute(c);
          expect(timeline.lastSeq).toBe(engine.seq);
          for (let seq = 0; seq <= engine.seq; seq++) {
            const mine = await timeline.at(seq);
            const theirs = await engine.at(seq);
            expect(mine.core, `seq ${seq}`).toEqual(theirs.core);
            expect(mine.projection.containers.keys().sort()).toEqual(
              theirs.projection.containers.keys().sort(),
            );
          }
          expect(timeline.rows.map((r) => r.seq)).toEqual(
            Array.from({ length: engine.seq }, (_, i) => i + 1),
          );
          // The status path of db (renamed cache): created, then nothing else changed its status.
          const db = Object.values(engine.state.containers).find((c) => c.context.name === "cache");
          if (db)
            expect(timeline.statusChanges(db.context.id, engine.seq).map((c) => c.to)).toEqual(["created"]);
          timeline.close();
          await engine.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  test("a seq the log does not have is a NotFoundError naming the range", async () => {
    const engine = await engineWith(script.slice(0, 3));
    const timeline = await Timeline.open(engine);
    const last = engine.seq;
    await expect(timeline.at(last + 1)).rejects.toThrow(
      `No such event: ${last + 1} (the log has events 1 to ${last}; 0 is before the first)`,
    );
    await expect(timeline.at(-1)).rejects.toThrow("No such event");
    await engine.close();
  });
});

describe("ExplorerServer's API", () => {
  test("bad requests get a status and a message; lists are bounded; other hosts and methods are refused", async () => {
    const engine = await engineWith(script);
    const server = new ExplorerServer({ engine, location: "memory:" });
    const url = await server.listen();
    const get = async (path: string, init?: RequestInit) => {
      const res = await fetch(`${url}${path}`, init);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      expect(await get("api/state?seq=999")).toEqual({
        status: 404,
        body: {
          message: `No such event: 999 (the log has events 1 to ${engine.seq}; 0 is before the first)`,
        },
      });
      expect(await get("api/state?seq=x")).toEqual({
        status: 400,
        body: { message: 'seq: "x" is not a whole number' },
      });
      expect(await get("api/stack?seq=1")).toEqual({
        status: 400,
        body: { message: "the query parameter ref is missing" },
      });
      expect((await get("api/stack?ref=nope")).status).toBe(404);
      expect((await get("api/tree?ref=cache&path=/nope")).status).toBe(404);
      expect((await get(`api/events?limit=${MAX_ROWS + 1}`)).status).toBe(400);
      expect((await get("api/nope")).status).toBe(404);
      expect((await get("../../etc/passwd")).status).toBe(404);
      expect((await get("assets/..%2F..%2Fpackage.json")).status).toBe(404);
      expect((await get("api/info", { method: "POST", body: "x" })).status).toBe(405);
      // A page of another site reaching this port (DNS rebinding) names its own host: refused.
      const port = new URL(url).port;
      const foreign = await new Promise<number>((resolve, reject) =>
        request(
          { host: "127.0.0.1", port, path: "/api/info", headers: { Host: "attacker.example" } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
          .on("error", reject)
          .end(),
      );
      expect(foreign).toBe(421);
      const events = await get("api/events?type=fs.&object=cache");
      expect(events.status).toBe(200);
      const rows = events.body.rows as { type: string; streamId: string }[];
      const cache = Object.values(engine.state.containers).find((c) => c.context.name === "cache");
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) {
        expect(r.type.startsWith("fs.")).toBe(true);
        expect(r.streamId).toBe(cache?.context.id);
      }
    } finally {
      await server.close();
      await engine.close();
    }
  });
});
