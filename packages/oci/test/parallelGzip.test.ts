/**
 * parallelGzip: what it writes inflates to exactly what went in (zlib's reader and GNU gzip's), and its
 * bytes depend only on the input, never on how the input was cut into chunks (a layer's blob digest is
 * the same on every export).
 */
import { execFileSync } from "node:child_process";
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { GZIP_BLOCK_BYTES, parallelGzip } from "../src/parallelGzip.js";

async function gzip(parts: readonly Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of Readable.from(parts).pipe(parallelGzip(6))) out.push(c as Buffer);
  return Buffer.concat(out);
}

function cut(bytes: Buffer, sizes: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const s of sizes) {
    if (at >= bytes.length) break;
    out.push(bytes.subarray(at, at + s));
    at += s;
  }
  if (at < bytes.length) out.push(bytes.subarray(at));
  return out;
}

/** Bytes no compressor shrinks, from a seed (xorshift). */
function noise(seed: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed | 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const SIZES = [
  0,
  1,
  100,
  GZIP_BLOCK_BYTES - 1,
  GZIP_BLOCK_BYTES,
  GZIP_BLOCK_BYTES + 1,
  2.5 * GZIP_BLOCK_BYTES,
];

/**
 * Bytes of each kind a block can be compressed as: repeated words (deflated), noise (stored), noise
 * in pieces between runs of zeros, as a tar of compressed files is (run-length), and all three in turn.
 */
const content = fc
  .tuple(
    fc.constantFrom(...SIZES),
    fc.constantFrom("words", "noise", "tar", "mixed"),
    fc.array(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.constantFrom("layer ", "tar\n")), {
      minLength: 1,
      maxLength: 20,
    }),
    fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  )
  .map(([size, kind, pieces, seed]) => {
    const unit = Buffer.concat(pieces.map((p) => Buffer.from(p)));
    const words = Buffer.alloc(size);
    for (let at = 0; at < size; at += unit.length) unit.copy(words, at);
    const random = noise(seed, size);
    const tar = Buffer.from(random);
    for (let at = 0; at < size; at += 4096) tar.fill(0, at, Math.min(size, at + 700));
    if (kind === "words") return words;
    if (kind === "noise") return random;
    if (kind === "tar") return tar;
    const third = Math.floor(size / 3);
    return Buffer.concat([
      words.subarray(0, third),
      random.subarray(third, 2 * third),
      tar.subarray(2 * third),
    ]);
  });

describe("parallelGzip", () => {
  test("property: inflates to the input, and its bytes do not depend on the chunks it came in", async () => {
    await fc.assert(
      fc.asyncProperty(
        content,
        fc.array(fc.integer({ min: 1, max: 3 * GZIP_BLOCK_BYTES }), { maxLength: 8 }),
        async (bytes, sizes) => {
          const whole = await gzip([bytes]);
          expect(gunzipSync(whole).equals(bytes)).toBe(true);
          expect((await gzip(cut(bytes, sizes))).equals(whole)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("noise is stored, not deflated; a tar of it keeps its runs compressed", async () => {
    const random = noise(7, 3 * GZIP_BLOCK_BYTES);
    const stored = await gzip([random]);
    // A stored block costs 5 bytes per 64 KiB.
    expect(stored.length).toBeLessThan(random.length + 5 * (random.length / 65_536) + 64);
    const tar = Buffer.from(random);
    for (let at = 0; at < tar.length; at += 4096) tar.fill(0, at, at + 700);
    expect((await gzip([tar])).length).toBeLessThan(tar.length * 0.9);
  });

  test("GNU gzip reads it as one member, and it compresses as one stream would", async () => {
    const text = Buffer.from(
      Array.from({ length: 200_000 }, (_, i) => `line ${i % 977} of a layer\n`).join(""),
    );
    const zipped = await gzip(cut(text, [70_000, 3_000_000]));
    expect(execFileSync("gzip", ["-dc"], { input: zipped, maxBuffer: 64 << 20 }).equals(text)).toBe(true);
    execFileSync("gzip", ["-t"], { input: zipped });
    // The dictionary carries across blocks: no worse than a few bytes per block over one stream.
    const single = execFileSync("gzip", ["-6", "-c", "-n"], { input: text, maxBuffer: 64 << 20 });
    expect(zipped.length).toBeLessThan(single.length * 1.05 + 64 * Math.ceil(text.length / GZIP_BLOCK_BYTES));
  });
});
