/**
 * Imports that run at the same time in one engine (`POST /images/load` runs loads concurrently), some
 * refused, while a container writes the same contents: a refused import takes back only what no one
 * else put or uses (the blob store's stages, packages/fs/src/BlobStage.ts). Found by the issue 18
 * audit: image B (file C, then `../escape`) and image A (file C) imported together; A was accepted, B
 * refused, and B's clean-up removed C, so reading A's file failed, on the memory and the disk store.
 */
import { join } from "node:path";
import { sequentialIds, simulatedClock } from "@strata/core";
import {
  type BlobStore,
  blobsNamedBy,
  createFsEngine,
  DiskBlobStore,
  MemoryBlobStore,
  sha256Digest,
} from "@strata/fs";
import { importImage, OciError, sha256 } from "@strata/oci";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { file, type RawEntry, rawTar, writeLayout } from "./support/images.js";

const tmp = tempDirs("strata-oci-concurrent-");

const stores: Record<string, () => BlobStore> = {
  memory: () => new MemoryBlobStore(),
  disk: () => new DiskBlobStore(join(tmp(), "blobs")),
};

/** A layer to import: its entries, gzipped, its diff_id wrong if asked. */
interface Layer {
  readonly entries: readonly RawEntry[];
  readonly wrongDiffId?: boolean;
}

/** Writes a layout of one image of `layers` (its config told apart by `cmd`); returns its directory. */
function layout(layers: readonly Layer[], cmd: string): string {
  const dir = join(tmp(), "layout");
  writeLayout(dir, [
    {
      layers: layers.map((l) => {
        const tar = rawTar(l.entries);
        return { tar, gzip: true, ...(l.wrongDiffId ? { diffId: sha256(`not ${cmd}`) } : {}) };
      }),
      refName: "x",
      cmd: [cmd],
    },
  ]);
  return dir;
}

/** 8 MiB of zeros: reading them takes many chunks, so what comes after them comes late. */
const SLOW = file("zeros", Buffer.alloc(8 * 1024 * 1024));

/** Work that gives way to the event loop `n` times first. */
async function after<T>(n: number, work: () => Promise<T>): Promise<T> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
  return work();
}

describe("concurrent imports and container writes share the blob store", () => {
  for (const [kind, make] of Object.entries(stores)) {
    test(`${kind}: a refused import does not take back a blob an accepted import uses (audit: conc)`, async () => {
      const blobs = make();
      const engine = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("c"), blobs });
      const shared = Buffer.from("shared content ".repeat(100_000)); // over 1 MiB: a disk store streams it
      const digest = sha256Digest(shared);
      // B puts the shared file, then reads a slow layer and is refused at its end.
      const b = layout([{ entries: [file("y", shared)] }, { entries: [SLOW, file("../escape", "x")] }], "b");
      const a = layout([{ entries: [file("y", shared)] }], "a");
      const refused = importImage(engine, b, { tag: "b:1" }).then(
        () => "accepted",
        (e) => (e as OciError).code,
      );
      // A starts once B has stored the file, and is done before B is refused.
      while (!blobs.has(digest)) await new Promise((r) => setImmediate(r));
      await importImage(engine, a, { tag: "a:1" });
      expect(await refused).toBe("Breakout");
      expect(blobs.has(digest)).toBe(true);
      // (Buffer.equals: toEqual compares a large buffer byte by byte, slowly.)
      expect(Buffer.from(engine.view("a:1").readFile("/y")).equals(shared)).toBe(true);
      expect(blobs.has(sha256Digest(Buffer.alloc(8 * 1024 * 1024)))).toBe(false);
    });
  }

  const contents = [
    Buffer.from("small shared content\n"),
    Buffer.from("streamed shared content ".repeat(44_000)), // over 1 MiB: a disk store streams it
    Buffer.from("another small one\n"),
  ];
  const importArb = fc.record({
    files: fc.uniqueArray(fc.nat(contents.length - 1), { minLength: 1, maxLength: 3 }),
    refusal: fc.constantFrom("none", "breakout", "diff-id"),
    // Refused in the layer of the files, or in a second one, after reading 8 MiB more.
    late: fc.boolean(),
    delay: fc.nat(30),
  });
  // Containers write the small contents (a write of 1 MiB costs the engine about a second).
  const writeArb = fc.record({ content: fc.constantFrom(0, 2), delay: fc.nat(30) });

  for (const [kind, make] of Object.entries(stores)) {
    test(`${kind}: property: random interleavings of imports (some refused) and container writes of the same contents`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(importArb, { minLength: 1, maxLength: 3 }),
          fc.array(writeArb, { maxLength: 3 }),
          async (imports, writes) => {
            const blobs = make();
            const engine = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("c"), blobs });
            await importImage(engine, layout([{ entries: [file("base", "base")] }], "base"), {
              tag: "base:1",
            });
            const made = engine.execute({ type: "container.create", image: "base:1", name: "box" });
            expect(made.ok).toBe(true);
            const dirs = imports.map((im, i) => {
              const files = im.files.map((c) => file(`f${c}`, contents[c] as Buffer));
              const bad = im.refusal === "breakout" ? [file("../escape", "x")] : [];
              const wrongDiffId = im.refusal === "diff-id";
              const layers: Layer[] =
                im.late && im.refusal !== "none"
                  ? [{ entries: files }, { entries: [SLOW, ...bad], wrongDiffId }]
                  : [{ entries: [...files, ...bad], wrongDiffId }];
              return layout(layers, `image ${i}`);
            });
            const outcomes = await Promise.all([
              ...imports.map((im, i) =>
                after(im.delay, () => importImage(engine, dirs[i] as string, { tag: `i:${i}` })).then(
                  () => "accepted",
                  (e: unknown) => {
                    if (!(e instanceof OciError)) throw e;
                    return e.code;
                  },
                ),
              ),
              ...writes.map((w, k) =>
                after(w.delay, async () => {
                  const r = engine.execute({
                    type: "fs.writeFile",
                    container: "box",
                    path: `/w${k}`,
                    content: (contents[w.content] as Buffer).toString("base64"),
                    encoding: "base64",
                  });
                  expect(r.ok).toBe(true);
                  return "written";
                }),
              ),
            ]);
            const used = new Set<number>();
            for (const [i, im] of imports.entries()) {
              const outcome = outcomes[i];
              expect(outcome).toBe(
                im.refusal === "none"
                  ? "accepted"
                  : im.refusal === "breakout"
                    ? "Breakout"
                    : "DigestMismatch",
              );
              if (outcome !== "accepted") continue;
              const view = engine.view(`i:${i}`);
              for (const c of im.files) {
                used.add(c);
                expect(Buffer.from(view.readFile(`/f${c}`)).equals(contents[c] as Buffer), `/f${c}`).toBe(
                  true,
                );
              }
            }
            const box = engine.view("box");
            for (const [k, w] of writes.entries()) {
              used.add(w.content);
              expect(
                Buffer.from(box.readFile(`/w${k}`)).equals(contents[w.content] as Buffer),
                `/w${k}`,
              ).toBe(true);
            }
            // What only refused imports put is gone: the store holds what events name, nothing else.
            for (const [c, bytes] of contents.entries())
              expect(blobs.has(sha256Digest(bytes)), `content ${c}`).toBe(used.has(c));
            // On disk, exactly what the events name is pending: the contents used, and each accepted
            // image's config and its layers' tar layouts (a refused import's are taken back too).
            if (blobs instanceof DiskBlobStore) {
              const named = new Set<string>();
              for (const e of engine.log.read()) {
                for (const d of blobsNamedBy(e)) named.add(d);
                // A content a write's event carries inline is put in this store too (it has no `hold`).
                if (e.type === "fs.fileWritten") named.add((e.data as { digest: string }).digest);
              }
              for (const c of used) expect(named.has(sha256Digest(contents[c] as Buffer))).toBe(true);
              expect([...blobs.pending].sort()).toEqual([...named].sort());
            }
          },
        ),
        { numRuns: 30 },
      );
    }, 300_000);
  }
});
