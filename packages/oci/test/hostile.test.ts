/**
 * What an independent check of 95 hostile and edge-case images found (issue 18), one named regression
 * per finding, each run through every import path (a layout directory, an OCI archive, a docker save
 * archive): entries under a lower layer's file, `./` names, decompression bombs, refused imports that
 * left content behind, error messages that did not say where; and names that are not UTF-8 (issue 19),
 * which are refused with the entry named, never changed into U+FFFD.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, DiskBlobStore, type FsEngine, MemoryBlobStore } from "@strata/fs";
import { type ImportOptions, importImage, importImageArchive, OciError, sha256 } from "@strata/oci";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import {
  dir,
  dockerArchive,
  file,
  ociArchive,
  type RawEntry,
  rawTar,
  symlink,
  type TestLayer,
  writeLayout,
} from "./support/images.js";

const tmp = tempDirs("strata-oci-hostile-");
const fresh = (blobs = new MemoryBlobStore()) =>
  createFsEngine({ clock: simulatedClock(), ids: sequentialIds("h"), blobs });

type Path = "layout" | "oci-archive" | "docker-archive";
const PATHS: readonly Path[] = ["layout", "oci-archive", "docker-archive"];

/** Imports an image of `layers` (bottom first) through `path`. */
async function importVia(
  engine: FsEngine,
  path: Path,
  layers: readonly TestLayer[],
  options: ImportOptions = {},
) {
  const work = tmp();
  const image = { layers, refName: "t" };
  if (path === "layout") {
    writeLayout(join(work, "layout"), [image]);
    return importImage(engine, join(work, "layout"), { tag: "t:1", ...options });
  }
  const archive = join(work, "image.tar");
  writeFileSync(
    archive,
    path === "oci-archive" ? ociArchive([image], {}, join(work, "scratch")) : dockerArchive(image),
  );
  return importImageArchive(engine, archive, { tag: "t:1", ...options });
}

/** Expects the import to be refused with an OciError matching `want`, leaving no event and no blob behind. */
async function refused(
  path: Path,
  layers: readonly TestLayer[],
  want: Record<string, unknown>,
  options: ImportOptions = {},
) {
  const blobs = new MemoryBlobStore();
  const engine = fresh(blobs);
  const before = blobs.size;
  const error = await importVia(engine, path, layers, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `${path}: refused`).toBeInstanceOf(OciError);
  expect(error, path).toMatchObject(want);
  expect(engine.log.lastSeq, `${path}: nothing appended`).toBe(0);
  expect(blobs.size, `${path}: nothing stored`).toBe(before);
  return error as OciError;
}

const layer = (entries: readonly RawEntry[], gzip = false): TestLayer => ({ tar: rawTar(entries), gzip });
const base = layer([dir("etc/"), file("etc/passwd", "root:x:0:0\n"), symlink("flink", "/etc/passwd")]);

describe("1. a directory implied by a deeper path never replaces a lower layer's non-directory", () => {
  for (const path of PATHS) {
    test(`${path}: etc/passwd/x over the file /etc/passwd is refused as "not a directory"`, async () => {
      const e = await refused(path, [base, layer([file("etc/passwd/x")])], {
        code: "InvalidEntry",
        layerIndex: 1,
        entry: { index: 0, name: "etc/passwd/x" },
      });
      expect(e.message).toMatch(/\/etc\/passwd is a file in a layer below, not a directory/);
    });
    test(`${path}: the same through a symlink to it (flink/x), a whiteout and an opaque marker under it`, async () => {
      for (const entries of [
        [file("flink/x")],
        [file("etc/passwd/.wh.x", "")],
        [file("etc/passwd/.wh..wh..opq", "")],
      ])
        await refused(path, [base, layer(entries)], { code: "InvalidEntry", layerIndex: 1 });
    });
  }
  test("an explicit directory entry still replaces the lower file, and may then hold entries", async () => {
    const engine = fresh();
    await importVia(engine, "layout", [base, layer([dir("etc/passwd/"), file("etc/passwd/x", "in")])]);
    expect(engine.view("t:1").stat("/etc/passwd").type).toBe("dir");
    expect(engine.view("t:1").readdir("/etc/passwd")).toEqual(["x"]);
  });
  test("a device or FIFO below is no directory either", async () => {
    const devs = layer([
      dir("dev/"),
      { name: "dev/null", type: "char", devmajor: 1, devminor: 3, mode: 0o666 },
    ]);
    await refused("layout", [devs, layer([file("dev/null/x")])], { code: "InvalidEntry", layerIndex: 1 });
  });
});

describe("2. ./ names (tar -C dir -cf x.tar .) are accepted in layers and in archives", () => {
  test("layer tars GNU tar writes from a directory import as their tree", async () => {
    const work = tmp();
    mkdirSync(join(work, "root/etc"), { recursive: true });
    writeFileSync(join(work, "root/etc/hosts"), "127.0.0.1 localhost\n");
    execFileSync("tar", ["--numeric-owner", "-C", join(work, "root"), "-cf", join(work, "l.tar"), "."]);
    const tar = readFileSync(join(work, "l.tar"));
    for (const path of PATHS) {
      const engine = fresh();
      await importVia(engine, path, [{ tar }, { tar, gzip: true, diffId: sha256(tar) }]);
      expect(engine.view("t:1").readdir("/etc")).toEqual(["hosts"]);
    }
  });
  test("an OCI layout and a docker archive packed by tar -C dir -cf x.tar . import", async () => {
    const work = tmp();
    const image = {
      layers: [layer([dir("./"), dir("./a/"), file("./a/b", "b"), file(".//c", "c")])],
      refName: "t",
    };
    writeLayout(join(work, "layout"), [image]);
    execFileSync("tar", ["-C", join(work, "layout"), "-cf", join(work, "oci.tar"), "."]);
    mkdirSync(join(work, "docker"));
    execFileSync("tar", ["-C", join(work, "docker"), "-xf", "-"], { input: dockerArchive(image) });
    execFileSync("tar", ["-C", join(work, "docker"), "-cf", join(work, "docker.tar"), "."]);
    for (const archive of ["oci.tar", "docker.tar"]) {
      const engine = fresh();
      await importImageArchive(engine, join(work, archive), { tag: "t:1" });
      expect(engine.view("t:1").readdir("/")).toEqual(["a", "c"]);
    }
  });
});

describe("3. decompression bombs stop at the limit with TooLarge naming the layer, on every path", () => {
  // A few KiB of gzip that inflate to 64 MiB of one file (the RSS test, bomb.test.ts, does GiBs).
  const zeros = Buffer.alloc(64 * 1024 * 1024);
  const bombTar = rawTar([file("zeros", zeros)]);
  const bomb: TestLayer = { tar: bombTar, gzip: true };
  for (const path of PATHS) {
    test(`${path}: maxLayerBytes, maxMemoryBytes and maxEntries`, async () => {
      const e = await refused(
        path,
        [base, bomb],
        { code: "TooLarge", layerIndex: 1 },
        { maxLayerBytes: 8 * 1024 * 1024 },
      );
      expect(e.message).toMatch(
        /^layer 2 \(sha256:[0-9a-f]{64}\), tar entry 1 "zeros": the layer inflates to more than 8388608 bytes/,
      );
      await refused(path, [base, bomb], { code: "TooLarge", layerIndex: 1 }, { maxMemoryBytes: 1024 * 1024 });
      // Many files, each under the limit: counted as they are inflated.
      const sixteen = layer(
        Array.from({ length: 16 }, (_, i) => file(`m${i}`, Buffer.alloc(1024 * 1024, i))),
        true,
      );
      const streamed = await refused(
        path,
        [sixteen],
        { code: "TooLarge" },
        { maxLayerBytes: 8 * 1024 * 1024 },
      );
      expect(streamed.problem).toMatch(/refused as it was read/);
      // A file larger than the layer limit is refused from its header, whatever the store.
      const big = await refused(
        path,
        [bomb],
        { code: "TooLarge" },
        { maxLayerBytes: 1024 * 1024, maxMemoryBytes: 2 ** 40 },
      );
      expect(big.problem).toMatch(/maxLayerBytes\): this entry alone holds 67108864/);
      const many = layer(
        Array.from({ length: 200 }, (_, i) => file(`f${i}`, "")),
        true,
      );
      await refused(path, [many], { code: "TooLarge", layerIndex: 0 }, { maxEntries: 100 });
    });
  }
  test("a disk blob store streams the same bomb: it stays under the limit, and a refusal drops what it stored", async () => {
    const store = new DiskBlobStore(join(tmp(), "blobs"));
    const engine = fresh(store as unknown as MemoryBlobStore);
    await expect(
      importVia(engine, "layout", [bomb], { maxLayerBytes: 32 * 1024 * 1024 }),
    ).rejects.toMatchObject({ code: "TooLarge" });
    expect(store.pending.size).toBe(0);
    const r = await importVia(engine, "layout", [bomb]);
    expect(r.layerIds).toHaveLength(1);
    expect(engine.view("t:1").stat("/zeros").size).toBe(zeros.length);
  });

  test("an archive of more members than any image has is refused at the limit (its index sits in memory)", async () => {
    const path = join(tmp(), "many.tar");
    const block = rawTar([dir("blobs/")], false);
    writeFileSync(path, Buffer.concat([...Array.from({ length: 100_001 }, () => block), Buffer.alloc(1024)]));
    await expect(importImageArchive(fresh(), path)).rejects.toMatchObject({
      code: "TooLarge",
      entry: { index: 100_000 },
    });
  });
  test("the entry limit counts over all the layers of an import", async () => {
    const sixty = (p: string) => layer(Array.from({ length: 60 }, (_, i) => file(`${p}${i}`, "")));
    await refused(
      "layout",
      [sixty("a"), sixty("b")],
      { code: "TooLarge", layerIndex: 1 },
      { maxEntries: 100 },
    );
  });
});

describe("5. a refused import stores nothing", () => {
  test("a good layer then a hostile one: the good layer's content is dropped again (memory and disk stores)", async () => {
    const good = layer([dir("app/"), file("app/main", "unique content ".repeat(100_000))]);
    const bad = layer([file("../escape")]);
    for (const path of PATHS) await refused(path, [good, bad], { code: "Breakout", layerIndex: 1 });
    const root = join(tmp(), "blobs");
    const store = new DiskBlobStore(root);
    const engine = fresh(store as unknown as MemoryBlobStore);
    for (const path of PATHS)
      await expect(importVia(engine, path, [good, bad])).rejects.toBeInstanceOf(OciError);
    const left = existsSync(join(root, "sha256")) ? readdirSync(join(root, "sha256")) : [];
    expect(left).toEqual([]);
  });
  test("content the store held before a refused import stays", async () => {
    const blobs = new MemoryBlobStore();
    const engine = fresh(blobs);
    const kept = engine.putBlob("shared");
    await expect(
      importVia(engine, "layout", [layer([file("a", "shared"), file("../b")])]),
    ).rejects.toBeInstanceOf(OciError);
    expect(blobs.has(kept)).toBe(true);
  });
});

describe("6. errors say which layer (position and digest), which entry, and what is wrong", () => {
  const three = rawTar([file("a", "a"), file("b", "b".repeat(3000)), file("c", "c")]);
  test("a layer cut short in an entry's data names that entry and says it was cut short", async () => {
    const cut = three.subarray(0, 512 + 512 + 512 + 1000);
    for (const path of PATHS) {
      const e = await refused(path, [base, { tar: three, blob: cut }], {
        code: "InvalidTar",
        layerIndex: 1,
        entry: { index: 1, name: "b" },
      });
      expect(e.message).toMatch(
        /^layer 2 \(sha256:[0-9a-f]{64}\), tar entry 2 "b": the layer is cut short: it ends in the middle of this entry's data \(1000 of its 3000 bytes are there\)$/,
      );
    }
  });
  test("an archive cut short says so, naming the member it cut", async () => {
    const work = tmp();
    const whole = ociArchive([{ layers: [base], refName: "t" }], {}, join(work, "s"));
    const path = join(work, "cut.tar");
    writeFileSync(path, whole.subarray(0, whole.length - 1024 - 700));
    const e = await importImageArchive(fresh(), path).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toMatchObject({
      code: "InvalidTar",
      entry: {
        name: expect.stringMatching(/^(oci-layout|index\.json|blobs\/.*|\(the member after ".*"\))$/),
      },
    });
    // Said once, where it was cut (regression: "the archive is cut short: …: it was cut short").
    expect((e as Error).message).toMatch(/^tar entry \d+ .*: the archive is cut short: it ends in /);
    expect((e as Error).message.match(/cut short/g)).toHaveLength(1);
  });
  test("a gzip layer cut short says so, placed at the entry being read", async () => {
    const gz = gzipSync(three);
    const e = await refused("layout", [{ tar: three, gzip: true, blob: gz.subarray(0, gz.length - 30) }], {
      code: "InvalidTar",
      layerIndex: 0,
    });
    expect(e.message).toMatch(/the compressed layer is cut short: its gzip data ends too early/);
  });
  test("a damaged header names the entry it should have been, after the last good one", async () => {
    // a's header and data, b's header and 6 data blocks, then c's header (block 9): garbage.
    const damaged = Buffer.concat([
      three.subarray(0, 512 * 9),
      Buffer.from("x".repeat(512)),
      three.subarray(512 * 10),
    ]);
    const e = await refused("layout", [{ tar: three, blob: damaged }], { code: "InvalidTar", layerIndex: 0 });
    expect(e.entry?.index).toBe(2);
    expect(e.message).toMatch(
      /tar entry 3 "\(the entry after \\"b\\"\)": the layer is not a well-formed tar: this is not a tar header \(its checksum is wrong\) \(byte 4608 of the uncompressed layer\)$/,
    );
  });
});

describe("issue 19.7: names that are not UTF-8 are refused with the entry named, never changed into U+FFFD", () => {
  const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1
  test("in layer entry names (plain and PAX), link targets, and PAX record keys", async () => {
    await refused("layout", [layer([file(latin1)])], {
      code: "InvalidEntry",
      entry: { index: 0, name: "caf\\xe9" },
    });
    await refused("layout", [layer([file(Buffer.concat([Buffer.from("x".repeat(120)), latin1]))])], {
      code: "InvalidEntry",
    });
    await refused("layout", [layer([{ name: "l", type: "symlink", linkname: latin1 }])], {
      code: "InvalidEntry",
    });
    const e = await refused(
      "layout",
      [
        layer([
          file("a"),
          file("b", "x", { pax: [[Buffer.concat([Buffer.from("SCHILY.xattr.user."), latin1]), "v"]] }),
        ]),
      ],
      {
        code: "InvalidTar",
        entry: { index: 1 },
      },
    );
    expect(e.message).toContain("caf\\xe9");
  });
  test("in the names of an archive's members", async () => {
    const path = join(tmp(), "bad.tar");
    writeFileSync(path, rawTar([file(Buffer.concat([Buffer.from("blobs/"), latin1]))]));
    await expect(importImageArchive(fresh(), path)).rejects.toMatchObject({
      code: "InvalidLayout",
      entry: { index: 0, name: "blobs/caf\\xe9" },
    });
  });
  test("in manifest.json and index.json", async () => {
    const work = tmp();
    const docker = join(work, "docker.tar");
    writeFileSync(
      docker,
      rawTar([
        file("manifest.json", Buffer.concat([Buffer.from('[{"Config":"'), latin1, Buffer.from('"}]')])),
      ]),
    );
    await expect(importImageArchive(fresh(), docker)).rejects.toMatchObject({
      code: "InvalidLayout",
      message: expect.stringMatching(/manifest\.json is not UTF-8/),
    });
    writeLayout(join(work, "layout"), [{ layers: [base], refName: "t" }]);
    writeFileSync(
      join(work, "layout", "index.json"),
      Buffer.concat([Buffer.from('{"schemaVersion":2,"manifests":[],"x":"'), latin1, Buffer.from('"}')]),
    );
    await expect(importImage(fresh(), join(work, "layout"))).rejects.toMatchObject({
      code: "InvalidLayout",
      message: expect.stringMatching(/index\.json is not UTF-8/),
    });
  });
});
