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

/** Bytes that compress (repeated words) or do not (random runs), about `size` long. */
const content = fc
  .tuple(
    fc.constantFrom(
      0,
      1,
      100,
      GZIP_BLOCK_BYTES - 1,
      GZIP_BLOCK_BYTES,
      GZIP_BLOCK_BYTES + 1,
      2.5 * GZIP_BLOCK_BYTES,
    ),
    fc.array(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.constantFrom("layer ", "tar\n")), {
      minLength: 1,
      maxLength: 20,
    }),
  )
  .map(([size, pieces]) => {
    const unit = Buffer.concat(pieces.map((p) => Buffer.from(p)));
    const out = Buffer.alloc(size);
    for (let at = 0; at < size; at += unit.length) unit.copy(out, at);
    return out;
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
      { numRuns: 40 },
    );
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
