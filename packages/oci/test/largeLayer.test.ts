/**
 * Streams: a layer holding one 256 MiB file imports and exports through a disk blob store without
 * the process holding the file in memory (peak heap + buffers stay far below the file's size).
 */
import { createHash } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, DiskBlobStore } from "@strata/fs";
import { exportImage, hexOf, importImage, MEDIA_TYPES, sha256 } from "@strata/oci";
import tar from "tar-stream";
import { afterAll, expect, test } from "vitest";

const SIZE = 256 * 1024 * 1024;
const work = mkdtempSync(join(tmpdir(), "strata-large-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs `f` while sampling memory; returns the peak growth of heap + array buffers, in bytes. */
async function peakGrowth(f: () => Promise<unknown>): Promise<number> {
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const base = used();
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, used());
  }, 5);
  try {
    await f();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, used()) - base;
}

async function fileSha(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return `sha256:${h.digest("hex")}`;
}

test("a 256 MiB file streams in and out of a disk blob store", async () => {
  // The layer tar, written as a stream.
  const layout = join(work, "layout");
  mkdirSync(join(layout, "blobs", "sha256"), { recursive: true });
  const tarPath = join(work, "layer.tar");
  const pack = tar.pack();
  const written = pipeline(pack as unknown as NodeJS.ReadableStream, createWriteStream(tarPath));
  await new Promise<void>((resolve, reject) => {
    const sink = pack.entry({ name: "big.bin", size: SIZE, mode: 0o644 }, (e?: Error | null) =>
      e ? reject(e) : resolve(),
    );
    const chunk = Buffer.alloc(1024 * 1024, 7);
    (async () => {
      for (let i = 0; i < SIZE / chunk.length; i++)
        if (!sink.write(chunk)) await new Promise<void>((r) => sink.once("drain", () => r()));
      sink.end(undefined);
    })().catch(reject);
  });
  pack.finalize();
  await written;
  const diffId = await fileSha(tarPath);
  renameSync(tarPath, join(layout, "blobs", "sha256", hexOf(diffId)));
  const put = (bytes: Buffer) => {
    const d = sha256(bytes);
    writeFileSync(join(layout, "blobs", "sha256", hexOf(d)), bytes);
    return { digest: d, size: bytes.length };
  };
  const config = put(
    Buffer.from(
      JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [diffId] } }),
    ),
  );
  const layerSize = statSync(join(layout, "blobs", "sha256", hexOf(diffId))).size;
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.manifest,
        config: { mediaType: MEDIA_TYPES.config, ...config },
        layers: [{ mediaType: MEDIA_TYPES.layerTar, digest: diffId, size: layerSize }],
      }),
    ),
  );
  writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(layout, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MEDIA_TYPES.manifest, ...manifest }] }),
  );

  const engine = createFsEngine({
    clock: simulatedClock(),
    ids: sequentialIds("large"),
    blobs: new DiskBlobStore(join(work, "blobs")),
  });
  const importGrowth = await peakGrowth(() => importImage(engine, layout, { tag: "big:1" }));
  expect(engine.view("big:1").stat("/big.bin")).toMatchObject({ size: SIZE });
  const out = join(work, "out");
  const exportGrowth = await peakGrowth(() => exportImage(engine, "big:1", out, { compression: "none" }));
  expect(importGrowth, `import grew memory by ${Math.round(importGrowth / 2 ** 20)} MiB`).toBeLessThan(
    SIZE / 2,
  );
  expect(exportGrowth, `export grew memory by ${Math.round(exportGrowth / 2 ** 20)} MiB`).toBeLessThan(
    SIZE / 2,
  );
}, 120_000);
