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
 * - a layer of more tar entries than the default limit: refused with `TooLarge` at the limit.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DEFAULT_LIMITS, sha256 } from "@strata/oci";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { dockerArchive, fileHeader, ociArchive, type TestImage, writeLayout } from "./support/images.js";

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
): { code?: string; message?: string; maxRSS: number } {
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
        const code = await main(["import", target, "--log", ${JSON.stringify(log)}], io);
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
