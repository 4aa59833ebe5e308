/**
 * Contents that travel inline in the log (`fs.fileWritten`'s `content`; docs/store.md#blobs). A log
 * written with them gives the same events but for `content`, the same views and the same file contents
 * as the same commands with inlining off (a log as written before inline contents) — live on two
 * handles taking turns, at past seqs, reopened from a snapshot, replayed from the first event, and
 * read-only (which creates or changes nothing on disk). Small writes put nothing in the blob store;
 * writes reported before a kill stay readable; a damaged inline content is named by its seq.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  type Command,
  type EventEnvelope,
  INLINE_CONTENT_MAX_BYTES,
  sequentialIds,
  simulatedClock,
} from "@strata/core";
import { DurableEngine, type EngineMoment, openEngine } from "@strata/engine";
import { blobsNamedBy, DiskBlobStore, InlineContentError, MemoryBlobStore } from "@strata/fs";
import { FileEventLog, MemoryEventLog } from "@strata/store";
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-inline-");
const RUNS = Number(process.env.STRATA_INLINE_RUNS ?? 25);
const WRITER = new URL("./fixtures/writer.mjs", import.meta.url).pathname;
const DIST = new URL("../dist/index.js", import.meta.url).pathname;
const MAX = INLINE_CONTENT_MAX_BYTES;

beforeAll(() => {
  if (!existsSync(DIST))
    throw new Error(`these tests run child processes on the built package: run pnpm build first (${DIST})`);
});

/** `size` bytes, different for each `seed`, in base64. */
const bytesOf = (size: number, seed: number) =>
  Buffer.from(Array.from({ length: size }, (_, i) => (seed * 31 + i * 7) & 0xff)).toString("base64");

const name = fc.constantFrom("web", "db");
const path = fc.constantFrom("/a", "/b", "/d/c");
/** Sizes about the inline bound, and one well past it. */
const size = fc.constantFrom(0, 1, 37, MAX - 1, MAX, MAX + 1, 3 * MAX);
const command: fc.Arbitrary<Command> = fc
  .oneof(
    {
      weight: 4,
      arbitrary: fc.record({ container: name, path, size, seed: fc.nat(255), append: fc.boolean() }),
    },
    { weight: 1, arbitrary: fc.record({ container: name, path, truncate: size }) },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant("container.create" as const),
        image: fc.constantFrom("base:1", "app:1"),
        name,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant("container.commit" as const),
        container: name,
        tag: fc.constant("app:1"),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant("fs.mkdir" as const),
        container: name,
        path: fc.constant("/d"),
        parents: fc.constant(true),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant("fs.remove" as const),
        container: name,
        path: fc.constantFrom("/a", "/d"),
        recursive: fc.constant(true),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant("container.remove" as const),
        container: name,
        force: fc.constant(true),
      }),
    },
  )
  .map((c): Command => {
    if ("seed" in c)
      return {
        type: "fs.writeFile",
        container: c.container,
        path: c.path,
        content: bytesOf(c.size, c.seed),
        encoding: "base64",
        ...(c.append ? { append: true } : {}),
      };
    if ("truncate" in c)
      return { type: "fs.truncate", container: c.container, path: c.path, size: c.truncate };
    return c as Command;
  });

/** Every file under `dir` with its size (none if there is no `dir`): what a blob store holds on disk. */
function blobFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => `${path} ${statSync(path).size}`)
    .sort();
}

const SETUP: Command[] = [
  { type: "image.create", layers: [], tags: ["base:1"] },
  { type: "container.create", image: "base:1", name: "web" },
];

/** Every entry of every image and container at a moment, with each file's bytes: equal texts, equal files. */
function filesOf(moment: EngineMoment): string {
  const out: Record<string, unknown[]> = {};
  for (const ref of ["base:1", "app:1", "web", "db"]) {
    let view: ReturnType<EngineMoment["view"]>;
    try {
      view = moment.view(ref);
    } catch {
      continue; // not there at this moment
    }
    out[ref] = [...view.walk()].map((e) => ({
      path: e.path,
      type: e.type,
      size: e.size,
      digest: e.digest,
      ...(e.type === "file" ? { bytes: Buffer.from(view.readFile(e.path)).toString("base64") } : {}),
    }));
  }
  return JSON.stringify(out);
}

/** An event as it would be without inline contents. */
function withoutContent(e: EventEnvelope): EventEnvelope {
  if (e.type !== "fs.fileWritten") return e;
  const { content: _c, ...data } = e.data;
  return { ...e, data } as EventEnvelope;
}

/** Every file under `dir` with its size and mtime: what changes when anything is written there. */
function listing(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const p = join(entry.parentPath, entry.name);
    const s = statSync(p);
    out[p] = `${s.isDirectory() ? "dir" : s.size} ${s.mtimeMs}`;
  }
  return out;
}

describe("inline contents", () => {
  test(`the same views and contents as with inlining off: live on two handles, at past seqs, from a snapshot, replayed, read-only (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(command, { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 10 }),
        fc.nat(),
        async (commands, every, pick) => {
          const [dirA, dirB] = [tmp(), tmp()];
          const [clockA, clockB] = [simulatedClock(), simulatedClock()];
          const idsA = sequentialIds("i");
          // Two handles on one directory, taking turns, as two processes would.
          const a = await openEngine({
            location: dirA,
            clock: clockA,
            ids: idsA,
            timers: false,
            snapshotEvery: every,
          });
          const a2 = await openEngine({
            location: dirA,
            clock: clockA,
            ids: idsA,
            timers: false,
            snapshotEvery: every,
          });
          const b = await openEngine({
            location: dirB,
            clock: clockB,
            ids: sequentialIds("i"),
            timers: false,
            snapshotEvery: 0,
            inlineContents: false,
          });
          try {
            for (const [i, c] of [...SETUP, ...commands].entries()) {
              const mine = await (i % 2 === 0 ? a : a2).execute(c);
              const theirs = await b.execute(c);
              const what = `${c.type} (#${i})`;
              expect(mine.outcome, what).toBe(theirs.outcome);
              expect(mine.events.map(withoutContent), what).toEqual(theirs.events);
              for (const e of mine.events)
                if (e.type === "fs.fileWritten")
                  expect(e.data.content !== undefined, `${what}: ${e.data.size} bytes inline`).toBe(
                    e.data.size <= MAX,
                  );
            }
            await a.catchUp();
            await a2.catchUp();
            const expected = filesOf(b.now());
            expect(filesOf(a.now())).toBe(expected);
            expect(filesOf(a2.now())).toBe(expected);
            const at = pick % (b.seq + 1);
            expect(filesOf(await a2.at(at)), `at seq ${at}`).toBe(filesOf(await b.at(at)));
            await Promise.all([a.close(), a2.close()]);
            // Every blob an event names and does not carry is in the store, durable (a committed layer's too).
            const log = await FileEventLog.open(join(dirA, "events"), { readOnly: true });
            const store = new DiskBlobStore(join(dirA, "blobs"));
            for (const e of await log.read())
              for (const d of blobsNamedBy(e)) expect(store.has(d), `seq ${e.seq} names ${d}`).toBe(true);
            await log.close();
            // Reopened: from the newest snapshot, and the tail.
            const reopened = await openEngine({ location: dirA, clock: simulatedClock(), timers: false });
            expect(filesOf(reopened.now())).toBe(expected);
            await reopened.close();
            // Replayed from the first event, without snapshots, on a fresh blob store handle.
            const replayed = await DurableEngine.open({
              log: await FileEventLog.open(join(dirA, "events"), { readOnly: true }),
              blobs: new DiskBlobStore(join(dirA, "blobs")),
              clock: simulatedClock(),
              timers: false,
            });
            expect(filesOf(replayed.now())).toBe(expected);
            await replayed.close();
            // Read-only: the same, and not a byte written.
            const before = listing(dirA);
            const readOnly = await openEngine({
              location: dirA,
              readOnly: true,
              clock: simulatedClock(),
              timers: false,
            });
            expect(filesOf(readOnly.now())).toBe(expected);
            expect(filesOf(await readOnly.at(at)), `read-only, at seq ${at}`).toBe(filesOf(await b.at(at)));
            await readOnly.close();
            expect(listing(dirA)).toEqual(before);
            // And the log written without inline contents (as older logs are) opens as it did.
            await b.close();
            const older = await openEngine({
              location: dirB,
              readOnly: true,
              clock: simulatedClock(),
              timers: false,
            });
            expect(filesOf(older.now())).toBe(expected);
            await older.close();
          } finally {
            await Promise.all([a.close(), a2.close(), b.close()]);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("small writes put nothing in the blob store; a large one does; memory stays under its bound", async () => {
    const dir = tmp();
    const engine = await openEngine({ location: dir, clock: simulatedClock(), timers: false });
    for (const c of SETUP) await engine.execute(c);
    // The image's config is a blob (images are named by their content); the writes add none.
    const before = blobFiles(join(dir, "blobs"));
    for (let i = 0; i < 20; i++)
      await engine.execute({ type: "fs.writeFile", container: "web", path: `/f${i}`, content: `small ${i}` });
    expect(blobFiles(join(dir, "blobs")), "nothing more in the blob store").toEqual(before);
    expect(engine.blobs.held.contents).toBe(20);
    await engine.execute({
      type: "fs.writeFile",
      container: "web",
      path: "/big",
      content: "x".repeat(MAX + 1),
    });
    expect(blobFiles(join(dir, "blobs"))).not.toEqual(before);
    await engine.close();
    // A bound of 1 KiB: past it, held contents move into the store (synced with the next append).
    const bounded = await openEngine({
      location: dir,
      clock: simulatedClock(),
      timers: false,
      inlineMemoryBytes: 1024,
    });
    for (let i = 0; i < 20; i++) {
      await bounded.execute({
        type: "fs.writeFile",
        container: "web",
        path: `/g${i}`,
        content: bytesOf(300, i),
        encoding: "base64",
      });
      expect(bounded.blobs.held.bytes).toBeLessThanOrEqual(1024);
    }
    const view = bounded.view("web");
    for (let i = 0; i < 20; i++)
      expect(Buffer.from(view.readFile(`/g${i}`)).toString("base64")).toBe(bytesOf(300, i));
    await bounded.close();
  });

  test("writes reported before a kill stay readable after reopening, with and without snapshots", async () => {
    for (const every of [0, 3]) {
      const dir = tmp();
      const writer = new Writer(dir, every);
      await writer.ready;
      for (const c of SETUP) expect((await writer.send(c)).ok).toBe(true);
      const reported = new Map<string, string>();
      for (let i = 0; i < 24; i++) {
        const c = {
          type: "fs.writeFile",
          container: "web",
          path: `/f${i % 7}`,
          content: bytesOf([5, MAX, MAX + 10, 100][i % 4] as number, i),
          encoding: "base64",
        } as const;
        expect((await writer.send(c)).ok).toBe(true);
        reported.set(c.path, c.content);
      }
      // More writes in flight, then the process is killed: they may or may not have been appended.
      for (let i = 0; i < 5; i++)
        writer.post({
          type: "fs.writeFile",
          container: "web",
          path: `/late${i}`,
          content: bytesOf(50, i),
          encoding: "base64",
        });
      writer.kill();
      await writer.exited;
      const reopened = await openEngine({ location: dir, clock: simulatedClock(), timers: false });
      for (const [p, content] of reported)
        expect(
          Buffer.from(await reopened.readFile("web", p)).toString("base64"),
          `${p} (snapshots every ${every})`,
        ).toBe(content);
      const view = reopened.view("web");
      for (let i = 0; i < 5; i++)
        if (view.lookup(`/late${i}`))
          expect(Buffer.from(view.readFile(`/late${i}`)).toString("base64")).toBe(bytesOf(50, i));
      await reopened.close();
    }
  });

  test("a damaged inline content is an InlineContentError naming its seq, when the log is folded", async () => {
    const log = new MemoryEventLog();
    const engine = await DurableEngine.open({
      log,
      blobs: new MemoryBlobStore(),
      clock: simulatedClock(),
      timers: false,
    });
    for (const c of SETUP) await engine.execute(c);
    await engine.execute({ type: "fs.writeFile", container: "web", path: "/a", content: "hello" });
    await engine.execute({ type: "fs.writeFile", container: "web", path: "/b", content: "world" });
    const events = await log.read();
    await engine.close();
    const target = events.find(
      (e) => e.type === "fs.fileWritten" && (e.data as { path: string }).path === "/b",
    );
    if (!target) throw new Error("no write of /b");
    for (const [forged, detail] of [
      ["wurld", /it hashes to sha256:[0-9a-f]{64}/],
      ["worl", /it is 4 bytes, the event says 5/],
    ] as const) {
      const damaged = new MemoryEventLog();
      await damaged.append(
        events.map(({ seq, ...e }) =>
          seq === target.seq
            ? { ...e, data: { ...(e.data as object), content: Buffer.from(forged).toString("base64") } }
            : e,
        ),
      );
      const opening = DurableEngine.open({
        log: damaged,
        blobs: new MemoryBlobStore(),
        clock: simulatedClock(),
        timers: false,
      });
      await expect(opening).rejects.toBeInstanceOf(InlineContentError);
      await expect(opening).rejects.toMatchObject({ seq: target.seq, reason: "inline-content-damaged" });
      await expect(opening).rejects.toThrow(new RegExp(`^event seq ${target.seq}: .*/b .*${detail.source}`));
    }
  });
});

/** A writer process (fixtures/writer.mjs) and a way to send it commands and kill it. */
class Writer {
  readonly #child: ChildProcess;
  readonly #waiting: ((line: string) => void)[] = [];
  readonly ready: Promise<void>;
  readonly exited: Promise<unknown>;

  constructor(location: string, every: number) {
    this.#child = spawn(process.execPath, [WRITER, location, String(every)], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    this.exited = new Promise((r) => this.#child.once("exit", r));
    createInterface({ input: this.#child.stdout as NodeJS.ReadableStream }).on("line", (line) =>
      this.#waiting.shift()?.(line),
    );
    this.ready = new Promise((resolve) => this.#waiting.push(() => resolve()));
  }

  send(command: object): Promise<{ ok: boolean; error: string | null }> {
    return new Promise((resolve) => {
      this.#waiting.push((line) => resolve(JSON.parse(line)));
      this.post(command);
    });
  }

  post(command: object): void {
    this.#child.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  kill(): void {
    this.#child.kill("SIGKILL");
  }
}
