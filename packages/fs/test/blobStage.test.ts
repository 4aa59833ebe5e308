/**
 * Stages of a blob store (BlobStage.ts): what concurrent imports put, some of them refused, while
 * others (containers) write the same bytes. A discard takes back only what no one else put or holds;
 * everything kept or put outside a stage stays readable; nothing a refused import put stays when no
 * one else put it. Every store that has stages runs the same laws.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type BlobStage, type BlobStore, DiskBlobStore, MemoryBlobStore, sha256Digest } from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-stage-");

interface Subject {
  readonly store: Omit<BlobStore, "stage"> & { stage(): BlobStage; sync?(): Promise<void> };
  /** The blobs the store holds as another process finds them (after a sync); undefined: not on disk. */
  named(): string[] | undefined;
}

/** Every blob named on disk: files and pack index records. */
function namedOnDisk(dir: string): string[] {
  const files = existsSync(join(dir, "sha256"))
    ? readdirSync(join(dir, "sha256")).filter((f) => !f.startsWith("."))
    : [];
  const packed = existsSync(join(dir, "packs"))
    ? readdirSync(join(dir, "packs")).flatMap((p) => {
        const index = readFileSync(join(dir, "packs", p, "index"));
        const out: string[] = [];
        for (let at = 0; at + 64 <= index.length; at += 64)
          if (index.toString("latin1", at, at + 4) === "SBP1")
            out.push(index.toString("hex", at + 4, at + 36));
        return out;
      })
    : [];
  return [...files, ...packed].map((h) => `sha256:${h}`).sort();
}

const subjects: Record<string, () => Subject> = {
  MemoryBlobStore: () => ({ store: new MemoryBlobStore(), named: () => undefined }),
  DiskBlobStore: () => {
    const dir = tmp();
    return { store: new DiskBlobStore(dir), named: () => namedOnDisk(dir) };
  },
};

/** A stream of `bytes` that gives way to other work between its chunks. */
async function* slowly(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += 700) {
    await new Promise((r) => setImmediate(r));
    yield bytes.subarray(i, i + 700);
  }
}

type Op =
  | { op: "open" }
  | { op: "put"; stage: number; content: number; stream: boolean }
  | { op: "plain"; content: number; stream: boolean }
  | { op: "close"; stage: number; keep: boolean }
  | { op: "tick" }
  | { op: "sync" };

const ops = (contents: number) =>
  fc.array(
    fc.oneof(
      { arbitrary: fc.constant<Op>({ op: "open" }), weight: 2 },
      {
        arbitrary: fc.record({
          op: fc.constant("put" as const),
          stage: fc.nat(),
          content: fc.nat(contents - 1),
          stream: fc.boolean(),
        }),
        weight: 4,
      },
      {
        arbitrary: fc.record({
          op: fc.constant("plain" as const),
          content: fc.nat(contents - 1),
          stream: fc.boolean(),
        }),
        weight: 1,
      },
      {
        arbitrary: fc.record({ op: fc.constant("close" as const), stage: fc.nat(), keep: fc.boolean() }),
        weight: 2,
      },
      { arbitrary: fc.constant<Op>({ op: "tick" }), weight: 1 },
      { arbitrary: fc.constant<Op>({ op: "sync" }), weight: 1 },
    ),
    { maxLength: 40 },
  );

/** Contents shared by the imports and the writers (distinct, not empty). */
const contentsArb = fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 2500 }), {
  minLength: 1,
  maxLength: 3,
  selector: (b) => Buffer.from(b).toString("hex"),
});

for (const [name, make] of Object.entries(subjects)) {
  describe(`${name} stages`, () => {
    test("a digest two stages put survives the discard of one; a container's write of it survives both", async () => {
      const { store } = make();
      const bytes = Buffer.from("shared content ".repeat(100));
      const digest = sha256Digest(bytes);
      const refused = store.stage();
      const accepted = store.stage();
      expect(refused.add(bytes).created).toBe(true);
      expect(accepted.add(bytes).created).toBe(false);
      refused.discard();
      expect(Buffer.from(store.get(digest) ?? [])).toEqual(bytes);
      accepted.discard();
      expect(store.has(digest)).toBe(false);
      // A write outside any stage (a container's) between a stage's put and its discard keeps the blob.
      const again = store.stage();
      again.put(bytes);
      store.put(bytes);
      again.discard();
      expect(Buffer.from(store.get(digest) ?? [])).toEqual(bytes);
      // Bytes the store held before a stage put them are not the stage's to take back.
      const late = store.stage();
      expect(late.add(bytes).created).toBe(false);
      expect(late.held.size).toBe(0);
      late.discard();
      expect(store.has(digest)).toBe(true);
    });

    test("a stage takes no puts once closed; a stream it was reading goes the way of the rest", async () => {
      const { store } = make();
      const stage = store.stage();
      stage.keep();
      expect(() => stage.put(Buffer.from("x"))).toThrow(/was kept/);
      if (store.putStream === undefined) return;
      const streamed = store.stage();
      const bytes = Buffer.alloc(5000, 7);
      const pending = streamed.putStream?.(slowly(bytes));
      streamed.discard();
      const { digest } = (await pending) as { digest: string };
      expect(store.has(digest)).toBe(false);
    });

    test("property: concurrent stages, some discarded, and writes of the same bytes outside them", async () => {
      await fc.assert(
        fc.asyncProperty(
          contentsArb,
          ops(3),
          fc.array(fc.boolean(), { maxLength: 8 }),
          async (pool, program, finals) => {
            const contents = pool.map((b) => Buffer.from(b));
            const { store, named } = make();
            const digests = contents.map((b) => sha256Digest(b));
            const stages: { stage: BlobStage; open: boolean; puts: Set<number>; kept?: boolean }[] = [];
            /** Why each content must stay: put outside a stage, or durable at a sync. */
            const plain = new Set<number>();
            const durable = new Set<number>();
            const inFlight: Promise<unknown>[] = [];
            const open = () => stages.filter((s) => s.open);
            for (const step of program) {
              switch (step.op) {
                case "open":
                  stages.push({ stage: store.stage(), open: true, puts: new Set() });
                  break;
                case "put": {
                  const live = open();
                  const s = live[step.stage % Math.max(1, live.length)];
                  if (s === undefined) break;
                  const c = step.content % contents.length;
                  s.puts.add(c);
                  const bytes = contents[c] as Buffer;
                  if (step.stream && s.stage.putStream) inFlight.push(s.stage.putStream(slowly(bytes)));
                  else s.stage.put(bytes);
                  break;
                }
                case "plain": {
                  const c = step.content % contents.length;
                  const bytes = contents[c] as Buffer;
                  if (step.stream && store.putStream)
                    inFlight.push(store.putStream(slowly(bytes)).then(() => plain.add(c)));
                  else {
                    store.put(bytes);
                    plain.add(c);
                  }
                  break;
                }
                case "close": {
                  const s = open()[step.stage % Math.max(1, open().length)];
                  if (s === undefined) break;
                  s.open = false;
                  s.kept = step.keep;
                  if (step.keep) s.stage.keep();
                  else s.stage.discard();
                  break;
                }
                case "tick":
                  await new Promise((r) => setImmediate(r));
                  break;
                case "sync":
                  if (store.sync === undefined) break;
                  await store.sync();
                  for (const [i, d] of digests.entries()) if (store.has(d)) durable.add(i);
                  break;
              }
            }
            // The rest of the work ends: streams finish, the stages still open are kept or discarded.
            for (const [i, s] of open().entries()) {
              s.open = false;
              s.kept = finals[i] ?? false;
              if (s.kept) s.stage.keep();
              else s.stage.discard();
            }
            await Promise.all(inFlight);
            for (const [i, d] of digests.entries()) {
              const wanted =
                plain.has(i) || durable.has(i) || stages.some((s) => s.kept === true && s.puts.has(i));
              // What anyone kept or put stays readable; what only refused imports put is gone.
              expect(store.has(d), `content ${i}`).toBe(wanted);
              if (wanted) expect(Buffer.from(store.get(d) ?? [])).toEqual(contents[i]);
            }
            if (store instanceof MemoryBlobStore)
              expect(store.size).toBe(1 + digests.filter((d) => store.has(d)).length);
            else if (store.sync) {
              await store.sync();
              expect(named()).toEqual(digests.filter((d) => store.has(d)).sort());
            }
          },
        ),
        { numRuns: 150 },
      );
    });
  });
}
