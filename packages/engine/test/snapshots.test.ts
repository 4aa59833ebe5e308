/**
 * The engine's snapshots: opening from the newest valid snapshot plus the tail gives exactly the state
 * of a full replay (lifecycle and fs, compared as their deterministic encodings), reads only the tail,
 * and a snapshot that is damaged, of another layout, or from another history is skipped with a warning.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Command, parseEvent, replayProjected, sequentialIds, simulatedClock } from "@strata/core";
import { DurableEngine, openEngine } from "@strata/engine";
import { encodeFsState, fsProjection, MemoryBlobStore } from "@strata/fs";
import { type EventLog, FileEventLog, SnapshotStore } from "@strata/store";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-snap-");
const RUNS = Number(process.env.STRATA_SNAPSHOT_RUNS ?? 40);

const name = fc.constantFrom("web", "db");
const command: fc.Arbitrary<Command> = fc
  .oneof(
    fc.record({ type: fc.constant("container.create" as const), image: fc.constant("base:1"), name }),
    fc.record({
      type: fc.constantFrom("container.start" as const, "container.kill" as const),
      container: name,
    }),
    fc.record({ type: fc.constant("container.remove" as const), container: name, force: fc.boolean() }),
    fc.record({
      type: fc.constant("fs.writeFile" as const),
      container: name,
      path: fc.constantFrom("/a", "/b", "/d/e"),
      content: fc.string({ maxLength: 8 }),
    }),
    fc.record({
      type: fc.constant("fs.mkdir" as const),
      container: name,
      path: fc.constant("/d"),
      parents: fc.constant(true),
    }),
    fc.record({
      type: fc.constant("fs.remove" as const),
      container: name,
      path: fc.constantFrom("/a", "/d"),
      recursive: fc.constant(true),
    }),
    fc.record({
      type: fc.constant("container.commit" as const),
      container: name,
      tag: fc.constantFrom("app:1", "app:2"),
    }),
  )
  .map((c) => JSON.parse(JSON.stringify(c)) as Command);

/** The states of `engine`, as text: equal texts, equal states. */
const statesOf = (engine: DurableEngine) =>
  JSON.stringify({ core: engine.state, fs: encodeFsState(engine.projected) });

/** A log that counts the events read from it. */
function counting(log: EventLog): { log: EventLog; read: () => number } {
  let read = 0;
  return {
    log: {
      lastSeq: () => log.lastSeq(),
      append: (e, o) => log.append(e, o),
      read: async (f, l) => {
        const events = await log.read(f, l);
        read += events.length;
        return events;
      },
      readStream: (s, f) => log.readStream(s, f),
      streamVersion: (s) => log.streamVersion(s),
      subscribe: (f, h) => log.subscribe(f, h),
      close: () => log.close(),
    },
    read: () => read,
  };
}

describe("snapshots", () => {
  test(`opening from a snapshot and the tail is exactly the full replay (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        async (commands, every) => {
          const dir = tmp();
          const clock = simulatedClock();
          const warnings: string[] = [];
          const first = await openEngine({
            location: dir,
            clock,
            ids: sequentialIds("s"),
            snapshotEvery: every,
            onWarning: (w) => warnings.push(w),
          });
          await first.execute({ type: "image.create", layers: [], tags: ["base:1"] });
          for (const c of commands) await first.execute(c);
          const live = statesOf(first);
          await first.close();
          // Snapshots were saved as the log grew; the newest is used.
          const again = await openEngine({ location: dir, clock, onWarning: (w) => warnings.push(w) });
          expect(statesOf(again)).toBe(live);
          await again.close();
          // And it is what a replay from the first event gives.
          const log = await FileEventLog.open(join(dir, "events"), { readOnly: true });
          const events = (await log.read()).map((e) => parseEvent(e, `seq ${e.seq}`));
          await log.close();
          const replayed = replayProjected(fsProjection({ blobs: new MemoryBlobStore() }), events);
          expect(JSON.stringify({ core: replayed.core, fs: encodeFsState(replayed.projection) })).toBe(live);
          expect(warnings).toEqual([]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("opening from a snapshot reads only the events after it", async () => {
    const dir = tmp();
    const engine = await openEngine({ location: dir, clock: simulatedClock(), snapshotEvery: 0 });
    await engine.execute({ type: "image.create", layers: [], tags: ["base:1"] });
    await engine.execute({ type: "container.create", image: "base:1", name: "web" });
    for (let i = 0; i < 200; i++)
      await engine.execute({ type: "fs.writeFile", container: "web", path: `/f${i % 7}`, content: `${i}` });
    const at = await engine.snapshot();
    for (let i = 0; i < 5; i++)
      await engine.execute({ type: "fs.writeFile", container: "web", path: "/tail", content: `${i}` });
    const live = statesOf(engine);
    await engine.close();
    const { log, read } = counting(await FileEventLog.open(join(dir, "events"), { readOnly: true }));
    const reopened = await DurableEngine.open({
      log,
      blobs: new MemoryBlobStore(),
      snapshots: new SnapshotStore(join(dir, "snapshots")),
      clock: simulatedClock(),
    });
    expect(statesOf(reopened)).toBe(live);
    expect(at).toBe(203); // the image (created, tagged), the container, 200 writes
    expect(read()).toBe(1 + 5); // the event at the snapshot (to check it is this log's), then the tail
    await reopened.close();
  });

  test("a damaged snapshot, one of another layout, and one from another history are skipped with a warning", async () => {
    const a = tmp();
    const b = tmp();
    for (const [dir, extra] of [
      [a, "a"],
      [b, "b"],
    ] as const) {
      const engine = await openEngine({ location: dir, clock: simulatedClock(), snapshotEvery: 0 });
      await engine.execute({ type: "image.create", layers: [], tags: ["base:1"] });
      await engine.execute({ type: "container.create", image: "base:1", name: extra === "a" ? "web" : "db" });
      await engine.snapshot();
      await engine.close();
    }
    /** The states of a full replay of `dir`'s log, without snapshots. */
    const expected = async (dir: string) => {
      const e = await DurableEngine.open({
        log: await FileEventLog.open(join(dir, "events"), { readOnly: true }),
        blobs: new MemoryBlobStore(),
        clock: simulatedClock(),
      });
      const s = statesOf(e);
      await e.close();
      return s;
    };
    // A damaged one.
    const snapDir = join(a, "snapshots");
    const [file] = readdirSync(snapDir) as [string];
    writeFileSync(join(snapDir, file), readFileSync(join(snapDir, file), "utf8").replace('"web"', '"wab"'));
    let warnings: string[] = [];
    let e = await openEngine({ location: a, clock: simulatedClock(), onWarning: (w) => warnings.push(w) });
    expect(warnings.join()).toMatch(/state does not match its sha256/);
    expect(statesOf(e)).toBe(await expected(a));
    await e.close();
    // One taken from another log at the same position.
    cpSync(join(b, "snapshots"), snapDir, { recursive: true, force: true });
    warnings = [];
    e = await openEngine({ location: a, clock: simulatedClock(), onWarning: (w) => warnings.push(w) });
    expect(warnings.join()).toMatch(/another history/);
    expect(statesOf(e)).toBe(await expected(a));
    await e.close();
    // One of another layout (an older kind).
    const store = new SnapshotStore(snapDir);
    await store.save({ position: 2, kind: "strata.engine/0", state: { whatever: true } });
    warnings = [];
    e = await openEngine({ location: a, clock: simulatedClock(), onWarning: (w) => warnings.push(w) });
    expect(warnings.join()).toMatch(/kind strata\.engine\/0, wanted strata\.engine\/1/);
    expect(statesOf(e)).toBe(await expected(a));
    await e.close();
  });
});
