/**
 * OCI import: round trips, layouts umoci builds, and hostile input. Every layer is untrusted: a bad one
 * is refused with an OciError naming the layer and the tar entry, and nothing is appended.
 */
import { execFileSync } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, MemoryBlobStore } from "@strata/fs";
import {
  exportImage,
  hexOf,
  importImage,
  MEDIA_TYPES,
  OciError,
  readLayerTarBytes,
  sha256,
} from "@strata/oci";
import fc from "fast-check";
import tar from "tar-stream";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { genScenario } from "../../fs/test/support/generators.js";
import {
  asLayersKeepIt,
  buildModel,
  byteOrder,
  listMerged,
  runOps,
  withoutTimesAndLinks,
} from "../../fs/test/support/model.js";

const tmp = tempDirs("strata-oci-in-");
const fresh = () => createFsEngine({ clock: simulatedClock(), ids: sequentialIds("import") });

const haveUmoci = (() => {
  try {
    execFileSync("umoci", ["--version"], { stdio: "ignore" });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();
if (!haveUmoci && process.env.CI === "true")
  throw new Error("the umoci import tests must run in CI: install umoci, run as root");

type Entry = { header: Partial<tar.Header> & { name: string }; body?: string };
async function tarOf(entries: readonly Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ mode: 0o644, ...e.header }, e.body ?? "", (err?: Error | null) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}
const file = (name: string, body = "x"): Entry => ({
  header: { name, type: "file", size: Buffer.byteLength(body) },
  body,
});
const dir = (name: string): Entry => ({ header: { name, type: "directory", mode: 0o755 } });

/** A one-layer layout around `layerTar` (valid descriptors unless told otherwise). */
function layoutOf(
  layerTar: Buffer,
  opts: { gzip?: boolean; diffId?: string; lie?: "size" | "digest" } = {},
): string {
  const out = tmp();
  mkdirSync(join(out, "blobs", "sha256"), { recursive: true });
  const put = (bytes: Buffer) => {
    const d = sha256(bytes);
    writeFileSync(join(out, "blobs", "sha256", hexOf(d)), bytes);
    return d;
  };
  const blob = opts.gzip ? gzipSync(layerTar) : layerTar;
  const layerDigest = put(blob);
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [opts.diffId ?? sha256(layerTar)] },
    }),
  );
  const configDigest = put(config);
  const layerDesc = {
    mediaType: opts.gzip ? MEDIA_TYPES.layerTarGzip : MEDIA_TYPES.layerTar,
    digest: opts.lie === "digest" ? sha256("something else") : layerDigest,
    size: opts.lie === "size" ? blob.length + 1 : blob.length,
  };
  if (opts.lie === "digest") writeFileSync(join(out, "blobs", "sha256", hexOf(layerDesc.digest)), blob);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: { mediaType: MEDIA_TYPES.config, digest: configDigest, size: config.length },
      layers: [layerDesc],
    }),
  );
  const manifestDigest = put(manifest);
  writeFileSync(join(out, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(out, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: MEDIA_TYPES.manifest,
          digest: manifestDigest,
          size: manifest.length,
          annotations: { "org.opencontainers.image.ref.name": "t" },
        },
      ],
    }),
  );
  return out;
}

describe("round trips", () => {
  test("export then import gives the same union view (random images)", async () => {
    await fc.assert(
      fc.asyncProperty(genScenario, async ([layers, ops]) => {
        const engine = buildModel(layers);
        runOps(engine, ops);
        engine.execute({ type: "container.commit", container: "box", tag: "oracle:2" });
        const layout = tmp();
        await exportImage(engine, "oracle:2", layout);
        const target = fresh();
        const r = await importImage(target, layout, { tag: "copy:1" });
        expect(r.layerIds).toHaveLength(
          engine.state.images[engine.state.tags["oracle:2"] as string]?.layers.length ?? -1,
        );
        // Our own round trip keeps everything a layer holds, xattrs included (PAX SCHILY.xattr both ways).
        expect(asLayersKeepIt(listMerged(target, "copy:1")).slice(1)).toEqual(
          asLayersKeepIt(listMerged(engine, "oracle:2")).slice(1),
        );
        // Importing again reuses the layers (content-addressed) and the image id (the config digest).
        await expect(importImage(target, layout, { tag: "copy:2" })).rejects.toMatchObject({
          code: "Conflict",
        });
      }),
      { numRuns: 30 },
    );
  });

  test.runIf(haveUmoci)(
    "a layout umoci builds (init, new, unpack, change files, repack) imports into exactly the tree umoci has",
    async () => {
      const work = tmp();
      const img = join(work, "img");
      const run = (...args: string[]) => execFileSync("umoci", args, { stdio: "pipe" });
      run("init", "--layout", img);
      run("new", "--image", `${img}:base`);
      run("unpack", "--image", `${img}:base`, join(work, "b1"));
      const root = join(work, "b1", "rootfs");
      mkdirSync(join(root, "etc/app"), { recursive: true });
      writeFileSync(join(root, "etc/app/config.yml"), "port: 8080\n");
      writeFileSync(join(root, "etc/motd"), "hello\n");
      symlinkSync("app/config.yml", join(root, "etc/config"));
      mkdirSync(join(root, "data"), { mode: 0o700 });
      run("repack", "--image", `${img}:v1`, join(work, "b1"));
      run("unpack", "--image", `${img}:v1`, join(work, "b2"));
      const root2 = join(work, "b2", "rootfs");
      rmSync(join(root2, "etc/motd"));
      rmSync(join(root2, "etc/app"), { recursive: true });
      mkdirSync(join(root2, "etc/app"));
      writeFileSync(join(root2, "etc/app/new.conf"), "fresh\n");
      run("repack", "--image", `${img}:v2`, join(work, "b2"));
      run("unpack", "--image", `${img}:v2`, join(work, "oracle"));

      const engine = fresh();
      await importImage(engine, img, { ref: "v2", tag: "umoci:v2" });
      const ours = withoutTimesAndLinks(listMerged(engine, "umoci:v2")).slice(1);
      const theirs = [...listRootfsOf(join(work, "oracle", "rootfs"))];
      expect(ours).toEqual(theirs);
    },
  );
});

function* listRootfsOf(root: string, rel = ""): Generator<ReturnType<typeof listMerged>[number]> {
  for (const name of readdirSync(join(root, rel)).sort(byteOrder)) {
    const path = `${rel}/${name}`;
    const st = lstatSync(join(root, path));
    if (st.isDirectory()) {
      yield { path, type: "dir", mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      yield* listRootfsOf(root, path);
    } else if (st.isSymbolicLink())
      yield { path, type: "symlink", uid: st.uid, gid: st.gid, target: readlinkSync(join(root, path)) };
    else {
      const bytes = readFileSync(join(root, path));
      yield {
        path,
        type: "file",
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: bytes.length,
        sha256: sha256(bytes),
      };
    }
  }
}

describe("hostile layers", () => {
  const refuse = async (entries: Entry[], code: string, entryName?: string) => {
    const engine = fresh();
    const seq = engine.log.lastSeq;
    const layout = layoutOf(await tarOf(entries));
    const r = importImage(engine, layout);
    await expect(r).rejects.toBeInstanceOf(OciError);
    await expect(importImage(engine, layout)).rejects.toMatchObject({
      code,
      ...(entryName ? { entry: { name: entryName } } : {}),
    });
    expect(engine.log.lastSeq).toBe(seq);
  };

  test("a name that leaves the root through .. is a breakout", () =>
    refuse([file("../evil")], "Breakout", "../evil"));
  test("a deeper .. escape too", () => refuse([dir("a/"), file("a/../../evil")], "Breakout", "a/../../evil"));
  test(".wh.., .wh... and a bare .wh. are invalid whiteouts", async () => {
    for (const name of [".wh..", ".wh...", "etc/.wh.", "a/.wh..wh.plnk"])
      await refuse([file(name, "")], "InvalidWhiteout", name);
  });
  test("a path given twice is refused", () =>
    refuse([file("etc/passwd"), file("etc/passwd")], "DuplicateEntry", "etc/passwd"));
  test("an entry under a non-directory of the same layer is refused", () =>
    refuse([file("a"), file("a/b")], "InvalidEntry"));
  test("hard links to missing targets, or outside the root, are refused", async () => {
    await refuse([{ header: { name: "l", type: "link", linkname: "missing" } }], "InvalidEntry");
    await refuse([{ header: { name: "l", type: "link", linkname: "../../etc/shadow" } }], "Breakout", "l");
  });
  test("a hard link to a device is refused (devices themselves are kept: devices.test.ts)", () =>
    refuse(
      [
        { header: { name: "dev/sda", type: "block-device", devmajor: 8, devminor: 0 } },
        { header: { name: "dev/again", type: "link", linkname: "dev/sda" } },
      ],
      "InvalidEntry",
    ));
  test("absolute and ./ names are put under the root", async () => {
    const engine = fresh();
    await importImage(engine, layoutOf(await tarOf([file("/abs"), file("./rel")])), { tag: "x:1" });
    expect(engine.view("x:1").readdir("/")).toEqual(["abs", "rel"]);
  });

  test("digests, sizes and diff_ids that do not match are refused before anything is stored", async () => {
    const layer = await tarOf([file("a")]);
    const engine = fresh();
    await expect(importImage(engine, layoutOf(layer, { lie: "size" }))).rejects.toMatchObject({
      code: "SizeMismatch",
    });
    await expect(importImage(engine, layoutOf(layer, { lie: "digest" }))).rejects.toMatchObject({
      code: "DigestMismatch",
    });
    await expect(importImage(engine, layoutOf(layer, { diffId: sha256("not it") }))).rejects.toMatchObject({
      code: "DigestMismatch",
    });
    expect(engine.log.lastSeq).toBe(0);
  });

  test("decompression past the size limit stops with TooLarge", async () => {
    const bomb = await tarOf([file("zeros", "\0".repeat(4 * 1024 * 1024))]);
    const engine = fresh();
    await expect(
      importImage(engine, layoutOf(bomb, { gzip: true }), { maxLayerBytes: 1024 * 1024 }),
    ).rejects.toMatchObject({ code: "TooLarge" });
    expect(engine.log.lastSeq).toBe(0);
  });

  test("fuzz: corrupted or random bytes are refused with an OciError or read into canonical paths, never anything else", async () => {
    const base = await tarOf([
      dir("etc/"),
      file("etc/hosts", "127.0.0.1 localhost\n"),
      file(".wh.gone", ""),
      { header: { name: "l", type: "symlink", linkname: "../../x" } },
    ]);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc
            .array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), {
              minLength: 1,
              maxLength: 8,
            })
            .map((flips) => {
              const b = Buffer.from(base);
              for (const [i, v] of flips) b[i] = v;
              return new Uint8Array(b);
            }),
        ),
        async (bytes) => {
          try {
            const entries = await readLayerTarBytes(bytes, new MemoryBlobStore(), { layer: "fuzz" });
            for (const e of entries) expect(e.path).toMatch(/^\/(?!.*(^|\/)\.\.?(\/|$))/);
          } catch (e) {
            expect(e).toBeInstanceOf(OciError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** containerd's TestBreakouts cases (reference §3.4) as named regressions: everything stays inside the root. */
describe("breakouts (containerd TestBreakouts)", () => {
  const sym = (name: string, linkname: string): Entry => ({ header: { name, type: "symlink", linkname } });
  const link = (name: string, linkname: string): Entry => ({ header: { name, type: "link", linkname } });
  /** Imports layers (bottom first) as one image tagged t:1. */
  const stack = async (...layers: Entry[][]) => {
    const engine = fresh();
    const tars = await Promise.all(layers.map((l) => tarOf(l)));
    const out = tmp();
    mkdirSync(join(out, "blobs", "sha256"), { recursive: true });
    const put = (bytes: Buffer) => {
      const d = sha256(bytes);
      writeFileSync(join(out, "blobs", "sha256", hexOf(d)), bytes);
      return d;
    };
    const descs = tars.map((t) => ({ mediaType: MEDIA_TYPES.layerTar, digest: put(t), size: t.length }));
    const config = Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: tars.map((t) => sha256(t)) },
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        config: { mediaType: MEDIA_TYPES.config, digest: put(config), size: config.length },
        layers: descs,
      }),
    );
    const md = put(manifest);
    writeFileSync(join(out, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(
      join(out, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: MEDIA_TYPES.manifest, digest: md, size: manifest.length }],
      }),
    );
    await importImage(engine, out, { tag: "t:1" });
    return engine;
  };
  const text = (e: ReturnType<typeof fresh>, p: string) => Buffer.from(e.view("t:1").readFile(p)).toString();

  test("SymlinkAbsolute: writing through localetc -> /etc lands in the container's /etc", async () => {
    const e = await stack([dir("etc/"), sym("localetc", "/etc"), file("localetc/unbroken", "inside")]);
    expect(text(e, "/etc/unbroken")).toBe("inside");
    expect(e.view("t:1").lookup("/localetc")?.type).toBe("symlink");
  });
  test("SymlinkUpAndOut and relative escapes are clamped at the root", async () => {
    const e = await stack([
      dir("etc/"),
      dir("dummy/"),
      sym("up", "/dummy/../../../etc"),
      file("up/a", "a"),
      dir("breakouts/"),
      sym("breakouts/d1", "../../etc"),
      file("breakouts/d1/b", "b"),
    ]);
    expect(e.view("t:1").readdir("/etc")).toEqual(["a", "b"]);
  });
  test("across layers: a symlink in a lower layer is written through, inside the root", async () => {
    const e = await stack([dir("etc/"), sym("localetc", "/etc")], [file("localetc/unbroken", "later")]);
    expect(text(e, "/etc/unbroken")).toBe("later");
    expect(e.view("t:1").lookup("/localetc")?.type).toBe("symlink");
  });
  test("HardlinkRelative: a hard link through a symlinked directory is the same inode as the root's /etc/passwd", async () => {
    const e = await stack([
      dir("etc/"),
      file("etc/passwd", "root:x:0:0"),
      dir("breakouts/"),
      sym("breakouts/d1", "../../etc"),
      link("breakouts/hard", "breakouts/d1/passwd"),
    ]);
    expect(e.view("t:1").stat("/breakouts/hard")).toMatchObject({
      nlink: 2,
      digest: e.view("t:1").stat("/etc/passwd").digest,
    });
  });
  test("HardlinkDirectRelative: a hard link whose name leaves the root is refused (we reject rather than clamp)", async () => {
    await expect(
      stack([dir("etc/"), file("etc/passwd"), link("x", "../../../../../etc/passwd")]),
    ).rejects.toMatchObject({
      code: "Breakout",
    });
  });
  test("WhiteoutSymlink removes the link, not its target; WhiteoutSymlinkPath removes inside the root", async () => {
    const e = await stack(
      [dir("etc/"), file("etc/x"), file("etc/y"), sym("localetc", "/etc"), sym("other", "/etc")],
      [file(".wh.localetc", ""), file("other/.wh.y", "")],
    );
    expect(e.view("t:1").lookup("/localetc")).toBeUndefined();
    expect(e.view("t:1").readdir("/etc")).toEqual(["x"]);
  });
  test("the root can never be replaced by a symlink named . or / (umoci CVE-2021-29136)", async () => {
    const e = await stack([dir("etc/"), sym(".", "/etc"), sym("./", "/etc"), file("etc/a")]);
    expect(e.view("t:1").stat("/", { follow: false }).type).toBe("dir");
    expect(e.view("t:1").readdir("/")).toEqual(["etc"]);
  });
  test("HardlinkSymlink: a hard link to a symlink links the symlink node", async () => {
    const e = await stack([dir("etc/"), sym("s", "/etc"), link("h", "s")]);
    expect(e.view("t:1").lookup("/h")).toMatchObject({ type: "symlink", target: "/etc" });
  });
  test("a symlink loop on the way is refused", async () => {
    await expect(stack([sym("a", "b"), sym("b", "a"), file("a/x")])).rejects.toMatchObject({
      code: "InvalidEntry",
    });
  });
});

describe("archives", () => {
  test.runIf(haveUmoci)(
    "our OCI archive is read by skopeo, converted by it to a docker save archive, and both import to the same view",
    async () => {
      const { exportImageArchive, importImageArchive } = await import("@strata/oci");
      await fc.assert(
        fc.asyncProperty(genScenario, async ([layers, ops]) => {
          const engine = buildModel(layers);
          runOps(engine, ops);
          engine.execute({ type: "container.commit", container: "box", tag: "oracle:2" });
          const work = tmp();
          const ociArchive = join(work, "image.oci.tar");
          const result = await exportImageArchive(engine, "oracle:2", ociArchive);
          const inspect = JSON.parse(
            execFileSync("skopeo", ["inspect", `oci-archive:${ociArchive}:2`]).toString(),
          );
          expect(inspect.Layers).toEqual(result.layers.map((l) => l.digest));
          const dockerArchive = join(work, "image.docker.tar");
          execFileSync(
            "skopeo",
            ["copy", "-q", `oci-archive:${ociArchive}:2`, `docker-archive:${dockerArchive}:strata/oracle:2`],
            { stdio: "pipe" },
          );
          const fromOci = fresh();
          await importImageArchive(fromOci, ociArchive, { tag: "a:1" });
          const fromDocker = fresh();
          await importImageArchive(fromDocker, dockerArchive, { tag: "b:1" });
          const want = asLayersKeepIt(listMerged(engine, "oracle:2")).slice(1);
          expect(asLayersKeepIt(listMerged(fromOci, "a:1")).slice(1)).toEqual(want);
          expect(asLayersKeepIt(listMerged(fromDocker, "b:1")).slice(1)).toEqual(want);
        }),
        { numRuns: 10 },
      );
    },
    120_000,
  );

  test("an archive holding anything but layout files is refused before anything is imported", async () => {
    const { importImageArchive } = await import("@strata/oci");
    for (const bad of [
      file("../etc/passwd"),
      file("blobs/sha256/../../x"),
      { header: { name: "index.json", type: "symlink" as const, linkname: "/etc/shadow" } },
    ]) {
      const path = join(tmp(), "bad.tar");
      writeFileSync(path, await tarOf([bad]));
      const engine = fresh();
      await expect(importImageArchive(engine, path)).rejects.toBeInstanceOf(OciError);
      expect(engine.log.lastSeq).toBe(0);
    }
  });
});
