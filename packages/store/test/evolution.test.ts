/**
 * Schema evolution and snapshots: upcasters on read; a committed fixture log written in version 1
 * stays readable; loading a snapshot and replaying the tail gives exactly the full replay.
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  applyEvents,
  type Command,
  Engine,
  type EngineState,
  type EventEnvelope,
  parseEvent,
  replay,
  sequentialIds,
  simulatedClock,
} from "@strata/core";
import {
  FileEventLog,
  MemoryEventLog,
  SnapshotStore,
  UpcastError,
  upcastEvent,
  withUpcasting,
} from "@strata/store";
import { runSnapshotSuite } from "@strata/store/testsuite";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-evolution-");

describe("upcasting", () => {
  const upcasters = [
    { type: "note.added", fromVersion: 1, upcast: (d: unknown) => ({ ...(d as object), tags: [] }) },
    {
      type: "note.added",
      fromVersion: 2,
      upcast: (d: unknown) => ({ ...(d as { text: string }), length: (d as { text: string }).text.length }),
    },
  ];
  const v1 = {
    seq: 1,
    streamId: "n",
    type: "note.added",
    schemaVersion: 1,
    recordedAt: 0,
    data: { text: "hello" },
  };

  test("old versions are upcast step by step on read; stored events are not rewritten", async () => {
    expect(upcastEvent(v1, upcasters, { "note.added": 3 })).toEqual({
      ...v1,
      schemaVersion: 3,
      data: { text: "hello", tags: [], length: 5 },
    });
    const log = new MemoryEventLog();
    const { seq: _seq, ...unstored } = v1;
    await log.append([unstored]);
    const reader = withUpcasting(log, upcasters, { "note.added": 3 });
    expect((await reader.read())[0]?.schemaVersion).toBe(3);
    expect((await log.read())[0]?.schemaVersion).toBe(1);
  });

  test("an event newer than the reader, or with no upcaster, is a typed error naming its seq", () => {
    expect(() => upcastEvent({ ...v1, schemaVersion: 4 }, upcasters, { "note.added": 3 })).toThrow(
      UpcastError,
    );
    expect(() => upcastEvent({ ...v1, seq: 7 }, [], { "note.added": 2 })).toThrow(
      /event seq 7: no upcaster for note.added from version 1/,
    );
  });
});

describe("the version 1 fixture log", () => {
  // This log was written by the lifecycle demo at schema version 1 and committed. This test must
  // never be edited to pass: if it fails, reading old logs broke.
  test("stays readable: it opens, verifies and replays to the state it recorded", async () => {
    const dir = tmp();
    cpSync(new URL("./fixtures/log-v1", import.meta.url).pathname, dir, { recursive: true });
    const log = await FileEventLog.open(dir);
    try {
      expect(log.openReport.truncated).toBeNull();
      expect((await log.verify()).headHash).toBe(
        "7a5bbc5a33b93979299d2c9fa83a49491e394449f316056abd5f10c5f6dd9e59",
      );
      const events = (await log.read()).map((e, i) => parseEvent(e, `fixture seq ${i + 1}`));
      expect(events).toHaveLength(20);
      const state = replay(events);
      expect(Object.keys(state.containers)).toEqual([]);
      expect(Object.keys(state.tags).sort()).toEqual(["alpine:3.20", "web:snapshot"]);
      const snapshot = state.images[state.tags["web:snapshot"] as string];
      expect(snapshot?.layers).toHaveLength(4);
      expect(snapshot?.comment).toBe("demo");
    } finally {
      await log.close();
    }
  });
});

describe("snapshots", () => {
  const commands: fc.Arbitrary<Command> = fc.oneof(
    fc.constantFrom<Command>(
      { type: "container.start", container: "web" },
      { type: "container.stop", container: "web", timeout: 0 },
      { type: "container.pause", container: "web" },
      { type: "container.unpause", container: "web" },
      { type: "container.kill", container: "web" },
      { type: "container.exec", container: "web", cmd: ["sh"] },
      { type: "container.commit", container: "web" },
      { type: "container.remove", container: "web", force: true },
      {
        type: "container.create",
        image: "base:1",
        name: "web",
        restartPolicy: { name: "always", maximumRetryCount: 0 },
      },
      { type: "process.exit", container: "web", pid: 1, exitCode: 1 },
    ),
  );

  test("loading a snapshot and replaying the tail gives exactly the state of a full replay", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commands, { maxLength: 40 }), fc.nat(), async (cmds, cut) => {
        const clock = simulatedClock();
        const engine = new Engine({ clock, ids: sequentialIds("snap") });
        engine.execute({ type: "image.create", layers: [], tags: ["base:1"] });
        engine.execute({ type: "container.create", image: "base:1", name: "web" });
        for (const c of cmds) {
          engine.execute(c);
          clock.advance(150);
          engine.tick();
        }
        const events = engine.log.read() as EventEnvelope[];
        const k = cut % (events.length + 1);
        const store = new SnapshotStore(tmp());
        await store.save({ position: k, kind: "strata.engine/1", state: replay(events.slice(0, k)) });
        const loaded = await store.load<EngineState>("strata.engine/1");
        expect(loaded.snapshot?.position).toBe(k);
        const resumed = applyEvents(loaded.snapshot?.state as EngineState, events.slice(k));
        expect(resumed).toEqual(replay(events));
        expect(resumed).toEqual(engine.state);
      }),
      { numRuns: 200 },
    );
  });

  test("a damaged snapshot file is skipped and reported, and reading creates no directory", async () => {
    const dir = tmp();
    const store = new SnapshotStore(dir);
    await store.save({ position: 5, kind: "k", state: { a: 5 } });
    await store.save({ position: 9, kind: "k", state: { a: 9 } });
    const latest = join(dir, "0000000000000009.snapshot.json");
    writeFileSync(latest, readFileSync(latest, "utf8").replace('"a":9', '"a":10'));
    const loaded = await store.load("k");
    expect(loaded.snapshot?.position).toBe(5);
    expect(loaded.skipped).toEqual([{ file: latest, reason: "state does not match its sha256" }]);
    const nowhere = new SnapshotStore(join(dir, "not-yet"));
    expect((await nowhere.load("k")).snapshot).toBeNull();
    expect(existsSync(join(dir, "not-yet"))).toBe(false);
  });
});

runSnapshotSuite("file", async () => new SnapshotStore(tmp()));
