/**
 * Decompression bombs stay under a fixed memory ceiling on every import path (issue 18, item 3). Each
 * import runs in a child process of its own (the built packages), with the default limits, and reports
 * its peak resident memory (`process.resourceUsage().maxRSS`); nothing here is timed. The bombs:
 *
 * - 2 MiB of gzip that inflate to a 2 GiB file, into an engine that keeps contents in memory (the
 *   default of docs/api.md), as an OCI layout, an OCI archive and a docker save archive: refused with
 *   `TooLarge` naming the layer (the memory limit); without limits this grew past 4 GiB;
 * - the same kind inflating to 1 GiB through the CLI (a disk blob store, which streams it): read to its
 *   end without holding it, then refused (its diff_id is wrong), and nothing of it stays on disk;
 * - a layer of more tar entries than the default limit: refused with `TooLarge` at the limit;
 * - extended attributes (PAX `SCHILY.xattr.*` records, kept by the engine for every entry it accepts):
 *   3 layers of 700 entries, each with a 64 KiB value (the most Linux holds), on every path, CLI
 *   included: refused at `maxHeaderBytes` in layer 3 (the audit of issue 18 saw 2 GB for 1500 entries of
 *   1 MB values, and through the CLI a store error, "event … over 64 MiB"); values of 1 MB: refused at the
 *   first (XATTR_SIZE_MAX); a global header whose attributes every entry carries: refused when the layer's
 *   event would be more than the log holds; and the largest layer event allowed is stored by the CLI's log.
 */

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DEFAULT_LIMITS, MAX_LAYER_EVENT_BYTES, sha256 } from "@strata/oci";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import {
  dockerArchive,
  file,
  fileHeader,
  ociArchive,
  rawTar,
  type TestImage,
  type TestLayer,
  writeLayout,
} from "./support/images.js";

const tmp = tempDirs("strata-oci-bomb-");
/** The ceiling: generous (the bombs inflate to GiBs; a correct import holds at most its limits). */
const CEILING_BYTES = 1024 * 1024 * 1024;
const dist = (pkg: string, file = "index.js") =>
  new URL(`../../${pkg}/dist/${file}`, import.meta.url).pathname;
const built = existsSync(dist("oci")) && existsSync(dist("cli", "main.js"));
if (!built && process.env.CI === "true")
  throw new Error("the bomb tests need the built packages (pnpm build)");

/** gzip members (a gzip stream may hold several) inflating to one tar of one `size`-byte file of zeros. */
function bytesBomb(size: number): Buffer {
  const chunk = 16 * 1024 * 1024;
  const zeros = gzipSync(Buffer.alloc(chunk), { level: 9 });
  const parts = [gzipSync(fileHeader("zeros", size))];
  for (let n = 0; n < size; n += chunk)
    parts.push(n + chunk <= size ? zeros : gzipSync(Buffer.alloc(size - n)));
  parts.push(gzipSync(Buffer.alloc(((512 - (size % 512)) % 512) + 1024)));
  return Buffer.concat(parts);
}

/**
 * gzip members inflating to `count` files of 4 MiB each, all different (each starts with its own 512
 * bytes, then zeros): a store that keeps contents in memory cannot share them.
 */
function filesBomb(count: number): Buffer {
  const size = 4 * 1024 * 1024;
  const zeros = gzipSync(Buffer.alloc(size - 512), { level: 9 });
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const head = Buffer.alloc(512, i % 251);
    head.writeUInt32BE(i, 0);
    parts.push(gzipSync(Buffer.concat([fileHeader(`f${i}`, size), head])), zeros);
  }
  parts.push(gzipSync(Buffer.alloc(1024)));
  return Buffer.concat(parts);
}

/** A tar of `count` empty files with distinct names, gzipped. */
function entriesBomb(count: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; i < count; i++) blocks.push(fileHeader(`d${Math.floor(i / 1000)}/f${i}`, 0));
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks), { level: 1 });
}

/**
 * `layers` layers of `count` empty files, each with one extended attribute of `valueBytes` (a PAX
 * record; a global one before the first entry instead when `global` is given: that many attributes
 * every entry carries), as gzip members: a few KiB per layer. Their diff_ids are right.
 */
function xattrBomb(layers: number, count: number, valueBytes: number, global = 0): TestLayer[] {
  const value = Buffer.alloc(valueBytes, 0x61);
  const out: TestLayer[] = [];
  for (let l = 0; l < layers; l++) {
    const hash = createHash("sha256");
    const parts: Buffer[] = [];
    const add = (tar: Buffer, gz = gzipSync(tar)) => {
      hash.update(tar);
      parts.push(gz);
    };
    // The PAX header and its record are the same for every entry: compressed once.
    const withPax = rawTar([file("x", "", { pax: [["SCHILY.xattr.user.a", value]] })], false);
    const pax = withPax.subarray(0, withPax.length - 512);
    const paxGz = gzipSync(pax);
    for (let i = 0; i < count; i++) {
      if (global > 0 && i === 0) {
        const records = Array.from({ length: global }, (_, k) => [`SCHILY.xattr.user.g${k}`, value] as const);
        add(rawTar([file(`l${l}/f0`, "", { globalPax: records })], false));
        continue;
      }
      if (global === 0) add(pax, paxGz);
      add(rawTar([file(`l${l}/f${i}`, "")], false));
    }
    add(Buffer.alloc(1024));
    out.push({
      tar: Buffer.alloc(0),
      blob: Buffer.concat(parts),
      gzip: true,
      diffId: `sha256:${hash.digest("hex")}`,
    });
  }
  return out;
}

const imageOf = (blob: Buffer): TestImage => ({
  layers: [{ tar: Buffer.alloc(0), blob, gzip: true, diffId: sha256("not the layer's digest") }],
  refName: "bomb",
});

type Way = "layout" | "oci-archive" | "docker-archive" | "cli";

/** Where the image goes for `way`: a layout directory or an archive file. */
function place(way: Way, image: TestImage): string {
  const work = tmp();
  if (way === "layout" || way === "cli") {
    writeLayout(join(work, "layout"), [image]);
    return join(work, "layout");
  }
  const file = join(work, "image.tar");
  writeFileSync(
    file,
    way === "oci-archive" ? ociArchive([image], {}, join(work, "scratch")) : dockerArchive(image),
  );
  return file;
}

/** Imports `target` in a child process; its outcome and peak RSS. */
function importInChild(
  way: Way,
  target: string,
  log: string,
): { code?: string; message?: string; exit?: number; maxRSS: number } {
  const script = `
    const { sequentialIds, simulatedClock } = await import(${JSON.stringify(dist("core"))});
    const { createFsEngine } = await import(${JSON.stringify(dist("fs"))});
    const { importImage, importImageArchive } = await import(${JSON.stringify(dist("oci"))});
    const { main } = await import(${JSON.stringify(dist("cli", "main.js"))});
    const way = ${JSON.stringify(way)};
    const target = ${JSON.stringify(target)};
    let out = {};
    try {
      if (way === "cli") {
        const err = [];
        const io = { out: () => {}, err: (s) => err.push(s), tty: false, errTty: false, now: () => 0 };
        const code = await main(["oci", "import", target, "--log", ${JSON.stringify(log)}], io);
        out = { exit: code, message: err.join("") };
      } else {
        const engine = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("b") });
        const run = way === "layout" ? importImage : importImageArchive;
        await run(engine, target);
        out = { imported: true };
      }
    } catch (e) {
      out = { code: e.code, message: e.message };
    }
    out.maxRSS = process.resourceUsage().maxRSS * 1024;
    process.stdout.write(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`the child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe.runIf(built)("bombs stay under a fixed memory ceiling on every import path", () => {
  const oneFile = bytesBomb(2 * 1024 ** 3);
  const manyFiles = filesBomb(512);
  test("each 2 GiB bomb is 2 MiB or so of gzip", () => {
    expect(oneFile.length).toBeLessThan(4 * 1024 * 1024);
    expect(manyFiles.length).toBeLessThan(4 * 1024 * 1024);
  });
  for (const way of ["layout", "oci-archive", "docker-archive"] as const) {
    test(`${way}: a 2 GiB file into an engine that keeps contents in memory is refused from its header`, () => {
      const r = importInChild(way, place(way, imageOf(oneFile)), "");
      expect(r.code, r.message).toBe("TooLarge");
      expect(r.message).toMatch(/^layer 1 \(sha256:[0-9a-f]{64}\), tar entry 1 "zeros": .*maxMemoryBytes/);
      expect(r.maxRSS).toBeLessThan(CEILING_BYTES);
    });
  }
  test("layout: 512 different files of 4 MiB are read and held up to the memory limit, then refused", () => {
    // The reading after the source is the same for every path (layerStream.ts, readLayerTar.ts).
    const r = importInChild("layout", place("layout", imageOf(manyFiles)), "");
    expect(r.code, r.message).toBe("TooLarge");
    expect(r.message).toMatch(/^layer 1 \(sha256:[0-9a-f]{64}\), tar entry 12\d "f12\d": .*maxMemoryBytes/);
    expect(r.maxRSS).toBeLessThan(CEILING_BYTES);
  });
  test("cli: a 1 GiB bomb streams through the disk blob store under the ceiling, and nothing of it stays", () => {
    const log = join(tmp(), "log");
    const r = importInChild("cli", place("cli", imageOf(bytesBomb(1024 ** 3))), log);
    expect(r.message).toMatch(/^Error: layer 1 \(sha256:[0-9a-f]{64}\): the uncompressed layer hashes to/);
    expect(r.maxRSS).toBeLessThan(CEILING_BYTES);
    const blobs = join(log, "blobs", "sha256");
    expect(existsSync(blobs) ? readdirSync(blobs) : []).toEqual([]);
  });
  describe("extended attributes", () => {
    const threeLayers = { layers: xattrBomb(3, 700, 65_536), refName: "bomb" };
    test("the bomb is a few KiB of gzip per layer", () => {
      for (const l of threeLayers.layers) expect(l.blob?.length).toBeLessThan(256 * 1024);
    });
    for (const way of ["layout", "oci-archive", "docker-archive", "cli"] as const) {
      test(`${way}: 3 layers of 700 entries with 64 KiB attributes are refused at maxHeaderBytes, under the ceiling`, () => {
        const log = join(tmp(), "log");
        const r = importInChild(way, place(way, threeLayers), log);
        const where =
          /layer 3 \(sha256:[0-9a-f]{64}\), tar entry \d+ "l2\/f\d+": the image's tar entries carry more than 134217728 bytes of extended headers/;
        if (way === "cli") {
          expect(r.exit, r.message).toBe(1);
          expect(r.message).toMatch(new RegExp(`^Error: ${where.source}`));
          const blobs = join(log, "blobs", "sha256");
          expect(existsSync(blobs) ? readdirSync(blobs) : []).toEqual([]);
        } else {
          expect(r.code, r.message).toBe("TooLarge");
          expect(r.message).toMatch(new RegExp(`^${where.source}`));
        }
        expect(r.maxRSS).toBeLessThan(CEILING_BYTES);
      });
    }
    for (const way of ["layout", "cli"] as const) {
      test(`${way}: 1500 entries with 1 MB attributes (the audit's) are refused at the first: over XATTR_SIZE_MAX`, () => {
        const r = importInChild(
          way,
          place(way, { layers: xattrBomb(1, 1500, 1_000_000), refName: "bomb" }),
          join(tmp(), "log"),
        );
        expect(r.message).toMatch(
          /layer 1 \(sha256:[0-9a-f]{64}\), tar entry 1 "l0\/f0": its extended attribute user\.a holds 1000000 bytes, more than Linux holds in one \(65536/,
        );
        if (way !== "cli") expect(r.code).toBe("InvalidEntry");
        expect(r.maxRSS).toBeLessThan(CEILING_BYTES);
      });
    }
    test("layout: a global header of 15 attributes of 64 KiB that 20,000 entries carry is refused when the layer's event would not fit the log", () => {
      const r = importInChild(
        "layout",
        place("layout", { layers: xattrBomb(1, 20_000, 65_000, 15), refName: "bomb" }),
        "",
      );
      expect(r.code, r.message).toBe("TooLarge");
      expect(r.message).toContain(
        `more than ${MAX_LAYER_EVENT_BYTES} bytes, more than the log holds in one event`,
      );
      expect(r.maxRSS).toBeLessThan(CEILING_BYTES);
    });
    test("cli: the largest layer event an import allows is stored by the event log", async () => {
      const { MAX_EVENT_BYTES } = await import(dist("store"));
      // Room for the record's stream id, type and keys beside the event's data.
      expect(MAX_LAYER_EVENT_BYTES + 64 * 1024).toBeLessThanOrEqual(MAX_EVENT_BYTES);
      // 740 entries of 64 KiB attributes: an event of about 62 MiB.
      const log = join(tmp(), "log");
      const r = importInChild(
        "cli",
        place("cli", { layers: xattrBomb(1, 740, 65_536), refName: "bomb" }),
        log,
      );
      expect(r.exit, r.message).toBe(0);
      expect(r.maxRSS).toBeLessThan(CEILING_BYTES);
    });
  });
  test("layout: a layer of more entries than the default limit is refused at the limit, under the ceiling", () => {
    const r = importInChild(
      "layout",
      place("layout", imageOf(entriesBomb(DEFAULT_LIMITS.maxEntries + 1000))),
      "",
    );
    expect(r.code, r.message).toBe("TooLarge");
    expect(r.message).toContain(`more than ${DEFAULT_LIMITS.maxEntries} tar entries`);
    expect(r.maxRSS).toBeLessThan(CEILING_BYTES);
  });
});
