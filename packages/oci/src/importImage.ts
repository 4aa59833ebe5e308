/**
 * An OCI image layout (a directory) → events: each layer a `layer.create` (its id is its DiffID, so a
 * layer already known is not stored again), then an `image.create` whose id is the config's digest (the
 * OCI ImageID) with the layout's tag.
 *
 * Everything is checked before anything is appended: descriptors' digests and sizes against the bytes,
 * the config's `diff_ids` against the layers (their count and each uncompressed digest), media types,
 * a limit on each layer's uncompressed size, and every tar entry (see readLayerTar.ts). A refused
 * image appends nothing.
 */

import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, type Readable, Transform } from "node:stream";
import * as zlib from "node:zlib";
import { DIGEST_PATTERN, hexOf, sha256 } from "./digest.js";
import { ImageAssembler } from "./ImageAssembler.js";
import { MEDIA_TYPES, REF_NAME_ANNOTATION } from "./mediaTypes.js";
import type { OciEngine } from "./OciEngine.js";
import { OciError } from "./OciError.js";
import { importProgress, type ProgressListener } from "./Progress.js";

export interface ImportOptions {
  /** Which manifest of index.json (by its ref name annotation); default: the only one. */
  readonly ref?: string;
  /** The tag to give the image (default: `<ref name>` or none). */
  readonly tag?: string;
  /** Largest uncompressed layer accepted, bytes (default 4 GiB). */
  readonly maxLayerBytes?: number;
  /** Told as the layer blobs are read (bytes of the blobs as stored). */
  readonly onProgress?: ProgressListener;
}

export interface ImportResult {
  readonly imageId: string;
  readonly layerIds: readonly string[];
}

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

function blobPath(dir: string, d: Desc): string {
  if (typeof d.digest !== "string" || !DIGEST_PATTERN.test(d.digest)) {
    throw new OciError(
      "InvalidLayout",
      `descriptor digest ${JSON.stringify(d.digest)} is not sha256:<64 lowercase hex>`,
    );
  }
  if (!Number.isSafeInteger(d.size) || d.size < 0)
    throw new OciError("InvalidLayout", `descriptor ${d.digest} has an invalid size`);
  const p = join(dir, "blobs", "sha256", hexOf(d.digest));
  if (!existsSync(p)) throw new OciError("InvalidLayout", `blob ${d.digest} is missing`);
  const size = statSync(p).size;
  if (size !== d.size)
    throw new OciError("SizeMismatch", `blob ${d.digest} is ${size} bytes, its descriptor says ${d.size}`);
  return p;
}

function readJsonBlob(dir: string, d: Desc): Record<string, unknown> {
  const bytes = readFileSync(blobPath(dir, d));
  if (sha256(bytes) !== d.digest)
    throw new OciError("DigestMismatch", `blob ${d.digest} does not hash to its digest`);
  try {
    return JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new OciError("InvalidLayout", `blob ${d.digest} is not JSON`);
  }
}

/** A transform that hashes and counts, and fails past `limit` bytes. */
function hashing(limit: number, onLimit: () => OciError) {
  const hash = createHash("sha256");
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _e, done) {
      size += chunk.length;
      if (size > limit) return done(onLimit());
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ digest: `sha256:${hash.digest("hex")}`, size }) };
}

function decompressor(mediaType: string, layer: string): Transform {
  switch (mediaType) {
    case MEDIA_TYPES.layerTar:
    case "application/vnd.oci.image.layer.nondistributable.v1.tar":
      return new PassThrough();
    case MEDIA_TYPES.layerTarGzip:
    case "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip":
    case "application/vnd.docker.image.rootfs.diff.tar.gzip":
      return zlib.createGunzip();
    case MEDIA_TYPES.layerTarZstd: {
      const make = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
      if (!make) {
        throw new OciError(
          "UnsupportedMediaType",
          `zstd layers need Node >= 22.15 (this is ${process.version})`,
          { layer },
        );
      }
      return make();
    }
    default:
      throw new OciError("UnsupportedMediaType", `layer media type ${mediaType} is not supported`, { layer });
  }
}

/**
 * Imports the image of the layout in `dir` into `engine`.
 *
 * @example
 * const { imageId } = await importImage(engine, "out/web", { tag: "web:imported" });
 */
export async function importImage(
  engine: OciEngine,
  dir: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const limit = options.maxLayerBytes ?? 4 * 1024 ** 3;
  let layoutVersion: unknown;
  try {
    layoutVersion = (
      JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8")) as { imageLayoutVersion?: unknown }
    ).imageLayoutVersion;
  } catch {
    throw new OciError("InvalidLayout", `${dir} has no readable oci-layout file`);
  }
  if (layoutVersion !== "1.0.0")
    throw new OciError("InvalidLayout", `unsupported imageLayoutVersion ${JSON.stringify(layoutVersion)}`);
  let index: { manifests?: Desc[] };
  try {
    index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
  } catch {
    throw new OciError("InvalidLayout", `${dir}/index.json is missing or not JSON`);
  }
  const manifests = (index.manifests ?? []).filter((m) => m.mediaType === MEDIA_TYPES.manifest);
  const chosen =
    options.ref === undefined
      ? manifests
      : manifests.filter((m) => m.annotations?.[REF_NAME_ANNOTATION] === options.ref);
  if (chosen.length !== 1) {
    throw new OciError(
      "InvalidLayout",
      options.ref === undefined
        ? `index.json has ${manifests.length} image manifests; name one with ref`
        : `no manifest named ${options.ref}`,
    );
  }
  const manifestDesc = chosen[0] as Desc;
  const manifest = readJsonBlob(dir, manifestDesc) as {
    config?: Desc;
    layers?: Desc[];
    schemaVersion?: number;
  };
  if (manifest.schemaVersion !== 2 || !manifest.config || !Array.isArray(manifest.layers)) {
    throw new OciError("InvalidLayout", `manifest ${manifestDesc.digest} is not an OCI image manifest`);
  }
  const config = readJsonBlob(dir, manifest.config) as {
    rootfs?: { type?: string; diff_ids?: string[] };
    config?: { Cmd?: string[] };
  };
  const diffIds = config.rootfs?.diff_ids;
  if (config.rootfs?.type !== "layers" || !Array.isArray(diffIds))
    throw new OciError("InvalidLayout", "config rootfs must be of type layers with diff_ids");
  if (diffIds.length !== manifest.layers.length) {
    throw new OciError(
      "InvalidLayout",
      `config has ${diffIds.length} diff_ids for ${manifest.layers.length} layers`,
    );
  }

  // Read and check every layer before appending anything.
  const assembler = new ImageAssembler(engine);
  const sizeOf = (d: Desc) => (Number.isSafeInteger(d.size) ? d.size : 0);
  const progress = importProgress(
    options.onProgress,
    manifest.layers.reduce((n, d) => n + sizeOf(d), 0),
  );
  for (const [i, d] of manifest.layers.entries()) {
    const diffId = diffIds[i] as string;
    if (assembler.known(diffId, i)) {
      progress.skip(sizeOf(d));
      continue;
    }
    const path = blobPath(dir, d);
    const compressed = hashing(
      Number.POSITIVE_INFINITY,
      () => new OciError("TooLarge", "", { layer: d.digest }),
    );
    const uncompressed = hashing(
      limit,
      () => new OciError("TooLarge", `layer is larger than ${limit} bytes uncompressed`, { layer: d.digest }),
    );
    const file: Readable = createReadStream(path);
    const unpack = decompressor(d.mediaType, d.digest);
    const onError = (e: unknown) =>
      uncompressed.stream.destroy(
        e instanceof OciError
          ? e
          : new OciError("InvalidTar", `cannot decompress: ${(e as Error).message}`, { layer: d.digest }),
      );
    file.on("error", onError);
    progress.watch(file);
    compressed.stream.on("error", onError);
    unpack.on("error", onError);
    file.pipe(compressed.stream).pipe(unpack).pipe(uncompressed.stream);
    await assembler.add(diffId, uncompressed.stream, d.digest);
    const c = compressed.result();
    if (c.digest !== d.digest)
      throw new OciError("DigestMismatch", `the blob hashes to ${c.digest}`, { layer: d.digest });
    const u = uncompressed.result();
    if (u.digest !== diffId) {
      throw new OciError(
        "DigestMismatch",
        `the uncompressed layer hashes to ${u.digest}, not its diff_id ${diffId}`,
        {
          layer: d.digest,
        },
      );
    }
  }

  const imageId = manifest.config.digest;
  const refName = manifestDesc.annotations?.[REF_NAME_ANNOTATION];
  const tag = options.tag ?? (refName ? `imported:${refName}` : undefined);
  return assembler.append(imageId, tag, config.config?.Cmd);
}
