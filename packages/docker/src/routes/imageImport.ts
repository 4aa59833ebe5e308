/**
 * `docker import` (`POST /images/create?fromSrc=-`): a root filesystem tar (plain or gzip) sent in the
 * body becomes a one-layer image, as moby's ImportImage makes it: the config `changes` applied to an
 * empty one (`-c 'CMD ["sh"]'`), the comment `message` (or "Imported from -") in the config and its one
 * history entry, the host's platform, created now (the engine's clock), tagged `repo:tag` when given.
 * The upload is bounded and kept private, then read as an OCI layout through the hostile-safe importer,
 * so a layer that escapes, bombs or lies is refused whole and nothing of it is kept. A URL source is
 * refused: the server fetches nothing from the network.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { applyChanges, EMPTY_IMAGE_CONFIG } from "@strata/core";
import type { DurableEngine } from "@strata/engine";
import { DEFAULT_LIMITS, hostPlatform, importImage, MEDIA_TYPES, ociRuntimeConfig } from "@strata/oci";
import type { DockerRequest } from "../DockerRequest.js";
import { DockerApiError, dockerError } from "../shapes/errors.js";
import { familiarString, repoTagReference } from "../shapes/imageReference.js";
import { errorMessage, statusMessage } from "../shapes/jsonMessages.js";
import { receive } from "./imageArchives.js";

export async function importRootFilesystem(
  engine: DurableEngine,
  req: DockerRequest,
  res: ServerResponse,
  maxUploadBytes: number,
): Promise<void> {
  const src = req.string("fromSrc") ?? "";
  if (src !== "-")
    throw new DockerApiError(
      501,
      `strata fetches nothing from the network: send the archive in the request body (docker import FILE or -), not ${src}`,
    );
  const ref = repoTagReference(req.string("repo") ?? "", req.string("tag") ?? "");
  const message = req.string("message") || "Imported from -";
  const config = applyChanges(EMPTY_IMAGE_CONFIG, req.strings("changes"));
  const dir = mkdtempSync(join(tmpdir(), "strata-import-"));
  try {
    const upload = join(dir, "upload");
    await receive(req, res, maxUploadBytes, upload);
    const compression = compressionOf(upload);
    if (compression !== "none" && compression !== "gzip")
      throw new DockerApiError(
        400,
        `unsupported compression: ${compression} (strata reads plain and gzip tars)`,
      );
    const layerDigest = await sha256Of(createReadStream(upload));
    const diffId =
      compression === "gzip"
        ? await sha256Of(createReadStream(upload).pipe(createGunzip()), DEFAULT_LIMITS.maxLayerBytes)
        : layerDigest;
    const blobs = join(dir, "layout", "blobs", "sha256");
    mkdirSync(blobs, { recursive: true });
    renameSync(upload, join(blobs, layerDigest));
    const created = new Date(engine.clock.now()).toISOString();
    const platform = hostPlatform();
    const configJson = JSON.stringify({
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
      os: platform.os,
      created,
      comment: message,
      config: ociRuntimeConfig(config),
      rootfs: { type: "layers", diff_ids: [`sha256:${diffId}`] },
      history: [{ created, comment: message }],
    });
    const configDigest = putBlob(blobs, configJson);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: {
        mediaType: MEDIA_TYPES.config,
        digest: `sha256:${configDigest}`,
        size: Buffer.byteLength(configJson),
      },
      layers: [
        {
          mediaType: compression === "gzip" ? MEDIA_TYPES.layerTarGzip : MEDIA_TYPES.layerTar,
          digest: `sha256:${layerDigest}`,
          size: statSync(join(blobs, layerDigest)).size,
        },
      ],
    });
    const manifestDigest = putBlob(blobs, manifest);
    writeFileSync(join(dir, "layout", "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    writeFileSync(
      join(dir, "layout", "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.index,
        manifests: [
          {
            mediaType: MEDIA_TYPES.manifest,
            digest: `sha256:${manifestDigest}`,
            size: Buffer.byteLength(manifest),
          },
        ],
      }),
    );
    res.writeHead(200, { "Content-Type": "application/json" });
    try {
      const r = await importImage(engine, join(dir, "layout"), {
        existing: "tag",
        ...(ref ? { tag: familiarString(ref) } : {}),
      });
      res.write(statusMessage(r.images[0]?.imageId ?? ""));
    } catch (e) {
      res.write(errorMessage(dockerError(e).message.replaceAll(dir, "the archive")));
    }
    res.end();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function putBlob(blobs: string, text: string): string {
  const hex = createHash("sha256").update(text).digest("hex");
  writeFileSync(join(blobs, hex), text);
  return hex;
}

async function sha256Of(
  stream: AsyncIterable<Uint8Array>,
  limit = Number.POSITIVE_INFINITY,
): Promise<string> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit)
      throw new DockerApiError(400, `the layer is larger than ${limit} bytes once decompressed`);
    hash.update(chunk);
  }
  return hash.digest("hex");
}

/** What the upload's first bytes say it is (moby's DetectCompression). */
function compressionOf(file: string): "none" | "gzip" | "bzip2" | "xz" | "zstd" {
  const head = Buffer.alloc(6);
  const fd = openSync(file, "r");
  try {
    readSync(fd, head, 0, 6, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] === 0x1f && head[1] === 0x8b && head[2] === 0x08) return "gzip";
  if (head.subarray(0, 3).toString("latin1") === "BZh") return "bzip2";
  if (head.equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return "xz";
  if (head.readUInt32LE(0) === 0xfd2fb528) return "zstd";
  return "none";
}
