/**
 * A layer blob → its uncompressed tar, streamed: the blob is hashed as it is read (its digest), then
 * inflated (gzip, or zstd where Node has it), then counted and hashed again (the DiffID); a blob that
 * is not compressed is hashed once (its digest is its DiffID). The inflated
 * bytes are counted against the limit as they come out: a decompression bomb stops at the limit with
 * a `TooLarge`, having held no more than a chunk in memory.
 */
import { createHash } from "node:crypto";
import { pipeline, type Readable, Transform } from "node:stream";
import * as zlib from "node:zlib";
import { MEDIA_TYPES } from "./mediaTypes.js";
import { OciError } from "./OciError.js";

export type Compression = "none" | "gzip" | "zstd";

/** The compression a layer media type says, or an UnsupportedMediaType. */
export function compressionOf(mediaType: string): Compression {
  switch (mediaType) {
    case MEDIA_TYPES.layerTar:
    case "application/vnd.oci.image.layer.nondistributable.v1.tar":
    case "application/vnd.docker.image.rootfs.diff.tar":
      return "none";
    case MEDIA_TYPES.layerTarGzip:
    case "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip":
    case "application/vnd.docker.image.rootfs.diff.tar.gzip":
      return "gzip";
    case MEDIA_TYPES.layerTarZstd:
      return "zstd";
    default:
      throw new OciError("UnsupportedMediaType", `layer media type ${mediaType} is not supported`);
  }
}

/** The compression a blob's first bytes show (docker archives do not say). */
export function sniffCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}

function decompressor(compression: Exclude<Compression, "none">): Transform {
  // Large output chunks: a small one per 16 KiB costs more in stream overhead than the inflating.
  if (compression === "gzip") return zlib.createGunzip({ chunkSize: 256 * 1024 });
  const make = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
  if (!make)
    throw new OciError("UnsupportedMediaType", `zstd layers need Node >= 22.15 (this is ${process.version})`);
  return make();
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
  let digest: string | undefined;
  return {
    stream,
    result: () => {
      digest ??= `sha256:${hash.digest("hex")}`;
      return { digest, size };
    },
  };
}

export interface LayerStream {
  /** The uncompressed tar. */
  readonly tar: Readable;
  /** Digest and size of the blob as stored (once `tar` was read to its end). */
  compressed(): { digest: string; size: number };
  /** Digest (the DiffID) and size of the uncompressed tar. */
  uncompressed(): { digest: string; size: number };
}

/** Opens a layer blob as its uncompressed tar, limited to `maxBytes` inflated bytes. */
export function openLayerStream(blob: Readable, compression: Compression, maxBytes: number): LayerStream {
  const compressed = hashing(Number.POSITIVE_INFINITY, () => new OciError("TooLarge", ""));
  const uncompressed = hashing(maxBytes, () => tooLarge(maxBytes));
  // Uncompressed, the blob is the tar: one hash gives both its digest and its DiffID.
  if (compression === "none") {
    pipeline(blob, uncompressed.stream, () => {});
    return { tar: uncompressed.stream, compressed: uncompressed.result, uncompressed: uncompressed.result };
  }
  pipeline(blob, compressed.stream, decompressor(compression), uncompressed.stream, () => {});
  return { tar: uncompressed.stream, compressed: compressed.result, uncompressed: uncompressed.result };
}

/**
 * An uncompressed layer read synchronously in chunks: the chunks as they come, hashed and counted, and
 * refused past `maxBytes` (a `TooLarge` as the stream's). Its digest is its DiffID.
 */
export function hashedChunks(
  chunks: Iterable<Buffer>,
  maxBytes: number,
): { tar: Iterable<Buffer>; result(): { digest: string; size: number } } {
  const hash = createHash("sha256");
  let size = 0;
  let digest: string | undefined;
  return {
    tar: (function* () {
      for (const chunk of chunks) {
        size += chunk.length;
        if (size > maxBytes) throw tooLarge(maxBytes);
        hash.update(chunk);
        yield chunk;
      }
    })(),
    result: () => {
      digest ??= `sha256:${hash.digest("hex")}`;
      return { digest, size };
    },
  };
}

const tooLarge = (maxBytes: number) =>
  new OciError(
    "TooLarge",
    `the layer inflates to more than ${maxBytes} bytes (the limit, maxLayerBytes): refused as it was read`,
  );
