/**
 * Fuzz: random hostile images in the shapes the independent check found (issue 18, issue 19.7) —
 * entries under lower files and through symlinks, `./`, `/` and `.//` prefixes, devices and FIFOs (a
 * character device 0/0 among them), whiteouts and opaque markers over anything, hard links, names that
 * are not UTF-8, bombs against small limits, layers cut short, extended attributes up to and over
 * 64 KiB in PAX records and global headers (against the header and event limits) — and the neighbours
 * of what the audit of the built issue found: whiteouts beside entries of the same name (either order),
 * paths up to 9 levels and now and then 300, root (`./`) entries with their own metadata, owner ids
 * past 2^18 and 2^21, and several images in one source sharing names (ref names such as `latest`,
 * whole image names, or none). Each is imported through every path (an OCI layout, an OCI archive (its
 * members `./`-prefixed or not), a docker save archive), and a single image, for some runs, at the same
 * time as another image holding the same file contents, into one engine (the issue 18 audit: a refused
 * import took back a blob the other used). Properties:
 *
 * - every path gives the same outcome: the same images under the same names with the same views, or
 *   the same refusal (code, layer, entry, words); each name is the image's own (its image name, else
 *   `imported:` and its ref name), the last image given a name keeping it;
 * - a refusal is an OciError that names the layer at fault and, where an entry is at fault, that
 *   entry; it appends nothing and leaves the blob store as it was;
 * - an accepted image never has a directory a layer only implied where a layer below had a
 *   non-directory (rule 1), holds only canonical paths and no U+FFFD that was not in a name, keeps
 *   devices' numbers, and exports and imports back to the same views;
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
  exportImages,
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
  dockerArchiveOf,
  ociArchive,
  type RawEntry,
  rawTar,
  type TestImage,
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

/** Names: a few that collide often (so whiteouts meet entries of their name), and some that do not. */
const COMPONENT = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("a", "b", "c") },
  { weight: 1, arbitrary: fc.constantFrom("d", "é", "...", "x y", "a".repeat(200)) },
);
const PREFIX = fc.constantFrom("", "", "", "./", "/", ".//", "././");
const relPath = fc.oneof(
  { weight: 30, arbitrary: fc.array(COMPONENT, { minLength: 1, maxLength: 9 }).map((c) => c.join("/")) },
  // Now and then deep: a stack that recursed per component would show it.
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 300 }).map((n) => Array(n).fill("a").join("/")) },
);
const TARGETS = fc.constantFrom("a", "/a", "a/b", "..", "/", "../..", "b/../a", "/a/b/c", "nowhere");
const BAD_UTF8 = [Buffer.from([0xff]), Buffer.from([0x63, 0xe9]), Buffer.from([0xed, 0xa0, 0x80])];
/** Owner ids: usual ones, and those past ustar's six and seven octal digits. */
const OWNER = fc.constantFrom(0, 0, 0, 1000, 262_144, 2 ** 21, 4_000_000_000);

/** One generated tar entry. */
const genEntry: fc.Arbitrary<RawEntry> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ p: PREFIX, n: relPath, body: fc.constantFrom("", "x", "hello\n"), uid: OWNER, gid: OWNER })
      .map(({ p, n, body, uid, gid }) => ({ name: p + n, body, uid, gid })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ p: PREFIX, n: relPath, slash: fc.boolean() })
      .map(({ p, n, slash }) => ({ name: `${p}${n}${slash ? "/" : ""}`, type: "dir" as const })),
  },
  {
    // The root itself, with metadata of its own (`tar -C dir -cf x.tar .` writes it first).
    weight: 1,
    arbitrary: fc
      .record({
        n: fc.constantFrom("./", ".", "/", ".//"),
        mode: fc.constantFrom(0o700, 0o755, 0o1777),
        uid: OWNER,
      })
      .map(({ n, mode, uid }) => ({ name: n, type: "dir" as const, mode, uid, gid: uid })),
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

/** An image: its layers and the names index.json gives it (a ref name, a whole image name, or none). */
const genImage = fc.record({
  layers: fc.array(genLayer, { minLength: 1, maxLength: 3 }),
  refName: fc.constantFrom("latest", "latest", "1", undefined),
  imageName: fc.constantFrom(undefined, undefined, "x:latest", "docker.io/library/y:latest", "z/w:1"),
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
  | { ok: true; images: ReturnType<typeof viewsOf> }
  | { ok: false; code: string; layerIndex: number | null; entry: unknown; problem: string };

const WAYS = ["layout", "oci-archive", "docker-archive"] as const;

/** The tag an image's names give it (its image name, else `imported:` and its ref name), if any. */
const nameOf = (image: { refName?: string | undefined; imageName?: string | undefined }) =>
  image.imageName !== undefined
    ? (image.imageName.replace(/^docker\.io\/library\//, "").replace(/^docker\.io\//, "") as string)
    : image.refName !== undefined
      ? `imported:${image.refName}`
      : undefined;

/** Each image (by id: a config's digest, the same on every path): its tags and its view. */
const viewsOf = (engine: FsEngine): Record<string, { tags: string[]; walk: unknown[] }> =>
  Object.fromEntries(
    Object.values(engine.state.images)
      .filter((i) => i.status === "present")
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .map((i) => [i.id, { tags: [...i.tags].sort(), walk: [...engine.view(i.id).walk()] }]),
  );

async function importWay(
  way: (typeof WAYS)[number],
  images: readonly TestImage[],
  options: ImportOptions,
  dotSlash: boolean,
) {
  const blobs = new MemoryBlobStore();
  const engine = createFsEngine({ clock: simulatedClock(1_700_000_000_000), ids: sequentialIds("f"), blobs });
  const work = tmp();
  let run: Promise<unknown>;
  if (way === "layout") {
    writeLayout(join(work, "l"), images);
    run = importImage(engine, join(work, "l"), options);
  } else {
    const file = join(work, "i.tar");
    writeFileSync(
      file,
      way === "oci-archive"
        ? ociArchive(images, { dotSlash }, join(work, "s"))
        : dockerArchiveOf(
            images.map((image) => {
              const name = nameOf(image);
              return { image, tags: name === undefined ? [] : [name] };
            }),
          ),
    );
    run = importImageArchive(engine, file, options);
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
  return { engine, outcome: { ok: true, images: viewsOf(engine) } as Outcome };
}

/** Rule 1: a directory layer `k` only implies never stands where the layers below have a non-directory. */
function impliedOverNonDir(engine: FsEngine, id: string): string | undefined {
  const image = engine.state.images[id];
  const trees = (image?.layers ?? []).map((l) => engine.projected.layers.get(l.id));
  for (let k = 1; k < trees.length; k++) {
    const below = flatten(trees.slice(0, k) as NonNullable<(typeof trees)[number]>[]);
    // A stack of its own: paths may be 300 levels deep.
    const stack: [DirNode, FsNode | undefined, string][] = [
      [(trees[k] as NonNullable<(typeof trees)[number]>).root, below.root, ""],
    ];
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const [node, lower, path] = top;
      for (const [name, child] of node.children.entries()) {
        const l = lower?.kind === "dir" && !node.opaque ? lower.children.get(name) : undefined;
        if (child.kind !== "dir") continue;
        if (child.implied && l !== undefined && l.kind !== "dir") return `${path}/${name}`;
        stack.push([child, l, `${path}/${name}`]);
      }
    }
  }
  return undefined;
}

/**
 * Imports the image of `layers` into one engine at the same time as another image holding every file
 * content it holds: the outcome is `alone`'s; the other image's files stay readable; the blob store
 * holds what the log names and nothing else (a refused import took back only what no one else put).
 */
async function beside(
  layers: readonly TestLayer[],
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
          fc.oneof(
            { weight: 3, arbitrary: fc.array(genImage, { minLength: 1, maxLength: 1 }) },
            {
              weight: 1,
              arbitrary: fc.array(genImage, { minLength: 2, maxLength: 3 }),
            },
          ),
          LIMITS,
          fc.boolean(),
          fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.nat(40) }),
          async (generated, options, dotSlash, concurrentDelay) => {
            // Beside another import: a single image only (its outcome is the one compared).
            const concurrent = concurrentDelay !== false && generated.length === 1;
            const delay = concurrentDelay === false ? 0 : concurrentDelay;
            const images: TestImage[] = generated.map(({ layers, refName, imageName }) => ({
              layers: layers.map(({ entries, gzip, cut }) => {
                const tar = rawTar(entries);
                return cut === undefined || cut >= tar.length
                  ? { tar, gzip }
                  : { tar, blob: tar.subarray(0, cut) };
              }),
              ...(refName !== undefined ? { refName } : {}),
              ...(imageName !== undefined ? { imageName } : {}),
            }));
            const results = [];
            for (const way of WAYS) results.push(await importWay(way, images, options, dotSlash));
            const [first, ...rest] = results.map((r) => r.outcome);
            for (const [i, o] of rest.entries())
              expect(o, `${WAYS[i + 1]} agrees with the layout`).toEqual(first);
            const { engine, outcome } = results[0] as { engine: FsEngine; outcome: Outcome };
            const layerCount = Math.max(...images.map((i) => i.layers.length));
            const alone = generated[0] as (typeof generated)[number];
            if (!outcome.ok) {
              // Refusals about a layer name it; about an entry, one the layer has.
              if (outcome.entry !== null) expect(outcome.layerIndex).not.toBeNull();
              if (outcome.layerIndex !== null) expect(outcome.layerIndex).toBeLessThan(layerCount);
              if (Object.keys(options).length === 0) expect(outcome.code).not.toBe("TooLarge");
              if (concurrent)
                await beside((images[0] as TestImage).layers, options, outcome, alone.layers, delay);
              return;
            }
            if (concurrent)
              await beside((images[0] as TestImage).layers, options, outcome, alone.layers, delay);
            // Each image under its own name; of images given one name, the one given it last (the same
            // image given several names has them all).
            const names = new Set(images.map(nameOf).filter((n): n is string => n !== undefined));
            expect(Object.keys(engine.state.tags).sort()).toEqual([...names].sort());
            for (const name of names) {
              const last = images.findLastIndex((i) => nameOf(i) === name);
              expect(engine.state.images[engine.state.tags[name] as string]?.layers.length, name).toBe(
                images[last]?.layers.length,
              );
            }
            const generatedText = generated
              .flatMap((i) => i.layers.flatMap((l) => l.entries.map((e) => String(e.name))))
              .join("\n");
            for (const [id, { walk }] of Object.entries(outcome.images)) {
              expect(impliedOverNonDir(engine, id), id).toBeUndefined();
              for (const e of walk as { path: string; xattrs?: Record<string, string> }[]) {
                expect(e.path).toMatch(/^\/(?!.*(^|\/)\.\.?(\/|$))/);
                if (e.path.includes("\ufffd")) expect(generatedText).toContain("\ufffd");
                // No value a kernel could not hold (XATTR_SIZE_MAX).
                for (const v of Object.values(e.xattrs ?? {}))
                  expect(Buffer.from(v, "base64").length).toBeLessThanOrEqual(XATTR_SIZE_MAX);
              }
            }
            // Every layer's event fits the limit (by default what the event log holds in one event).
            for (const event of engine.log.read())
              if (event.type === "layer.created")
                expect(Buffer.byteLength(JSON.stringify(event.data))).toBeLessThanOrEqual(
                  options.maxLayerEventBytes ?? MAX_LAYER_EVENT_BYTES,
                );
            if (names.size === 0) return;
            // Round trip: what we export imports back to the same views, under the same names.
            const out = join(tmp(), "out");
            await exportImages(engine, [...names], out);
            const again = createFsEngine({
              clock: simulatedClock(1_700_000_000_000),
              ids: sequentialIds("g"),
            });
            await importImage(again, out);
            // By name (an export makes a new config, hence a new id).
            const byName = (e: FsEngine) =>
              Object.fromEntries(
                Object.keys(e.state.tags).map((tag) => [
                  tag,
                  [...e.view(tag).walk()].map((w) => {
                    const {
                      layer: _l,
                      ino: _i,
                      atime: _a,
                      ...rest
                    } = w as unknown as Record<string, unknown>;
                    return rest;
                  }),
                ]),
              );
            expect(byName(again)).toEqual(byName(engine));
          },
        )
        .afterEach(endRun),
      { numRuns: RUNS },
    );
  });
});
