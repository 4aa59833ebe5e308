/**
 * The body of an upload (`PUT …/archive`), bounded and decompressed as dockerd's `archive.Untar` does:
 * at most `limit` bytes as sent (more is a 413), a gzip stream is inflated (and bounded again, so a small
 * bomb cannot fill the blob store), bzip2, xz and zstd are refused by name, anything else is read as a
 * plain tar.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { DockerApiError } from "./shapes/errors.js";

/** `source`, failing with a 413 once more than `limit` bytes came through. */
async function* bounded(
  source: AsyncIterable<Uint8Array>,
  limit: number,
  what: string,
): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > limit) throw new DockerApiError(413, `${what} is larger than ${limit} bytes`);
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

const MAGIC: readonly (readonly [string, readonly number[]])[] = [
  ["bzip2", [0x42, 0x5a, 0x68]],
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ["zstd", [0x28, 0xb5, 0x2f, 0xfd]],
];
const GZIP = [0x1f, 0x8b, 0x08];
const startsWith = (head: Buffer, magic: readonly number[]) =>
  head.length >= magic.length && magic.every((b, i) => head[i] === b);

/**
 * The tar bytes of an upload: the body bounded to `limit`, inflated if it is gzip.
 *
 * @example
 * for await (const entry of readTar(uploadStream(req.raw, 1 << 30))) …
 */
export async function* uploadStream(
  source: AsyncIterable<Uint8Array>,
  limit: number,
): AsyncGenerator<Buffer> {
  const body = bounded(source, limit, "request body");
  // Enough bytes to recognise a compression (a body may arrive a byte at a time).
  const first: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < 6) {
    const next = await body.next();
    if (next.done) {
      ended = true;
      break;
    }
    first.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(first);
  async function* whole(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (!ended) yield* body;
  }
  for (const [name, magic] of MAGIC)
    if (startsWith(head, magic))
      throw new DockerApiError(
        500,
        `the archive is compressed with ${name}: Strata reads tar archives, plain or gzip-compressed`,
      );
  if (!startsWith(head, GZIP)) {
    yield* whole();
    return;
  }
  const gunzip = createGunzip();
  const pumped = pipeline(Readable.from(whole()), gunzip);
  pumped.catch(() => {}); // its error reaches the reader through gunzip
  yield* bounded(gunzip, limit, "the decompressed archive");
  await pumped;
}
