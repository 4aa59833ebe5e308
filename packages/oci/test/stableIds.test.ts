/**
 * Images keep their ids through save, rmi and load, as with dockerd: an imported layer is exported with
 * exactly the bytes it was imported with (its tar layout), so its DiffID is unchanged; an image's config
 * is exported as it was loaded (or as its commit made it), so its id, the config's digest, is
 * unchanged; and an image Strata makes (a commit, an `image.create` without an id) is named by the
 * digest of that config. Random tars (tar-stream's and GNU tar's, with PAX records, long names, hard
 * links, trailing record padding), random commits, through layouts, OCI and docker archives.
 */
import { execFileSync } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { type Command, sequentialIds, simulatedClock } from "@strata/core";
import { blobsNamedBy, createFsEngine, type FsEngine, MemoryBlobStore } from "@strata/fs";
import {
  exportImage,
  exportImagesArchive,
  hexOf,
  imageNamer,
  importImage,
  importImageArchive,
  OciError,
  readTarLayout,
  sha256,
  TarLayoutError,
  TarLayoutRecorder,
  TarLayoutWriter,
  tarFromLayout,
} from "@strata/oci";
import fc from "fast-check";
import tar from "tar-stream";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { genScenario } from "../../fs/test/support/generators.js";
import {
  byteOrder,
  type Listed,
  layerEntries,
  layerId,
  listMerged,
  NOW,
  runOps,
  withoutTimesAndLinks,
} from "../../fs/test/support/model.js";
import { readLayerTarEntries } from "../src/readLayerTar.js";
import { writeLayout } from "./support/images.js";

const tmp = tempDirs("strata-stable-ids-");
const RUNS = Number(process.env.STRATA_OCI_RUNS ?? 40);

function toolMissing(): string | null {
  for (const tool of ["umoci", "skopeo"]) {
    try {
      execFileSync(tool, ["--version"], { stdio: "ignore" });
    } catch {
      return `${tool} is not installed (apt-get install -y umoci skopeo)`;
    }
  }
  if (process.getuid?.() !== 0) return "umoci unpack keeps ownership only as root";
  return null;
}
const why = toolMissing();
if (why !== null) {
  if (process.env.CI === "true") throw new Error(`the OCI tool tests must run in CI, but ${why}`);
  console.warn(`skipping the umoci/skopeo tests: ${why}`);
}

/** The rootfs umoci unpacked, listed like our views (root left out: its metadata is not part of layers). */
function listRootfs(root: string): Listed[] {
  const out: Listed[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort(byteOrder)) {
      const path = `${rel}/${name}`;
      const full = join(root, path);
      const st = lstatSync(full);
      if (st.isDirectory()) {
        out.push({ path, type: "dir", mode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
        walk(path);
      } else if (st.isSymbolicLink()) {
        out.push({ path, type: "symlink", uid: st.uid, gid: st.gid, target: readlinkSync(full) });
      } else {
        const bytes = readFileSync(full);
        out.push({
          path,
          type: "file",
          mode: st.mode & 0o7777,
          uid: st.uid,
          gid: st.gid,
          size: bytes.length,
          sha256: sha256(bytes),
        });
      }
    }
  };
  walk("");
  return out;
}

/** An engine that names the images it makes by their content, as the durable engine does. */
const namedEngine = (blobs = new MemoryBlobStore(), time = NOW) =>
  createFsEngine({ clock: simulatedClock(time), ids: sequentialIds("stable"), blobs, namer: imageNamer });

const must = (e: FsEngine, c: Command) => {
  const r = e.execute(c);
  if (!r.ok) throw r.error;
  return r;
};

/** The blob digests anywhere in an event's data: under `digest`, `tar` and `configBlob`. */
function blobsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) blobsIn(v, found);
  else if (value !== null && typeof value === "object") {
    // A content the event carries inline (a small fs.fileWritten) is in the event, not in the store.
    if ("content" in value && typeof value.content === "string") return found;
    for (const [k, v] of Object.entries(value)) {
      if ((k === "digest" || k === "tar" || k === "configBlob") && typeof v === "string") found.add(v);
      else blobsIn(v, found);
    }
  }
  return found;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}

/** One entry of a random tar-stream archive. */
type Entry =
  | { kind: "file"; name: string; body: Buffer; mode: number; uid: number; mtime: number; pax: boolean }
  | { kind: "dir"; name: string; mode: number }
  | { kind: "symlink"; name: string; target: string }
  | { kind: "link"; name: string; to: number };

const segment = fc
  .stringMatching(/^[a-zA-Z0-9._-]{1,12}$/)
  .filter((s) => s !== "." && s !== ".." && !s.startsWith(".wh."));
const longSegment = fc.stringMatching(/^[a-z]{60,90}$/);
const genEntries: fc.Arbitrary<Entry[]> = fc
  .array(
    fc.oneof(
      fc.record({
        kind: fc.constant("file" as const),
        name: fc.oneof(
          segment,
          fc.tuple(segment, longSegment, segment).map((p) => p.join("/")),
        ),
        body: fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)),
        mode: fc.constantFrom(0o644, 0o755, 0o600, 0o4755),
        uid: fc.constantFrom(0, 1000, 65534),
        mtime: fc.integer({ min: 0, max: 2_000_000_000 }),
        pax: fc.boolean(),
      }),
      fc.record({ kind: fc.constant("dir" as const), name: segment, mode: fc.constantFrom(0o755, 0o700) }),
      fc.record({ kind: fc.constant("symlink" as const), name: segment, target: segment }),
      fc.record({ kind: fc.constant("link" as const), name: segment, to: fc.nat() }),
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((entries) => {
    // Each path once; a directory's children under it; a hard link to an earlier file.
    const seen = new Set<string>();
    const out: Entry[] = [];
    for (const e of entries) {
      const name = e.kind === "file" && e.name.includes("/") ? `deep/${e.name}` : e.name;
      const all = name.split("/").map((_, i, p) => p.slice(0, i + 1).join("/"));
      if (all.some((p) => seen.has(p))) continue;
      if (e.kind === "link") {
        const files = out.filter((f) => f.kind === "file");
        const to = files[e.to % Math.max(files.length, 1)];
        if (to === undefined) continue;
        out.push({ ...e, to: out.indexOf(to) });
      } else out.push({ ...e, name } as Entry);
      seen.add(name);
    }
    return out;
  })
  .filter((es) => es.length > 0);

/** A tar of `entries` as tar-stream packs it (its own header bytes: not ours), maybe padded to a record. */
async function tarStreamTar(entries: readonly Entry[], record: number): Promise<Buffer> {
  const pack = tar.pack();
  const done = collect(pack as unknown as AsyncIterable<Buffer>);
  for (const e of entries) {
    if (e.kind === "file")
      pack.entry(
        {
          name: e.name,
          mode: e.mode,
          uid: e.uid,
          gid: e.uid,
          mtime: new Date(e.mtime * 1000),
          ...(e.pax ? { pax: { "SCHILY.xattr.user.note": "hi", comment: "x".repeat(e.mtime % 300) } } : {}),
        },
        e.body,
      );
    else if (e.kind === "dir") pack.entry({ name: `${e.name}/`, type: "directory", mode: e.mode });
    else if (e.kind === "symlink") pack.entry({ name: e.name, type: "symlink", linkname: e.target });
    else pack.entry({ name: e.name, type: "link", linkname: (entries[e.to] as { name: string }).name });
  }
  pack.finalize();
  const bytes = await done;
  // GNU tar pads an archive to a whole record (10 KiB by default): bytes after the end blocks count too.
  return record === 0 ? bytes : Buffer.concat([bytes, Buffer.alloc(record - (bytes.length % record))]);
}

const genTar = fc
  .tuple(genEntries, fc.constantFrom(0, 512, 10240))
  .map(([entries, record]) => ({ entries, record }));

/** The exported layout's config, manifest and layer blobs. */
function layoutOf(dir: string) {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
  const blob = (d: string) => readFileSync(join(dir, "blobs", "sha256", hexOf(d)));
  const manifest = JSON.parse(blob(index.manifests[0].digest).toString());
  return {
    config: blob(manifest.config.digest),
    configDigest: manifest.config.digest as string,
    layers: (manifest.layers as { digest: string }[]).map((l) => blob(l.digest)),
  };
}

describe("a layer's tar layout", () => {
  test("property: what is written reads back, record by record (runs joined), in stored and deflated blocks", () => {
    const piece = fc.oneof(
      fc.record({ raw: fc.uint8Array({ maxLength: 40_000 }).map((b) => Buffer.from(b)) }),
      fc.record({ raw: fc.integer({ min: 0, max: 3 << 20 }).map((n) => Buffer.alloc(n, 1)) }),
      fc.record({ digest: fc.uint8Array({ minLength: 32, maxLength: 32 }), size: fc.nat() }),
    );
    /** Records as runs of raw pieces and files; a run's pieces joined once at the end. */
    const runsOf = (records: Iterable<{ raw?: Buffer; digest?: string; size?: number }>) => {
      const out: ({ raw: Buffer[] } | { digest: string; size: number })[] = [];
      for (const r of records) {
        const last = out.at(-1);
        if (r.raw !== undefined) {
          if (r.raw.length === 0) continue;
          if (last && "raw" in last) last.raw.push(r.raw);
          else out.push({ raw: [r.raw] });
        } else out.push({ digest: r.digest as string, size: r.size as number });
      }
      return out.map((r) => ("raw" in r ? { raw: sha256(Buffer.concat(r.raw)) } : r));
    };
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const writer = new TarLayoutWriter();
        const written = pieces.map((p) => {
          if ("raw" in p) {
            writer.raw(p.raw);
            return { raw: p.raw };
          }
          const digest = `sha256:${Buffer.from(p.digest).toString("hex")}`;
          writer.file(digest, p.size);
          return { digest, size: p.size };
        });
        const diffId = `sha256:${"ab".repeat(32)}`;
        const layout = readTarLayout(writer.finish(diffId, 12345));
        expect([layout.diffId, layout.size]).toEqual([diffId, 12345]);
        // Runs come back in pieces of at most a block: joined, they are what was written.
        expect(runsOf(layout.records())).toEqual(runsOf(written));
      }),
      { numRuns: 40 },
    );
  });

  test("a layout cut short, or not a layout, is a TarLayoutError", () => {
    const writer = new TarLayoutWriter();
    writer.raw(Buffer.alloc(100_000, 3));
    writer.file(`sha256:${"0".repeat(64)}`, 5);
    const whole = writer.finish(`sha256:${"1".repeat(64)}`, 100_005);
    for (const cut of [
      whole.subarray(0, 10),
      whole.subarray(0, whole.length - 3),
      Buffer.from("not a layout"),
    ])
      expect(() => [...readTarLayout(cut).records()]).toThrow(TarLayoutError);
  });

  test("property: read in random chunks, the layout and the contents give the tar back byte for byte", async () => {
    await fc.assert(
      fc.asyncProperty(
        genTar,
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1 }),
        async (t, cuts) => {
          const bytes = await tarStreamTar(t.entries, t.record);
          const chunks: Buffer[] = [];
          for (let at = 0, i = 0; at < bytes.length; i++) {
            const n = cuts[i % cuts.length] as number;
            chunks.push(bytes.subarray(at, at + n));
            at += n;
          }
          const blobs = new MemoryBlobStore();
          const writer = new TarLayoutWriter();
          await readLayerTarEntries(chunks, blobs, {
            layer: "test",
            check: false,
            layout: new TarLayoutRecorder(writer),
          }).catch((e) => {
            // Some random archives are refused (a hard link to a path given twice): no layout then.
            if (!(e instanceof OciError)) throw e;
            return null;
          });
          const layout = writer.finish(sha256(bytes), bytes.length);
          expect(readTarLayout(layout)).toMatchObject({ diffId: sha256(bytes), size: bytes.length });
          // The tar's own bytes are a small part of the layout: the contents are by digest.
          expect((await collect(tarFromLayout(layout, blobs))).equals(bytes)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("the layout holds no file content: of a 1 MiB file's tar, its header and the end blocks", async () => {
    const bytes = await tarStreamTar(
      [
        {
          kind: "file",
          name: "big",
          body: Buffer.alloc(1 << 20, 7),
          mode: 0o644,
          uid: 0,
          mtime: 1,
          pax: false,
        },
      ],
      0,
    );
    const blobs = new MemoryBlobStore();
    const writer = new TarLayoutWriter();
    await readLayerTarEntries([bytes], blobs, {
      layer: "test",
      layout: new TarLayoutRecorder(writer),
    });
    expect(writer.finish(sha256(bytes), bytes.length).length).toBeLessThan(512 + 1024 + 200);
  });
});

describe("save, rmi, load: the same ids, DiffIDs and tags", () => {
  test("property: an imported layer exports with the bytes it was imported with; the image keeps its id", async () => {
    await fc.assert(
      fc.asyncProperty(genTar, fc.boolean(), fc.constantFrom("layout", "docker"), async (t, gzip, format) => {
        const layerTar = await tarStreamTar(t.entries, t.record);
        const src = tmp();
        writeLayout(src, [{ layers: [{ tar: layerTar, gzip }], refName: "base:1" }]);
        const e = namedEngine();
        let imported: Awaited<ReturnType<typeof importImage>>;
        try {
          imported = await importImage(e, src, { tag: "base:1" });
        } catch (err) {
          if (err instanceof OciError) return; // a random archive the importer refuses
          throw err;
        }
        const before = e.state.images[imported.imageId];
        // Exported: the layer is the tar as it came, the config as it came.
        const out = tmp();
        await exportImage(e, "base:1", out, { compression: "none" });
        const written = layoutOf(out);
        expect(written.layers[0]?.equals(layerTar)).toBe(true);
        expect(written.configDigest).toBe(imported.imageId);
        // Saved, removed, loaded: the same image.
        const file = join(tmp(), "saved.tar");
        await exportImagesArchive(e, ["base:1"], file, { format: format === "docker" ? "docker" : "oci" });
        must(e, { type: "image.remove", image: "base:1" });
        const loaded = await importImageArchive(e, file, { existing: "tag" });
        expect(loaded.imageId).toBe(imported.imageId);
        expect(loaded.layerIds).toEqual(imported.layerIds);
        expect(e.state.tags["base:1"]).toBe(imported.imageId);
        expect(e.state.images[loaded.imageId]?.config).toEqual(before?.config);
      }),
      { numRuns: RUNS },
    );
  });

  test("property: a committed image's id is its exported config's digest; saved, removed and loaded, the same", async () => {
    await fc.assert(
      fc.asyncProperty(genScenario, async ([layers, ops]) => {
        const e = namedEngine();
        layers.forEach((entries, i) => {
          must(e, {
            type: "layer.create",
            layerId: layerId(i),
            entries: layerEntries(entries, (b) => e.putBlob(b)),
          });
        });
        must(e, {
          type: "image.create",
          layers: layers.map((_, i) => ({ id: layerId(i), parent: i === 0 ? null : layerId(i - 1) })),
          tags: ["base:1"],
        });
        must(e, { type: "container.create", image: "base:1", name: "box" });
        runOps(e, ops);
        const r = must(e, { type: "container.commit", container: "box", tag: "app:2" });
        const id = e.state.tags["app:2"] as string;
        expect(r.events.find((x) => x.type === "container.committed")?.data).toEqual({ imageId: id });
        const record = e.state.images[id];
        const out = tmp();
        const exported = await exportImage(e, "app:2", out, { compression: "none" });
        // dockerd's rule: the id is the config's digest; the new layer's id its DiffID.
        expect(exported.config.digest).toBe(id);
        expect(sha256(layoutOf(out).config)).toBe(id);
        const top = record?.layers.at(-1);
        if (top && top.tar !== undefined) expect(exported.layers.at(-1)?.diffId).toBe(top.id);
        // The base was made by `image.create` without an id: named by its config too.
        const baseId = e.state.tags["base:1"] as string;
        const base = await exportImage(e, "base:1", tmp(), { compression: "none" });
        expect(base.config.digest).toBe(baseId);

        const file = join(tmp(), "saved.tar");
        await exportImagesArchive(e, ["app:2", "base:1"], file, { format: "docker" });
        must(e, { type: "container.remove", container: "box", force: true });
        must(e, { type: "image.remove", image: "app:2" });
        must(e, { type: "image.remove", image: "base:1" });
        const loaded = await importImageArchive(e, file, { existing: "tag" });
        expect(new Set(loaded.images.map((i) => i.imageId))).toEqual(new Set([id, baseId]));
        expect(e.state.tags["app:2"]).toBe(id);
        expect(e.state.tags["base:1"]).toBe(baseId);
        const again = await exportImage(e, "app:2", tmp(), { compression: "none" });
        expect(again.config.digest).toBe(id);
        expect(again.layers.map((l) => l.diffId)).toEqual(exported.layers.map((l) => l.diffId));

        // And into another engine altogether: the same ids.
        const other = namedEngine();
        const there = await importImageArchive(other, file);
        expect(there.images.find((i) => i.tags.includes("app:2"))?.imageId).toBe(id);
        // Every blob the events name (contents, tar layouts, configs) is named by blobsNamedBy, and stored.
        for (const engine of [e, other])
          for (const event of engine.log.read()) {
            expect(new Set(blobsNamedBy(event)), `${event.type} at ${event.seq}`).toEqual(
              blobsIn(event.data),
            );
            for (const d of blobsNamedBy(event)) expect(engine.blobs.has(d)).toBe(true);
          }
      }),
      { numRuns: RUNS },
    );
  });

  test("a commit of the same changes at the same time is the same image: not made twice, the tag moves to it", () => {
    const e = namedEngine();
    must(e, { type: "image.create", layers: [], tags: ["base:1"], cmd: ["sh"] });
    for (const name of ["one", "two"]) {
      must(e, { type: "container.create", image: "base:1", name });
      must(e, { type: "fs.writeFile", container: name, path: "/f", content: "same" });
      must(e, { type: "fs.utimes", container: name, path: "/f", mtime: 1000, atime: 1000 });
    }
    const first = must(e, { type: "container.commit", container: "one", tag: "a:1" });
    must(e, { type: "image.tag", image: "base:1", tag: "b:1" });
    const second = must(e, { type: "container.commit", container: "two", tag: "b:1" });
    const id = e.state.tags["a:1"];
    expect(e.state.tags["b:1"]).toBe(id);
    expect(first.events.filter((x) => x.type === "image.created")).toHaveLength(1);
    expect(second.events.map((x) => x.type)).toEqual([
      "image.untagged",
      "image.tagged",
      "container.committed",
    ]);
    // Committed again with its tag already there: nothing but the commit itself.
    must(e, { type: "container.create", image: "base:1", name: "three" });
    must(e, { type: "fs.writeFile", container: "three", path: "/f", content: "same" });
    must(e, { type: "fs.utimes", container: "three", path: "/f", mtime: 1000, atime: 1000 });
    const third = must(e, { type: "container.commit", container: "three", tag: "a:1", pause: false });
    expect(third.events.map((x) => x.type)).toEqual(["container.committed"]);
  });

  test("an id given is kept; without a namer, ids come from the id source (older behaviour)", () => {
    const given = `sha256:${"a".repeat(64)}`;
    const e = namedEngine();
    must(e, { type: "image.create", imageId: given, layers: [], tags: ["x:1"] });
    expect(e.state.tags["x:1"]).toBe(given);
    const plain = createFsEngine({ clock: simulatedClock(NOW), ids: sequentialIds("plain") });
    must(plain, { type: "image.create", layers: [], tags: ["x:1"] });
    expect(plain.state.images[plain.state.tags["x:1"] as string]?.configBlob).toBeUndefined();
  });

  test("an undated image made without an id (created: null, no history) is named by the config an export writes: no created, no history", async () => {
    const e = namedEngine();
    must(e, { type: "image.create", layers: [], tags: ["u:1"], cmd: ["sh"], created: null, history: [] });
    const id = e.state.tags["u:1"] as string;
    expect(e.state.images[id]?.undated).toBe(true);
    const out = tmp();
    const exported = await exportImage(e, "u:1", out, { compression: "none" });
    expect(exported.config.digest).toBe(id);
    const config = JSON.parse(layoutOf(out).config.toString()) as Record<string, unknown>;
    expect("created" in config).toBe(false);
    expect("history" in config).toBe(false);
    // Loaded into another engine, it keeps its id and stays undated.
    const file = join(tmp(), "u.tar");
    await exportImagesArchive(e, ["u:1"], file, { format: "docker" });
    const other = namedEngine();
    expect((await importImageArchive(other, file)).imageId).toBe(id);
    expect(other.state.images[id]?.undated).toBe(true);
  });

  test("a committed layer with an owner id past 2^21 and a time past 2242 is encoded with PAX records, and exported byte for byte", async () => {
    const e = namedEngine();
    must(e, { type: "image.create", layers: [], tags: ["base:1"], cmd: ["sh"] });
    must(e, { type: "container.create", image: "base:1", name: "box" });
    must(e, { type: "fs.writeFile", container: "box", path: "/f", content: "x" });
    must(e, { type: "fs.chown", container: "box", path: "/f", uid: 2 ** 22, gid: 300_000 });
    const late = (8 ** 11 + 10) * 1000; // seconds past eleven octal digits (after 2242)
    must(e, { type: "fs.utimes", container: "box", path: "/f", mtime: late, atime: late });
    must(e, { type: "container.commit", container: "box", tag: "big:1" });
    const id = e.state.tags["big:1"] as string;
    const top = e.state.images[id]?.layers.at(-1);
    expect(top?.tar).toBeDefined();
    const out = tmp();
    const exported = await exportImage(e, "big:1", out, { compression: "none" });
    expect(exported.config.digest).toBe(id);
    const layer = layoutOf(out).layers.at(-1) as Buffer;
    // Written from the layout the commit kept: its DiffID is the layer's id.
    expect(sha256(layer)).toBe(top?.id);
    const text = layer.toString("latin1");
    expect(text).toContain(` uid=${2 ** 22}\n`);
    expect(text).toContain(` mtime=${8 ** 11 + 10}\n`);
    expect(text).not.toContain(" gid=300000\n"); // seven octal digits hold it
    // Read back, the owner and the time are the ones committed.
    const read = await readLayerTarEntries([layer], new MemoryBlobStore(), { layer: "big" });
    const f = read.entries.find((x) => x.path.replace(/^\//, "") === "f");
    expect(f && "uid" in f ? [f.uid, f.gid, f.mtime] : undefined).toEqual([2 ** 22, 300_000, late]);
  });

  test("a layer the log holds no layout of (older logs) is written afresh; its image round-trips all the same", async () => {
    // Imported through a layout whose blobs are dropped from the store: as a log written before layouts.
    const layerTar = await tarStreamTar(
      [{ kind: "file", name: "a", body: Buffer.from("a"), mode: 0o644, uid: 0, mtime: 5, pax: false }],
      10240,
    );
    const src = tmp();
    writeLayout(src, [{ layers: [{ tar: layerTar }] }]);
    const e = namedEngine();
    const imported = await importImage(e, src, { tag: "old:1" });
    const tarBlob = e.state.layers[imported.layerIds[0] as string]?.tar as string;
    (e.blobs as MemoryBlobStore).discard([tarBlob]);
    const out = tmp();
    const r = await exportImage(e, "old:1", out, { compression: "none" });
    // Written afresh, in our one form: another DiffID, so another config and id.
    expect(r.layers[0]?.diffId).not.toBe(imported.layerIds[0]);
    expect(r.config.digest).not.toBe(imported.imageId);
    expect(sha256(layoutOf(out).layers[0] as Buffer)).toBe(r.layers[0]?.diffId);
  });

  test("GNU tar's archives (its own headers, a 10 KiB record) come back byte for byte", async () => {
    const root = tmp();
    mkdirSync(join(root, "etc", "deep"), { recursive: true });
    writeFileSync(join(root, "etc", "deep", "x"), "x".repeat(700));
    writeFileSync(join(root, `etc/${"long".repeat(40)}`), "long name");
    symlinkSync("deep/x", join(root, "etc", "link"));
    for (const format of ["gnu", "posix", "ustar"]) {
      if (format === "ustar") execFileSync("rm", [join(root, `etc/${"long".repeat(40)}`)]);
      const file = join(tmp(), "layer.tar");
      execFileSync("tar", [`--format=${format}`, "-C", root, "-cf", file, "."]);
      const layerTar = readFileSync(file);
      for (const gzip of [false, true]) {
        const src = tmp();
        writeLayout(src, [{ layers: [{ tar: layerTar, gzip }] }]);
        const e = namedEngine();
        await importImage(e, src, { tag: "gnu:1" });
        const out = tmp();
        await exportImage(e, "gnu:1", out, { compression: gzip ? "gzip" : "none" });
        const written = layoutOf(out).layers[0] as Buffer;
        expect((gzip ? execFileSync("gzip", ["-dc"], { input: written }) : written).equals(layerTar)).toBe(
          true,
        );
      }
    }
  });
});

describe("real tools read what we write", () => {
  test.runIf(why === null)(
    "skopeo inspects and umoci unpacks an imported image written from its layout, and a commit on it",
    async () => {
      await fc.assert(
        fc.asyncProperty(genTar, fc.boolean(), async (t, gzip) => {
          const src = tmp();
          writeLayout(src, [{ layers: [{ tar: await tarStreamTar(t.entries, t.record), gzip }] }]);
          const e = namedEngine();
          try {
            await importImage(e, src, { tag: "base:1" });
          } catch (err) {
            if (err instanceof OciError) return;
            throw err;
          }
          must(e, { type: "container.create", image: "base:1", name: "box" });
          must(e, { type: "fs.writeFile", container: "box", path: "/added", content: "new" });
          must(e, { type: "container.commit", container: "box", tag: "app:2" });
          for (const [ref, name] of [
            ["base:1", "1"],
            ["app:2", "2"],
          ] as const) {
            const layout = tmp();
            const result = await exportImage(e, ref, layout, { compression: gzip ? "gzip" : "none" });
            const inspect = JSON.parse(
              execFileSync("skopeo", ["inspect", `oci:${layout}:${name}`]).toString(),
            );
            expect(inspect.Layers).toEqual(result.layers.map((l) => l.digest));
            expect(result.config.digest).toBe(e.state.tags[ref]);
            const bundle = join(tmp(), "bundle");
            execFileSync("umoci", ["unpack", "--image", `${layout}:${name}`, bundle], { stdio: "pipe" });
            expect(listRootfs(join(bundle, "rootfs"))).toEqual(
              withoutTimesAndLinks(listMerged(e, ref)).slice(1),
            );
          }
        }),
        { numRuns: Math.ceil(RUNS / 4) },
      );
    },
    300_000,
  );
});

describe("hostile: the layout is bounded like the rest", () => {
  test("bytes that are not file contents (a symlink's data) count against maxMemoryBytes; a refusal keeps nothing", async () => {
    // A symlink entry carrying 4 MiB of incompressible data: no file content, all of it layout.
    const noise = Buffer.from(Array.from({ length: 4 << 20 }, (_, i) => (i * 2654435761) >>> 24));
    const header = Buffer.alloc(512);
    header.write("s", 0);
    header.write("0000777\0", 100);
    header.write("0000000\0", 108);
    header.write("0000000\0", 116);
    header.write(`${noise.length.toString(8).padStart(11, "0")}\0`, 124);
    header.write("00000000000\0", 136);
    header.write("2", 156);
    header.write("target", 157);
    header.write("ustar\x0000", 257);
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    const layerTar = Buffer.concat([header, noise, Buffer.alloc(1024)]);
    const src = tmp();
    writeLayout(src, [{ layers: [{ tar: layerTar }] }]);
    const blobs = new MemoryBlobStore();
    const e = namedEngine(blobs);
    const size = blobs.size;
    await expect(importImage(e, src, { tag: "bomb:1", maxMemoryBytes: 1 << 20 })).rejects.toMatchObject({
      code: "TooLarge",
      message: expect.stringContaining("tar layout"),
    });
    expect(blobs.size).toBe(size);
    expect(e.log.lastSeq).toBe(0);
    // Within the limit, the same layer imports and exports byte for byte.
    await importImage(e, src, { tag: "bomb:1", maxMemoryBytes: 16 << 20 });
    const out = tmp();
    await exportImage(e, "bomb:1", out, { compression: "none" });
    expect(layoutOf(out).layers[0]?.equals(layerTar)).toBe(true);
  });
});
