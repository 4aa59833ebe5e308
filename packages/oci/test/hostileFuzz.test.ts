/**
 * Fuzz: random hostile images in the shapes the independent check found (issue 18, issue 19.7) —
 * entries under lower files and through symlinks, `./`, `/` and `.//` prefixes, devices and FIFOs (a
 * character device 0/0 among them), whiteouts and opaque markers over anything, hard links, names that
 * are not UTF-8, bombs against small limits, layers cut short, extended attributes up to and over
 * 64 KiB in PAX records and global headers (against the header and event limits) — each imported
 * through every path (an OCI layout, an OCI archive (its members `./`-prefixed or not), a docker save
 * archive), and, for some, at the same time as another image holding the same file contents, into one
 * engine (the issue 18 audit: a refused import took back a blob the other used). Properties:
 *
 * - every path gives the same outcome: the same view, or the same refusal (code, layer, entry, words);
 * - a refusal is an OciError that names the layer at fault and, where an entry is at fault, that
 *   entry; it appends nothing and leaves the blob store as it was;
 * - an accepted image never has a directory a layer only implied where a layer below had a
 *   non-directory (rule 1), holds only canonical paths and no U+FFFD that was not in a name, keeps
 *   devices' numbers, and exports and imports back to the same view;
 * - imported beside another image of the same contents, the outcome is the same, the other image's
 *   files stay readable, and the blob store holds only what the log names.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sequentialIds, simulatedClock } from "@strata/core";
import {
  blobsNamedBy,
  createFsEngine,
  type DirNode,
  EMPTY_DIGEST,
  type FsEngine,
  type FsNode,
  flatten,
  MemoryBlobStore,
  sha256Digest,
} from "@strata/fs";
import {
  exportImage,
  type ImportOptions,
  importImage,
  importImageArchive,
  MAX_LAYER_EVENT_BYTES,
  OciError,
  XATTR_SIZE_MAX,
} from "@strata/oci";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  dockerArchive,
  ociArchive,
  type RawEntry,
  rawTar,
  type TestLayer,
  writeLayout,
} from "./support/images.js";

/** Directories of the run under way, removed when it ends (hundreds of runs would add up). */
const runDirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "strata-oci-fuzz-"));
  runDirs.push(d);
  return d;
};
const endRun = () => {
  for (const d of runDirs.splice(0)) rmSync(d, { recursive: true, force: true });
};
const RUNS = Number(process.env.STRATA_OCI_FUZZ_RUNS ?? 200);

const COMPONENT = fc.constantFrom("a", "b", "c");
const PREFIX = fc.constantFrom("", "", "", "./", "/", ".//", "././");
const relPath = fc.array(COMPONENT, { minLength: 1, maxLength: 3 }).map((c) => c.join("/"));
const TARGETS = fc.constantFrom("a", "/a", "a/b", "..", "/", "../..", "b/../a", "/a/b/c", "nowhere");
const BAD_UTF8 = [Buffer.from([0xff]), Buffer.from([0x63, 0xe9]), Buffer.from([0xed, 0xa0, 0x80])];

/** One generated tar entry. */
const genEntry: fc.Arbitrary<RawEntry> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ p: PREFIX, n: relPath, body: fc.constantFrom("", "x", "hello\n") })
      .map(({ p, n, body }) => ({ name: p + n, body })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ p: PREFIX, n: relPath, slash: fc.boolean() })
      .map(({ p, n, slash }) => ({ name: `${p}${n}${slash ? "/" : ""}`, type: "dir" as const })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ p: PREFIX, n: relPath, t: TARGETS })
      .map(({ p, n, t }) => ({ name: p + n, type: "symlink" as const, linkname: t })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ n: relPath, t: relPath })
      .map(({ n, t }) => ({ name: n, type: "link" as const, linkname: t })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        n: relPath,
        type: fc.constantFrom("char", "block", "fifo"),
        major: fc.constantFrom(0, 1, 8),
        minor: fc.constantFrom(0, 3),
      })
      .map(({ n, type, major, minor }) => ({
        name: n,
        type: type as RawEntry["type"],
        devmajor: major,
        devminor: minor,
        mode: 0o640,
      })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ d: fc.option(relPath, { nil: undefined }), w: COMPONENT })
      .map(({ d, w }) => ({ name: `${d ? `${d}/` : ""}.wh.${w}`, body: "" })),
  },
  {
    weight: 1,
    arbitrary: fc
      .option(relPath, { nil: undefined })
      .map((d) => ({ name: `${d ? `${d}/` : ""}.wh..wh..opq`, body: "" })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ d: fc.option(relPath, { nil: undefined }), bad: fc.constantFrom(...BAD_UTF8) })
      .map(({ d, bad }) => ({ name: Buffer.concat([Buffer.from(d ? `${d}/` : ""), bad]), body: "" })),
  },
  { weight: 1, arbitrary: relPath.map((n) => ({ name: n, body: Buffer.alloc(300_000) })) }, // a bomb against the small limits
  {
    // Names of 4-byte characters: their event takes far more bytes than characters (maxLayerEventBytes).
    weight: 2,
    arbitrary: fc
      .record({ d: fc.option(COMPONENT, { nil: undefined }), k: fc.nat(9) })
      .map(({ d, k }) => ({ name: `${d ? `${d}/` : ""}${"😀".repeat(63)}${k}`, body: "" })),
  },
  {
    // Extended attributes up to and over XATTR_SIZE_MAX, in the entry's PAX header or a global one.
    weight: 2,
    arbitrary: fc
      .record({
        p: PREFIX,
        n: relPath,
        sizes: fc.array(fc.constantFrom(1, 100, 40_000, 65_536, 65_537), { minLength: 1, maxLength: 2 }),
        global: fc.boolean(),
      })
      .map(({ p, n, sizes, global }) => {
        const records = sizes.map((size, k) => {
          // Shown in a counterexample as the call that makes it, not as its bytes.
          const value = Object.defineProperty(Buffer.alloc(size, 0x78), fc.toStringMethod, {
            value: () => `Buffer.alloc(${size}, 0x78)`,
          });
          return [`SCHILY.xattr.user.x${k}`, value] as const;
        });
        return { name: p + n, body: "x", ...(global ? { globalPax: records } : { pax: records }) };
      }),
  },
);

/** A layer: its entries, gzip or not, and maybe cut short. */
const genLayer = fc.record({
  entries: fc.array(genEntry, { maxLength: 7 }),
  gzip: fc.boolean(),
  cut: fc.oneof(
    { weight: 12, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.nat({ max: 4000 }) },
  ),
});

const LIMITS = fc.constantFrom<ImportOptions>(
  {},
  {},
  { maxLayerBytes: 200_000 },
  { maxMemoryBytes: 200_000 },
  { maxEntries: 9 },
  { maxEntryHeaderBytes: 70_000 },
  { maxHeaderBytes: 150_000 },
  { maxLayerEventBytes: 100_000 },
  { maxLayerEventBytes: 600 },
);

type Outcome =
  | { ok: true; walk: unknown[] }
  | { ok: false; code: string; layerIndex: number | null; entry: unknown; problem: string };

const WAYS = ["layout", "oci-archive", "docker-archive"] as const;

async function importWay(
  way: (typeof WAYS)[number],
  layers: TestLayer[],
  options: ImportOptions,
  dotSlash: boolean,
) {
  const blobs = new MemoryBlobStore();
  const engine = createFsEngine({ clock: simulatedClock(1_700_000_000_000), ids: sequentialIds("f"), blobs });
  const work = tmp();
  const image = { layers, refName: "t" };
  let run: Promise<unknown>;
  if (way === "layout") {
    writeLayout(join(work, "l"), [image]);
    run = importImage(engine, join(work, "l"), { tag: "t:1", ...options });
  } else {
    const file = join(work, "i.tar");
    writeFileSync(
      file,
      way === "oci-archive" ? ociArchive([image], { dotSlash }, join(work, "s")) : dockerArchive(image),
    );
    run = importImageArchive(engine, file, { tag: "t:1", ...options });
  }
  const before = blobs.size;
  try {
    await run;
  } catch (e) {
    expect(e, `${way}: a refusal is an OciError`).toBeInstanceOf(OciError);
    const err = e as OciError;
    expect(engine.log.lastSeq, `${way}: nothing appended`).toBe(0);
    expect(blobs.size, `${way}: nothing stored`).toBe(before);
    return {
      engine,
      outcome: {
        ok: false,
        code: err.code,
        layerIndex: err.layerIndex,
        entry: err.entry,
        problem: err.problem,
      } as Outcome,
    };
  }
  return { engine, outcome: { ok: true, walk: [...engine.view("t:1").walk()] } as Outcome };
}

/** Rule 1: a directory layer `k` only implies never stands where the layers below have a non-directory. */
function impliedOverNonDir(engine: FsEngine): string | undefined {
  const image = engine.state.images[engine.state.tags["t:1"] as string];
  const trees = (image?.layers ?? []).map((l) => engine.projected.layers.get(l.id));
  for (let k = 1; k < trees.length; k++) {
    const below = flatten(trees.slice(0, k) as NonNullable<(typeof trees)[number]>[]);
    const walk = (node: DirNode, lower: FsNode | undefined, path: string): string | undefined => {
      for (const [name, child] of node.children.entries()) {
        const l = lower?.kind === "dir" && !node.opaque ? lower.children.get(name) : undefined;
        if (child.kind !== "dir") continue;
        if (child.implied && l !== undefined && l.kind !== "dir") return `${path}/${name}`;
        const r = walk(child, l, `${path}/${name}`);
        if (r) return r;
      }
      return undefined;
    };
    const found = walk((trees[k] as NonNullable<(typeof trees)[number]>).root, below.root, "");
    if (found) return found;
  }
  return undefined;
}

/**
 * Imports the image of `layers` into one engine at the same time as another image holding every file
 * content it holds: the outcome is `alone`'s; the other image's files stay readable; the blob store
 * holds what the log names and nothing else (a refused import took back only what no one else put).
 */
async function beside(
  layers: TestLayer[],
  options: ImportOptions,
  alone: Outcome,
  generated: { entries: RawEntry[] }[],
  delay: number,
): Promise<void> {
  const bodies = new Map<string, Buffer>();
  for (const e of generated.flatMap((l) => l.entries))
    if ((e.type ?? "file") === "file" && e.body !== undefined) {
      const body = Buffer.from(e.body);
      bodies.set(sha256Digest(body), body);
    }
  const work = tmp();
  const blobs = new MemoryBlobStore();
  const engine = createFsEngine({ clock: simulatedClock(1_700_000_000_000), ids: sequentialIds("c"), blobs });
  writeLayout(join(work, "t"), [{ layers, refName: "t" }]);
  const siblingFiles = [...bodies.values()].map((body, i) => ({ name: `s${i}`, body }));
  writeLayout(join(work, "s"), [{ layers: [{ tar: rawTar(siblingFiles) }], refName: "s", cmd: ["sibling"] }]);
  const [outcome] = await Promise.all([
    importImage(engine, join(work, "t"), { tag: "t:1", ...options }).then(
      () => "accepted",
      (e: unknown) => (e as OciError).code,
    ),
    (async () => {
      for (let i = 0; i < delay; i++) await new Promise((r) => setImmediate(r));
      await importImage(engine, join(work, "s"), { tag: "s:1" });
    })(),
  ]);
  expect(outcome, "the same outcome beside another import").toBe(alone.ok ? "accepted" : alone.code);
  const view = engine.view("s:1");
  for (const [i, f] of siblingFiles.entries())
    expect(Buffer.from(view.readFile(`/s${i}`)).equals(f.body), `/s${i} readable`).toBe(true);
  const named = new Set([EMPTY_DIGEST]);
  for (const e of engine.log.read()) for (const d of blobsNamedBy(e)) named.add(d);
  expect(blobs.size, "the store holds what the log names, nothing else").toBe(named.size);
}

describe("fuzz: hostile images through every import path", () => {
  test(`${RUNS} random images: one outcome on every path; refusals typed, placed and clean; accepted images keep the rules`, async () => {
    await fc.assert(
      fc
        .asyncProperty(
          fc.array(genLayer, { minLength: 1, maxLength: 3 }),
          LIMITS,
          fc.boolean(),
          fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.nat(40) }),
          async (generated, options, dotSlash, concurrentDelay) => {
            const concurrent = concurrentDelay !== false;
            const delay = concurrentDelay === false ? 0 : concurrentDelay;
            const layers: TestLayer[] = generated.map(({ entries, gzip, cut }) => {
              const tar = rawTar(entries);
              return cut === undefined || cut >= tar.length
                ? { tar, gzip }
                : { tar, blob: tar.subarray(0, cut) };
            });
            const results = [];
            for (const way of WAYS) results.push(await importWay(way, layers, options, dotSlash));
            const [first, ...rest] = results.map((r) => r.outcome);
            for (const [i, o] of rest.entries())
              expect(o, `${WAYS[i + 1]} agrees with the layout`).toEqual(first);
            const { engine, outcome } = results[0] as { engine: FsEngine; outcome: Outcome };
            if (!outcome.ok) {
              // Refusals about a layer name it; about an entry, one the layer has.
              if (outcome.entry !== null) expect(outcome.layerIndex).not.toBeNull();
              if (outcome.layerIndex !== null) expect(outcome.layerIndex).toBeLessThan(layers.length);
              if (Object.keys(options).length === 0) expect(outcome.code).not.toBe("TooLarge");
              if (concurrent) await beside(layers, options, outcome, generated, delay);
              return;
            }
            if (concurrent) await beside(layers, options, outcome, generated, delay);
            expect(impliedOverNonDir(engine)).toBeUndefined();
            const generatedText = generated.flatMap((l) => l.entries.map((e) => String(e.name))).join("\n");
            for (const e of outcome.walk as { path: string; xattrs?: Record<string, string> }[]) {
              expect(e.path).toMatch(/^\/(?!.*(^|\/)\.\.?(\/|$))/);
              if (e.path.includes("\ufffd")) expect(generatedText).toContain("\ufffd");
              // No value a kernel could not hold (XATTR_SIZE_MAX).
              for (const v of Object.values(e.xattrs ?? {}))
                expect(Buffer.from(v, "base64").length).toBeLessThanOrEqual(XATTR_SIZE_MAX);
            }
            // Every layer's event fits the limit (by default what the event log holds in one event).
            for (const event of engine.log.read())
              if (event.type === "layer.created")
                expect(Buffer.byteLength(JSON.stringify(event.data))).toBeLessThanOrEqual(
                  options.maxLayerEventBytes ?? MAX_LAYER_EVENT_BYTES,
                );
            // Round trip: what we export imports back to the same view.
            const out = join(tmp(), "out");
            await exportImage(engine, "t:1", out);
            const again = createFsEngine({
              clock: simulatedClock(1_700_000_000_000),
              ids: sequentialIds("g"),
            });
            await importImage(again, out, { tag: "t:1" });
            const strip = (w: unknown[]) =>
              w.map((e) => {
                const { layer: _l, ino: _i, atime: _a, ...rest } = e as Record<string, unknown>;
                return rest;
              });
            expect(strip([...again.view("t:1").walk()])).toEqual(strip(outcome.walk));
          },
        )
        .afterEach(endRun),
      { numRuns: RUNS },
    );
  });
});
