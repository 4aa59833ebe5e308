/**
 * A layer's tar layout: what it takes, beside the file contents in the blob store, to give back the
 * layer's tar byte for byte (moby keeps the same per layer with tar-split). Everything of the tar that
 * is not a file's content is kept as it was (header blocks, PAX and GNU long-name records, padding, the
 * end-of-archive blocks and whatever follows them); a file's content is kept as its digest and size.
 *
 * The blob: `strata-tar-layout 1\n`, the tar's DiffID (32 bytes) and size (8 bytes, big-endian), then
 * blocks of records, each `[raw length u32][compressed length u32][raw deflate]`, until the blob ends
 * (a raw length with its top bit set: the block is stored as it is, not deflated).
 * Records run across blocks: `0x01 <varint n> <n bytes>` (bytes of the tar), `0x02 <varint size>
 * <sha256, 32 bytes>` (a file's content). A layout is written once, as the tar is read or written, and
 * only read by an export, which checks what it rebuilds against the DiffID.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { MemoryBudget } from "./limits.js";

const MAGIC = Buffer.from("strata-tar-layout 1\n", "latin1");
const RAW = 0x01;
const FILE = 0x02;
/** Records are compressed in blocks of about this many bytes. */
const BLOCK_BYTES = 1024 * 1024;
const HEAD_BYTES = MAGIC.length + 32 + 8;
/** Blocks smaller than this are stored as they are (the raw length's top bit says so). */
const STORE_BELOW_BYTES = 16 * 1024;
const STORED = 0x80000000;

/** One record of a layout: bytes of the tar, or a file's content (by digest). */
export type TarLayoutRecord =
  | { readonly raw: Buffer; readonly digest?: undefined }
  | { readonly raw?: undefined; readonly digest: string; readonly size: number };

/** A layout that does not read as one. */
export class TarLayoutError extends Error {
  override readonly name = "TarLayoutError";
}

/**
 * Builds a layout, record by record: `raw` for the tar's own bytes, `file` for a file's content; then
 * `finish`. Compressed as it goes (raw deflate, level 1: a tar's headers shrink about 40 times), so what
 * it holds is the compressed layout and one block; `budget`, when given, counts the compressed bytes
 * held, and `tooLarge` is thrown past its limit.
 */
export class TarLayoutWriter {
  readonly #budget: MemoryBudget | undefined;
  readonly #tooLarge: () => Error;
  /** Compressed blocks so far. */
  readonly #blocks: Buffer[] = [];
  /** Records not yet compressed. */
  #records: Buffer[] = [];
  #recordBytes = 0;
  /** Raw bytes not yet made a record (consecutive raw pieces make one record). */
  #run: Uint8Array[] = [];
  #runBytes = 0;
  #held = 0;

  constructor(options: { budget?: MemoryBudget; tooLarge?: () => Error } = {}) {
    this.#budget = options.budget;
    this.#tooLarge = options.tooLarge ?? (() => new RangeError("the tar layout is too large"));
  }

  /** Bytes of the tar as they are. */
  raw(bytes: Uint8Array): void {
    // A run is at most a block long, so a reader never holds more than about two blocks.
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(bytes.length - at, BLOCK_BYTES - this.#runBytes);
      this.#run.push(bytes.subarray(at, at + n));
      this.#runBytes += n;
      at += n;
      if (this.#runBytes >= BLOCK_BYTES) this.#endRun();
    }
  }

  /** A file's content: `size` bytes stored under `digest`. */
  file(digest: string, size: number): void {
    this.#endRun();
    const varint = encodeVarint(size);
    const record = Buffer.allocUnsafe(1 + varint.length + 32);
    record[0] = FILE;
    varint.copy(record, 1);
    Buffer.from(digest.slice("sha256:".length), "hex").copy(record, 1 + varint.length);
    this.#add(record);
  }

  /** The layout of a tar of `size` bytes whose sha256 is `diffId`. */
  finish(diffId: string, size: number): Buffer {
    this.#endRun();
    this.#compress();
    const head = Buffer.alloc(HEAD_BYTES);
    MAGIC.copy(head, 0);
    Buffer.from(diffId.slice("sha256:".length), "hex").copy(head, MAGIC.length);
    head.writeBigUInt64BE(BigInt(size), MAGIC.length + 32);
    return Buffer.concat([head, ...this.#blocks]);
  }

  #endRun(): void {
    if (this.#runBytes === 0) return;
    const varint = encodeVarint(this.#runBytes);
    this.#add(Buffer.from([RAW]));
    this.#add(varint);
    for (const piece of this.#run) this.#add(piece);
    this.#run = [];
    this.#runBytes = 0;
  }

  #add(bytes: Uint8Array): void {
    this.#records.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    this.#recordBytes += bytes.length;
    if (this.#recordBytes >= BLOCK_BYTES) this.#compress();
  }

  #compress(): void {
    if (this.#recordBytes === 0) return;
    const raw = Buffer.concat(this.#records, this.#recordBytes);
    // A small block (a commit's few headers) is kept as it is: setting up deflate costs more than it saves.
    const stored = raw.length < STORE_BELOW_BYTES;
    const packed = stored ? raw : deflateRawSync(raw, { level: 1 });
    const frame = Buffer.allocUnsafe(8);
    frame.writeUInt32BE(stored ? (raw.length | STORED) >>> 0 : raw.length, 0);
    frame.writeUInt32BE(packed.length, 4);
    this.#blocks.push(frame, packed);
    this.#records = [];
    this.#recordBytes = 0;
    this.#held += packed.length + 8;
    if (this.#budget) {
      this.#budget.used += packed.length + 8;
      if (this.#budget.used > this.#budget.limit) throw this.#tooLarge();
    }
  }

  /** Compressed bytes held so far (what a budget was charged). */
  get held(): number {
    return this.#held;
  }
}

/** A layout's DiffID and size, and its records in order. Malformed: a {@link TarLayoutError}. */
export function readTarLayout(bytes: Uint8Array): {
  readonly diffId: string;
  readonly size: number;
  records(): Generator<TarLayoutRecord>;
} {
  const blob = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (blob.length < HEAD_BYTES || !blob.subarray(0, MAGIC.length).equals(MAGIC))
    throw new TarLayoutError("not a tar layout (its first bytes are not strata-tar-layout 1)");
  const diffId = `sha256:${blob.subarray(MAGIC.length, MAGIC.length + 32).toString("hex")}`;
  const size = Number(blob.readBigUInt64BE(MAGIC.length + 32));
  return {
    diffId,
    size,
    *records() {
      /** Record bytes inflated and not yet read. */
      let buffer: Buffer = Buffer.alloc(0);
      let at = HEAD_BYTES;
      /** At least `n` record bytes buffered, inflating the blocks that follow; false at the layout's end. */
      const want = (n: number): boolean => {
        while (buffer.length < n) {
          if (at === blob.length) return false;
          if (at + 8 > blob.length) throw new TarLayoutError("a block's frame is cut short");
          const frame = blob.readUInt32BE(at);
          const stored = (frame & STORED) !== 0;
          const rawLength = stored ? frame & ~STORED : frame;
          const packedLength = blob.readUInt32BE(at + 4);
          if (at + 8 + packedLength > blob.length) throw new TarLayoutError("a block is cut short");
          const bytes = blob.subarray(at + 8, at + 8 + packedLength);
          const raw = stored ? bytes : inflateRawSync(bytes);
          if (raw.length !== rawLength) throw new TarLayoutError("a block inflates to another length");
          at += 8 + packedLength;
          buffer = buffer.length === 0 ? raw : Buffer.concat([buffer, raw]);
        }
        return true;
      };
      const varint = (): number => {
        let n = 0;
        let scale = 1;
        for (let i = 0; ; i++) {
          if (i > 7 || !want(1)) throw new TarLayoutError("a length is cut short or too large");
          const b = buffer[0] as number;
          buffer = buffer.subarray(1);
          n += (b & 0x7f) * scale;
          scale *= 128;
          if ((b & 0x80) === 0) return n;
        }
      };
      for (;;) {
        if (!want(1)) return;
        const kind = buffer[0];
        buffer = buffer.subarray(1);
        if (kind === RAW) {
          const n = varint();
          if (!want(n)) throw new TarLayoutError("a run of bytes is cut short");
          yield { raw: buffer.subarray(0, n) };
          buffer = buffer.subarray(n);
        } else if (kind === FILE) {
          const n = varint();
          if (!want(32)) throw new TarLayoutError("a file's digest is cut short");
          yield { digest: `sha256:${buffer.subarray(0, 32).toString("hex")}`, size: n };
          buffer = buffer.subarray(32);
        } else throw new TarLayoutError(`an unknown record kind ${kind}`);
      }
    },
  };
}

/** A non-negative integer as a little-endian base-128 varint. */
function encodeVarint(n: number): Buffer {
  const out: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Buffer.from(out);
}
