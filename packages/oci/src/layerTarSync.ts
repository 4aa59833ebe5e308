/**
 * A layer tree's tar, the same bytes layerTar.ts streams, encoded synchronously to hash it (its DiffID)
 * and, when asked, to record its tar layout (tarLayout.ts): what a commit needs to name its new layer
 * and its image while the engine decides, without an await. File contents are read from the blob store
 * many at a time (`getMany`) or one by one; a large file is read whole (the model's files are at most
 * 256 MiB).
 */
import { createHash } from "node:crypto";
import { BlobError, type BlobStore, type Tree } from "@strata/fs";
import { layerEntries } from "./layerTar.js";
import { END_OF_TAR, padding, type TarHeader, tarHeader } from "./tarHeader.js";
import { TarLayoutWriter } from "./tarLayout.js";

const BATCH_FILES = 2048;
const BATCH_BYTES = 4 * 1024 * 1024;
const HASH_PIECE_BYTES = 64 * 1024;
const EMPTY = new Uint8Array(0);

/** What {@link encodeLayerTar} answers: the tar's DiffID and size, and its layout when asked for. */
export interface EncodedLayerTar {
  readonly diffId: string;
  readonly size: number;
  readonly layout?: Buffer;
}

/**
 * Hashes the tar of `tree` (and records its layout with `layout: true`).
 *
 * @example
 * const { diffId, layout } = encodeLayerTar(commitLayer(lower, upper), blobs, { layout: true });
 */
export function encodeLayerTar(
  tree: Tree,
  blobs: BlobStore,
  options: { layout?: boolean } = {},
): EncodedLayerTar {
  const hash = createHash("sha256");
  const writer = options.layout ? new TarLayoutWriter() : undefined;
  let size = 0;
  // Hashed in pieces of about 64 KiB: an update per header and per padding costs more than the bytes.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const hashPending = () => {
    if (pendingBytes === 0) return;
    hash.update(pending.length === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  const bytesOf = (bytes: Uint8Array) => {
    size += bytes.length;
    if (bytes.length >= HASH_PIECE_BYTES) {
      hashPending();
      hash.update(bytes);
      return;
    }
    pending.push(bytes);
    pendingBytes += bytes.length;
    if (pendingBytes >= HASH_PIECE_BYTES) hashPending();
  };
  const raw = (bytes: Uint8Array) => {
    bytesOf(bytes);
    writer?.raw(bytes);
  };
  let batch: { header: TarHeader; digest?: string }[] = [];
  let batchBytes = 0;
  const flush = () => {
    const digests = batch.flatMap((e) => (e.digest === undefined ? [] : [e.digest]));
    const contents = digests.length > 1 ? blobs.getMany?.(digests) : undefined;
    for (const { header, digest } of batch) {
      const content = digest === undefined ? EMPTY : (contents?.get(digest) ?? blobs.get(digest));
      if (content === undefined) throw BlobError.missing(digest as string);
      // As layerTar.ts writes it: the size is the content's (empty for everything but files).
      for (const b of tarHeader({ ...header, size: content.byteLength })) raw(b);
      if (content.byteLength > 0) {
        bytesOf(content);
        writer?.file(digest as string, content.byteLength);
      }
      raw(padding(content.byteLength));
    }
    batch = [];
    batchBytes = 0;
  };
  for (const e of layerEntries(tree)) {
    batch.push({
      header: { ...e.header, mtime: e.header.mtime ?? new Date(0) } as TarHeader,
      ...(e.digest !== undefined ? { digest: e.digest } : {}),
    });
    batchBytes += e.header.size ?? 0;
    if (batch.length >= BATCH_FILES || batchBytes >= BATCH_BYTES) flush();
  }
  flush();
  raw(END_OF_TAR);
  hashPending();
  const diffId = `sha256:${hash.digest("hex")}`;
  return { diffId, size, ...(writer ? { layout: writer.finish(diffId, size) } : {}) };
}
