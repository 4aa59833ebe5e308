/**
 * Our tar encoder writes exactly the bytes tar-stream's pack stream writes, for every kind of entry our
 * layers hold, including names and link names that need a PAX header (long, or not ASCII): layer
 * digests do not depend on which of the two wrote a layer.
 */
import { Readable } from "node:stream";
import fc from "fast-check";
import tar from "tar-stream";
import { describe, expect, test } from "vitest";
import { END_OF_TAR, padding, type TarHeader, tarHeader } from "../src/tarHeader.js";

const segment = fc.stringMatching(/^[a-zA-Z0-9._é漢-]{1,40}$/);
const path = fc.array(segment, { minLength: 1, maxLength: 9 }).map((s) => s.join("/"));
const entry = fc.record({
  name: path,
  type: fc.constantFrom("file", "link", "symlink", "directory") as fc.Arbitrary<TarHeader["type"]>,
  // tar-stream writes 0644 for a mode of 0 (a test of its own below): modes it keeps.
  mode: fc.constantFrom(0o644, 0o755, 0o4755, 0o1777, 0o600, 0o7),
  uid: fc.constantFrom(0, 33, 1000, 65534, 2_000_000),
  gid: fc.constantFrom(0, 33, 1000),
  mtime: fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => new Date(s * 1000)),
  linkname: path,
  content: fc.uint8Array({ maxLength: 1200 }),
});

async function viaTarStream(entries: readonly (TarHeader & { content: Uint8Array })[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const { content, ...header } = e;
    await new Promise<void>((resolve, reject) =>
      pack.entry(
        { ...header, uname: "", gname: "" },
        Buffer.from(header.type === "file" ? content : new Uint8Array(0)),
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of Readable.from(pack as AsyncIterable<Buffer>)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function viaTarHeader(entries: readonly (TarHeader & { content: Uint8Array })[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const { content, ...header } = e;
    const body = Buffer.from(header.type === "file" ? content : new Uint8Array(0));
    parts.push(...tarHeader({ ...header, size: body.length }), body, padding(body.length));
  }
  parts.push(END_OF_TAR);
  return Buffer.concat(parts);
}

describe("tarHeader", () => {
  test("property: the same bytes as tar-stream, PAX headers included", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          entry.map(({ linkname, ...e }) =>
            e.type === "link" || e.type === "symlink" ? { ...e, linkname } : e,
          ),
          { maxLength: 8 },
        ),
        async (entries) => {
          const ours = viaTarHeader(entries);
          const theirs = await viaTarStream(entries);
          expect(ours.equals(theirs)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  test("a mode of 0 stays 0 (a file chmod 000, a device, a whiteout); no mode gives tar-stream's default", () => {
    const mode = (h: Buffer) => h.subarray(100, 107).toString();
    for (const type of ["file", "directory", "character-device", "fifo"] as const)
      expect(mode(tarHeader({ name: "x", type, mode: 0, mtime: new Date(0) })[0] as Buffer)).toBe("000000 ");
    expect(mode(tarHeader({ name: "x", type: "file", mtime: new Date(0) })[0] as Buffer)).toBe("000644 ");
    expect(mode(tarHeader({ name: "x", type: "directory", mtime: new Date(0) })[0] as Buffer)).toBe(
      "000755 ",
    );
  });

  test("devices carry their numbers in the ustar devmajor and devminor fields", () => {
    const h = tarHeader({
      name: "dev/sda1",
      type: "block-device",
      mode: 0o660,
      gid: 6,
      mtime: new Date(0),
      devmajor: 8,
      devminor: 1,
    })[0] as Buffer;
    expect(h.subarray(156, 157).toString()).toBe("4");
    expect(h.subarray(329, 336).toString()).toBe("000010 ");
    expect(h.subarray(337, 344).toString()).toBe("000001 ");
  });

  test("a long non-ASCII name is carried by a PAX record tar readers decode", async () => {
    const name = `${"ü/".repeat(80)}file`;
    const bytes = viaTarHeader([{ name, type: "file", mtime: new Date(0), content: new Uint8Array([1]) }]);
    expect(bytes.subarray(156, 157).toString()).toBe("x");
    const extract = tar.extract();
    const names: string[] = [];
    extract.on("entry", (h, stream, next) => {
      names.push(h.name);
      stream.resume();
      stream.on("end", next);
    });
    await new Promise<void>((resolve, reject) => {
      extract.on("finish", resolve);
      extract.on("error", reject);
      extract.end(bytes);
    });
    expect(names).toEqual([name]);
  });
});
