/**
 * Our tar encoder writes exactly the bytes tar-stream's pack stream writes, for every kind of entry our
 * layers hold, including names and link names that need a PAX header (long, or not ASCII): layer
 * digests do not depend on which of the two wrote a layer — wherever tar-stream writes numbers right.
 * Where it does not (an owner id of 2^18 or more becomes 262143, a time after January 2038 becomes the
 * year 2242), ours follow Go's archive/tar, what Docker writes: seven digits, then PAX records.
 */
import { execFileSync } from "node:child_process";
import { Readable } from "node:stream";
import fc from "fast-check";
import tar from "tar-stream";
import { describe, expect, test } from "vitest";
import { TarParser } from "../src/TarParser.js";
import { END_OF_TAR, padding, type TarHeader, tarHeader } from "../src/tarHeader.js";

const segment = fc.stringMatching(/^[a-zA-Z0-9._é漢-]{1,40}$/);
const path = fc.array(segment, { minLength: 1, maxLength: 9 }).map((s) => s.join("/"));
const entry = fc.record({
  name: path,
  type: fc.constantFrom("file", "link", "symlink", "directory") as fc.Arbitrary<TarHeader["type"]>,
  // tar-stream writes 0644 for a mode of 0 (a test of its own below): modes it keeps.
  mode: fc.constantFrom(0o644, 0o755, 0o4755, 0o1777, 0o600, 0o7),
  // What tar-stream writes right: ids below 2^18, times before 2^31 s (see the tests below for the rest).
  uid: fc.constantFrom(0, 33, 1000, 65534, 262_143),
  gid: fc.constantFrom(0, 33, 1000),
  mtime: fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((s) => new Date(s * 1000)),
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

  /** The headers of one entry, read back by our reader: its uid, gid, size and mtime (ms). */
  function readBack(h: TarHeader): { uid: number; gid: number; size: number; mtime: number } {
    const parser = new TarParser();
    parser.push(Buffer.concat(tarHeader(h)));
    const step = parser.next();
    if (typeof step !== "object") throw new Error(`no entry: ${String(step)}`);
    const { uid, gid, size, mtime } = step.header;
    return { uid, gid, size, mtime };
  }

  test("regression: an owner id of 2^18 to 2^21 - 1 takes seven digits (tar-stream wrote 262143)", () => {
    const h = tarHeader({ name: "x", type: "file", uid: 262_144, gid: 2 ** 21 - 1, mtime: new Date(0) });
    expect(h).toHaveLength(1);
    const block = h[0] as Buffer;
    expect(block.subarray(108, 116).toString()).toBe("1000000 ");
    expect(block.subarray(116, 124).toString()).toBe("7777777 ");
    expect(
      readBack({ name: "x", type: "file", uid: 262_144, gid: 2 ** 21 - 1, mtime: new Date(0) }),
    ).toMatchObject({
      uid: 262_144,
      gid: 2 ** 21 - 1,
    });
  });

  test("regression: an owner id of 2^21 or more is a PAX uid/gid record, its field 0 (as Go writes it)", () => {
    const entry: TarHeader = { name: "x", type: "file", uid: 2 ** 21, gid: 2 ** 32 - 1, mtime: new Date(0) };
    const [pax, records, , main] = tarHeader(entry) as Buffer[];
    expect(pax?.subarray(156, 157).toString()).toBe("x");
    expect(records?.toString()).toBe("9 path=x\n18 gid=4294967295\n15 uid=2097152\n");
    expect(main?.subarray(108, 124).toString()).toBe("000000 \x00000000 \x00");
    expect(readBack(entry)).toMatchObject({ uid: 2 ** 21, gid: 2 ** 32 - 1 });
  });

  test("regression: a time after January 2038 is written as it is (tar-stream wrote 2242); after 2242, a PAX mtime", () => {
    const in2040 = Date.UTC(2040, 0, 1);
    expect(readBack({ name: "x", type: "file", mtime: new Date(in2040) }).mtime).toBe(in2040);
    const in2300 = Date.UTC(2300, 0, 1);
    const entry: TarHeader = { name: "x", type: "file", mtime: new Date(in2300) };
    expect((tarHeader(entry)[1] as Buffer).toString()).toBe(`9 path=x\n21 mtime=${in2300 / 1000}\n`);
    expect(readBack(entry).mtime).toBe(in2300);
  });

  test("regression: a size of 8 GiB or more is a PAX size record (as Go writes it), not base-256", () => {
    const size = 8 * 1024 ** 3 + 5;
    const entry: TarHeader = { name: "big", type: "file", size, mtime: new Date(0) };
    const [, records, , main] = tarHeader(entry) as Buffer[];
    expect(records?.toString()).toContain(` size=${size}\n`);
    expect(main?.subarray(124, 136).toString()).toBe("00000000000 ");
    expect(readBack(entry).size).toBe(size);
  });

  test("GNU tar reads the ids and times back", () => {
    const entries: TarHeader[] = [
      { name: "a", type: "file", uid: 262_144, gid: 300_000, mtime: new Date(Date.UTC(2040, 0, 1)) },
      { name: "b", type: "file", uid: 2 ** 21, gid: 4_000_000_000, mtime: new Date(Date.UTC(2300, 0, 1)) },
    ];
    const bytes = Buffer.concat([...entries.flatMap((e) => tarHeader(e)), END_OF_TAR]);
    const listing = execFileSync("tar", ["--numeric-owner", "--full-time", "-tvf", "-"], {
      input: bytes,
      env: { ...process.env, TZ: "UTC" },
    }).toString();
    expect(listing).toMatch(/262144\/300000 .* 2040-01-01 00:00:00 a\n/);
    expect(listing).toMatch(/2097152\/4000000000 .* 2300-01-01 00:00:00 b\n/);
  });
});
