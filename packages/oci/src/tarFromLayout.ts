/**
 * A layer's tar rebuilt from its tar layout (tarLayout.ts) and the file contents in the blob store, byte
 * for byte the tar it was read from: in chunks of about 1 MiB, small files read from the store many at a
 * time (`getMany`), large ones streamed from it when it can, as layerTar.ts writes a tar afresh. The
 * caller checks the bytes against the layout's DiffID (an export writes the tar afresh if they differ).
 */
import { BlobError, type BlobStore } from "@strata/fs";
import { BATCH_BYTES, BATCH_FILES, ChunkBuffer } from "./ChunkBuffer.js";
import { STREAM_ABOVE_BYTES } from "./layerTar.js";
import { readTarLayout, type TarLayoutRecord } from "./tarLayout.js";

/** The tar a layout describes, in chunks (a layout that does not read as one: a TarLayoutError). */
export async function* tarFromLayout(layout: Uint8Array, blobs: BlobStore): AsyncGenerator<Buffer> {
  const out = new ChunkBuffer();
  /** Records whose file contents are read together. */
  let batch: TarLayoutRecord[] = [];
  let batchBytes = 0;
  function* flushBatch(): Generator<Buffer> {
    const digests = batch.flatMap((r) => (r.digest === undefined ? [] : [r.digest]));
    const contents = digests.length > 1 ? blobs.getMany?.(digests) : undefined;
    for (const r of batch) {
      if (r.raw !== undefined) out.push(r.raw);
      else {
        const content = contents?.get(r.digest) ?? blobs.get(r.digest);
        if (content === undefined) throw BlobError.missing(r.digest);
        if (content.byteLength !== r.size)
          throw new Error(`tar layout: ${r.digest} holds ${content.byteLength} bytes, not ${r.size}`);
        out.push(Buffer.from(content.buffer, content.byteOffset, content.byteLength));
      }
      if (out.full) yield out.take();
    }
    batch = [];
    batchBytes = 0;
  }
  for (const r of readTarLayout(layout).records()) {
    const stream =
      r.digest !== undefined && r.size > STREAM_ABOVE_BYTES ? blobs.openStream?.(r.digest) : undefined;
    if (stream && r.digest !== undefined) {
      yield* flushBatch();
      if (out.bytes > 0) yield out.take();
      let written = 0;
      for await (const chunk of stream) {
        written += chunk.length;
        yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
      if (written !== r.size)
        throw new Error(`tar layout: the blob store gave ${written} bytes for ${r.digest}, not ${r.size}`);
      continue;
    }
    batch.push(r);
    batchBytes += r.raw !== undefined ? r.raw.length : r.size;
    if (batchBytes >= BATCH_BYTES || batch.length >= BATCH_FILES) yield* flushBatch();
  }
  yield* flushBatch();
  if (out.bytes > 0) yield out.take();
}
