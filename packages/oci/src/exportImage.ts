/**
 * An image (or a container, as if committed) → an OCI image layout directory: `oci-layout`,
 * `index.json`, a manifest, a config (its `config` from the image's: Env, Entrypoint, Cmd, Labels…;
 * `rootfs.diff_ids`; the image's `history` with `empty_layer`) and
 * `blobs/sha256/`. Layers are streamed: tar → sha256 (the DiffID) → gzip (optional) → sha256 (the blob
 * digest) → a temporary file renamed to its digest. Exporting the same image twice gives
 * byte-identical blobs: every byte comes from the log (times from the injected clock, no host state).
 */

import { createHash } from "node:crypto";
import { createWriteStream, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import {
  containerImageConfig,
  findContainer,
  findImage,
  type ImageConfig,
  NotFoundError,
} from "@strata/core";
import { commitLayer, emptyTree, IMPLIED_DIR, isEmptyLayer, type Tree } from "@strata/fs";
import { chainIds, hexOf, sha256 } from "./digest.js";
import { layerTarStream } from "./layerTar.js";
import { MEDIA_TYPES, REF_NAME_ANNOTATION } from "./mediaTypes.js";
import type { OciEngine } from "./OciEngine.js";
import { type OciHistory, ociHistory, ociRuntimeConfig } from "./ociConfig.js";
import type { ProgressListener } from "./Progress.js";

export interface ExportOptions {
  /** `gzip` (default) or `none` (plain tar layers). */
  readonly compression?: "gzip" | "none";
  /** Tags to write as `org.opencontainers.image.ref.name` (default: the image's tags, or `latest`). */
  readonly tags?: readonly string[];
  /** Told after each layer is written. */
  readonly onProgress?: ProgressListener;
}

/** A blob written to the layout. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export interface ExportResult {
  readonly manifest: Descriptor;
  readonly config: Descriptor;
  readonly layers: readonly (Descriptor & { readonly diffId: string })[];
  readonly chainId: string | null;
}

/** Counts and hashes what flows through. */
function meter(): { stream: Transform; digest: () => string; size: () => number } {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  let digest: string | undefined;
  return { stream, digest: () => (digest ??= `sha256:${hash.digest("hex")}`), size: () => size };
}

function writeBlob(dir: string, bytes: Buffer, mediaType: string): Descriptor {
  const digest = sha256(bytes);
  writeFileSync(join(dir, "blobs", "sha256", hexOf(digest)), bytes);
  return { mediaType, digest, size: bytes.length };
}

async function writeLayer(
  dir: string,
  tree: Tree,
  engine: OciEngine,
  compression: "gzip" | "none",
  index: number,
) {
  const tmp = join(dir, "blobs", "sha256", `.layer-${index}.tmp`);
  const uncompressed = meter();
  // Uncompressed, the stored blob is the tar itself: one hash gives both its digest and its diff_id.
  const stored = compression === "gzip" ? meter() : uncompressed;
  await pipeline(
    layerTarStream(tree, engine.blobs),
    uncompressed.stream,
    ...(compression === "gzip" ? [createGzip({ level: 6 }), stored.stream] : []),
    createWriteStream(tmp),
  );
  const digest = stored.digest();
  renameSync(tmp, join(dir, "blobs", "sha256", hexOf(digest)));
  return {
    mediaType: compression === "gzip" ? MEDIA_TYPES.layerTarGzip : MEDIA_TYPES.layerTar,
    digest,
    size: stored.size(),
    diffId: uncompressed.digest(),
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");

/**
 * Writes `ref` (an image tag or id, or a container, exported as if committed) as an OCI layout in
 * `dir` (created; existing blobs are reused).
 *
 * @example
 * await exportImage(engine, "web:1", "out/web");   // then: umoci unpack --image out/web:web-1 bundle
 */
export async function exportImage(
  engine: OciEngine,
  ref: string,
  dir: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const compression = options.compression ?? "gzip";
  const core = engine.state;
  const fs = engine.projected;
  let trees: Tree[];
  let history: OciHistory[];
  let imageConfig: ImageConfig;
  let author = "";
  let created: number;
  let tags: readonly string[];
  const image = findImage(core, ref);
  const container = image ? undefined : findContainer(core, ref);
  if (image) {
    const record = image.image;
    const layerIds = fs.images.get(record.id)?.layerIds ?? record.layers.map((l) => l.id);
    trees = layerIds.map((id) => fs.layers.get(id) ?? emptyTree(IMPLIED_DIR));
    // The image's own history (a commit of an unchanged container has an empty-layer entry).
    history = ociHistory(record.history);
    imageConfig = record.config;
    author = record.author;
    created = record.createdAt;
    tags = options.tags ?? record.tags;
  } else if (container) {
    const c = fs.containers.get(container.context.id);
    const base = core.images[container.context.imageId];
    if (!c || !base) throw new NotFoundError("no-rw-layer", `container ${ref} has no read-write layer`);
    const baseIds = fs.images.get(base.id)?.layerIds ?? [];
    const top = commitLayer(c.lower, c.upper);
    trees = [
      ...baseIds.map((id) => fs.layers.get(id) ?? emptyTree(IMPLIED_DIR)),
      ...(isEmptyLayer(top) ? [] : [top]),
    ];
    history = ociHistory([
      ...base.history,
      {
        created: engine.clock.now(),
        createdBy: container.context.config.cmd.join(" "),
        comment: "",
        author: "",
        emptyLayer: isEmptyLayer(top),
      },
    ]);
    imageConfig = containerImageConfig(container.context.config);
    created = engine.clock.now();
    tags = options.tags ?? [];
  } else {
    throw new NotFoundError("no-such-image", `No such image or container: ${ref}`);
  }

  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const layers = [];
  const report = (done: number) =>
    options.onProgress?.({ task: "export", unit: "layers", done, total: trees.length });
  report(0);
  for (const [i, tree] of trees.entries()) {
    layers.push(await writeLayer(dir, tree, engine, compression, i));
    report(i + 1);
  }
  const diffIds = layers.map((l) => l.diffId);
  const configJson = {
    created: iso(created),
    ...(author !== "" ? { author } : {}),
    architecture: "amd64",
    os: "linux",
    config: ociRuntimeConfig(imageConfig),
    rootfs: { type: "layers", diff_ids: diffIds },
    history,
  };
  const config = writeBlob(dir, Buffer.from(JSON.stringify(configJson)), MEDIA_TYPES.config);
  const manifestJson = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config,
    layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
  };
  const manifest = writeBlob(dir, Buffer.from(JSON.stringify(manifestJson)), MEDIA_TYPES.manifest);
  const refNames = tags.length > 0 ? tags.map((t) => t.slice(t.lastIndexOf(":") + 1)) : ["latest"];
  const indexJson = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [...new Set(refNames)]
      .sort()
      .map((name) => ({ ...manifest, annotations: { [REF_NAME_ANNOTATION]: name } })),
  };
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(dir, "index.json"), JSON.stringify(indexJson));
  rmSync(join(dir, "blobs", "sha256", ".tmp"), { force: true });
  return { manifest, config, layers, chainId: chainIds(diffIds).at(-1) ?? null };
}
