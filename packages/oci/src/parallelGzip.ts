/**
 * gzip compressed on every core, as pigz does: the stream is cut into blocks of 1 MiB, each deflated
 * on zlib's thread pool on its own, with the 32 KiB before it as its dictionary (so it compresses as
 * one stream would) and ended by a sync flush (the last by the stream's end); the blocks follow one
 * gzip header, and the trailer holds the CRC-32 and length of the whole. Any gzip reader reads it as one
 * member. A block is deflated as its samples say it compresses (`blockKind`): stored as it is when it
 * does not, with zlib's run-length strategy when it only has runs. The bytes depend only on the input
 * and the level: the same layer gives the same blob.
 */
import { Transform, type TransformCallback } from "node:stream";
import { promisify } from "node:util";
import * as zlib from "node:zlib";

const deflateRaw = promisify(zlib.deflateRaw) as (
  buffer: Buffer,
  options: zlib.ZlibOptions,
) => Promise<Buffer>;

/** The input is compressed in blocks of this size. */
export const GZIP_BLOCK_BYTES = 1024 * 1024;
/** Blocks compressed at once (zlib's thread pool has four threads). */
const IN_FLIGHT = 4;
const WINDOW = 32 * 1024;
/** zlib hands out a block's output in pieces of this size (small ones cost more to gather). */
const OUTPUT_CHUNK = 256 * 1024;

/** CRC-32 of `bytes` after `crc`: zlib's (Node 20.15+), or a table where Node has none. */
const crc32: (bytes: Uint8Array, crc: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === "function" ? zlib.crc32 : tableCrc32;

let table: Int32Array | undefined;
function tableCrc32(bytes: Uint8Array, crc: number): number {
  if (table === undefined) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = (table[(c ^ (bytes[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

const SAMPLES = 4;
const SAMPLE_BYTES = 16 * 1024;
const hashes = new Int32Array(1 << 14);

/**
 * How to compress a block, from four samples spread over it: `stored` when its bytes repeat nothing
 * and are evenly spread (already compressed files: archives, images; deflating them costs twenty
 * times more and gains nothing), `runs` when they repeat little beyond runs of one byte (a tar of such
 * files: its headers and padding; zlib's run-length strategy gets within about 1 % of a full deflate,
 * at twice its speed), `deflate` otherwise.
 */
function blockKind(block: Buffer): "stored" | "runs" | "deflate" {
  if (block.length < SAMPLES * SAMPLE_BYTES) return "deflate";
  const counts = new Uint32Array(256);
  let positions = 0;
  let repeats = 0;
  const step = Math.floor(block.length / SAMPLES);
  for (let k = 0; k < SAMPLES; k++) {
    const from = k * step;
    const to = from + SAMPLE_BYTES;
    hashes.fill(-1);
    for (let i = from; i < to; i++) counts[block[i] as number] = (counts[block[i] as number] as number) + 1;
    for (let i = from; i + 4 <= to; i++) {
      const word = block.readUInt32LE(i);
      const h = Math.imul(word, 2654435761) >>> 18;
      const previous = hashes[h] as number;
      hashes[h] = i;
      positions++;
      // A repeat of four bytes from further back than a run of one byte reaches.
      if (previous >= 0 && i - previous >= 4 && block.readUInt32LE(previous) === word) repeats++;
    }
  }
  let entropy = 0;
  const n = SAMPLES * SAMPLE_BYTES;
  for (const c of counts) if (c > 0) entropy -= (c / n) * Math.log2(c / n);
  const repeated = repeats / positions;
  if (repeated < 0.002 && entropy > 7.9) return "stored";
  return repeated < 0.05 ? "runs" : "deflate";
}

/** The gzip header: no name, no time, the Unix OS byte (what zlib's gzip writes for levels 2 to 8). */
function header(level: number): Buffer {
  const xfl = level === 9 ? 2 : level < 2 ? 4 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
}

/**
 * gzip as a sequence of calls: `push` a chunk, then `end()`; each returns the compressed bytes that are
 * ready (in order), waiting only when as many blocks as zlib has threads are being compressed.
 */
export class ParallelGzip {
  readonly #level: number;
  #block: Buffer[] = [];
  #blockBytes = 0;
  /** The end of the previous block: the next one's dictionary. */
  #previous: Buffer | undefined;
  #crc = 0;
  #length = 0;
  #started = false;
  readonly #inFlight: Promise<Buffer>[] = [];

  constructor(level = 6) {
    this.#level = level;
  }

  async push(chunk: Buffer): Promise<Buffer[]> {
    const out = this.#start();
    this.#crc = crc32(chunk, this.#crc);
    this.#length += chunk.length;
    this.#block.push(chunk);
    this.#blockBytes += chunk.length;
    while (this.#blockBytes >= GZIP_BLOCK_BYTES) {
      this.#compress(this.#take(GZIP_BLOCK_BYTES), false);
      if (this.#inFlight.length >= IN_FLIGHT) out.push(await (this.#inFlight.shift() as Promise<Buffer>));
    }
    return out;
  }

  /** The rest: the last block, and the trailer. */
  async end(): Promise<Buffer[]> {
    const out = this.#start();
    this.#compress(this.#take(this.#blockBytes), true);
    while (this.#inFlight.length > 0) out.push(await (this.#inFlight.shift() as Promise<Buffer>));
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.#crc >>> 0, 0);
    trailer.writeUInt32LE(this.#length % 2 ** 32, 4);
    out.push(trailer);
    return out;
  }

  #start(): Buffer[] {
    if (this.#started) return [];
    this.#started = true;
    return [header(this.#level)];
  }

  #compress(bytes: Buffer, last: boolean): void {
    const level = this.#level;
    const dictionary = this.#previous;
    const kind = level > 0 ? blockKind(bytes) : "deflate";
    const deflated = deflateRaw(bytes, {
      level: kind === "stored" ? 0 : level,
      ...(kind === "runs" ? { strategy: zlib.constants.Z_RLE } : {}),
      finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
      chunkSize: OUTPUT_CHUNK,
      ...(dictionary && kind === "deflate" ? { dictionary } : {}),
    });
    deflated.catch(() => {}); // awaited in order later; never an unhandled rejection meanwhile
    this.#inFlight.push(deflated);
    this.#previous = bytes.length >= WINDOW ? bytes.subarray(bytes.length - WINDOW) : undefined;
  }

  #take(n: number): Buffer {
    const all =
      this.#block.length === 1 ? (this.#block[0] as Buffer) : Buffer.concat(this.#block, this.#blockBytes);
    const rest = all.subarray(n);
    this.#block = rest.length > 0 ? [rest] : [];
    this.#blockBytes = rest.length;
    return all.subarray(0, n);
  }
}

/** A transform that gzips what flows through, compressing blocks in parallel ({@link ParallelGzip}). */
export function parallelGzip(level = 6): Transform {
  const gzip = new ParallelGzip(level);
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      gzip.push(chunk).then((out) => {
        for (const b of out) this.push(b);
        done();
      }, done);
    },
    flush(done: TransformCallback) {
      gzip.end().then((out) => {
        for (const b of out) this.push(b);
        done();
      }, done);
    },
  });
}
