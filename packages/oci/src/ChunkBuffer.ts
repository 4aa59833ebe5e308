/**
 * Buffers a tar as it is written and hands it out in chunks of about `CHUNK_BYTES`: what layerTar.ts
 * (a tar written afresh) and tarFromLayout.ts (a tar rebuilt from its layout) both write into.
 */

/** The tar is handed out in chunks of about this size. */
export const CHUNK_BYTES = 1024 * 1024;
/** Small files are read from the blob store in batches of about this many bytes, or this many files. */
export const BATCH_BYTES = 4 * 1024 * 1024;
export const BATCH_FILES = 2048;

export class ChunkBuffer {
  #pending: Buffer[] = [];
  #bytes = 0;

  /** Bytes buffered and not yet taken. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether a chunk's worth is buffered. */
  get full(): boolean {
    return this.#bytes >= CHUNK_BYTES;
  }

  push(b: Buffer): void {
    this.#pending.push(b);
    this.#bytes += b.length;
  }

  /** Everything buffered, as one buffer, and the buffer emptied. */
  take(): Buffer {
    const chunk = Buffer.concat(this.#pending, this.#bytes);
    this.#pending = [];
    this.#bytes = 0;
    return chunk;
  }
}
