/**
 * Our tar reader (TarParser, and readTar over it) reads what tar-stream's extract reads: on random
 * archives (ustar and GNU headers, PAX records for long or non-ASCII names, link names, sizes, ids,
 * times and xattrs, GNU long names and link names, base-256 numbers, every entry type, odd sizes),
 * cut into random chunks, the same entries with the same bytes. Cut short anywhere, it fails where
 * tar-stream fails, with a TarFormatError that says the archive was cut short and names the entry it
 * cut; the one place it is stricter is an archive that ends right after an extended header (tar-stream
 * drops the header silently).
 */
import fc from "fast-check";
import tar from "tar-stream";
import { describe, expect, test } from "vitest";
import { TarFormatError } from "../src/TarFormatError.js";
import { TarParser } from "../src/TarParser.js";
import { readTar } from "../src/tarReader.js";

/** What an entry must read as. */
interface Expected {
  readonly name: string;
  readonly type: string;
  readonly size: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly mtime: number;
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
  readonly xattrs: Record<string, string>;
  readonly body: Buffer;
}

/** One archive: its bytes, where each entry (its extended headers included) starts and ends, and where extended headers end. */
interface Archive {
  readonly bytes: Buffer;
  readonly spans: readonly { start: number; end: number }[];
  readonly afterExtended: ReadonlySet<number>;
  readonly entryCount: number;
}

function octal(b: Buffer, at: number, length: number, n: number): void {
  b.write(`${n.toString(8).padStart(length - 1, "0")}\0`, at, length, "latin1");
}

function base256(b: Buffer, at: number, length: number, n: number): void {
  b[at] = 0x80;
  let v = n;
  for (let i = length - 1; i > 0; i--) {
    b[at + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

interface Block {
  name: Buffer;
  prefix?: Buffer;
  linkname?: Buffer;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  devmajor?: number;
  devminor?: number;
  gnu: boolean;
  binary: boolean;
  /** GNU headers keep atime and ctime where ustar keeps the name's prefix. */
  gnuTimes?: number;
}

function block(h: Block): Buffer {
  const b = Buffer.alloc(512);
  h.name.copy(b, 0);
  octal(b, 100, 8, h.mode);
  (h.binary ? base256 : octal)(b, 108, 8, h.uid);
  octal(b, 116, 8, h.gid);
  (h.binary ? base256 : octal)(b, 124, 12, h.size);
  octal(b, 136, 12, h.mtime);
  b[156] = h.typeflag.charCodeAt(0);
  h.linkname?.copy(b, 157);
  b.write(h.gnu ? "ustar  \0" : "ustar\x0000", 257, 8, "latin1");
  b.write("someone", 265, "latin1");
  b.write("group", 297, "latin1");
  octal(b, 329, 8, h.devmajor ?? 0);
  octal(b, 337, 8, h.devminor ?? 0);
  if (!h.gnu && h.prefix) h.prefix.copy(b, 345);
  if (h.gnu && h.gnuTimes !== undefined) {
    octal(b, 345, 12, h.gnuTimes);
    octal(b, 357, 12, h.gnuTimes);
  }
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return b;
}

function paxData(records: readonly (readonly [string, Buffer])[]): Buffer {
  return Buffer.concat(
    records.map(([key, value]) => {
      const rest = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from("\n")]);
      let len = rest.length + 1;
      while (String(len).length + rest.length > len) len++;
      return Buffer.concat([Buffer.from(String(len)), rest]);
    }),
  );
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

const CHARS = [..."abcxyzABZ019._-", "é", "漢", "🙂"];
const segment = fc.array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 30 }).map((c) => c.join(""));
const path = fc.array(segment, { minLength: 1, maxLength: 12 }).map((s) => s.join("/"));
const size = fc.oneof(fc.constantFrom(0, 1, 511, 512, 513, 1023, 1024, 1025), fc.nat(3000));
const entryArb = fc.record({
  name: path,
  kind: fc.constantFrom(
    "file",
    "file",
    "file",
    "contiguous",
    "dir",
    "symlink",
    "link",
    "char",
    "block",
    "fifo",
  ),
  linkname: path,
  size,
  mode: fc.integer({ min: 0, max: 0o7777 }),
  uid: fc.oneof(fc.constantFrom(0, 1000, 65534), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
  gid: fc.constantFrom(0, 33, 1000),
  mtime: fc.integer({ min: 0, max: 2 ** 33 - 1 }),
  paxTime: fc.option(fc.tuple(fc.integer({ min: 0, max: 2 ** 33 }), fc.integer({ min: 0, max: 999 })), {
    nil: undefined,
  }),
  major: fc.integer({ min: 0, max: 0xfff }),
  minor: fc.integer({ min: 0, max: 0xfffff }),
  gnu: fc.boolean(),
  gnuTimes: fc.option(fc.integer({ min: 1, max: 2 ** 33 - 1 }), { nil: undefined }),
  binary: fc.boolean(),
  /** How a name too long for the header is carried: the ustar prefix, PAX, or a GNU long name. */
  longName: fc.constantFrom("prefix", "pax", "gnu"),
  /** Put the size in a PAX record (the header's field then says 0). */
  paxSize: fc.boolean(),
  xattrs: fc.dictionary(fc.stringMatching(/^user\.[a-z]{1,8}$/), fc.stringMatching(/^[ -~é]{0,20}$/), {
    maxKeys: 2,
  }),
  content: fc.uint8Array({ maxLength: 16 }),
});
type Spec = typeof entryArb extends fc.Arbitrary<infer T> ? T : never;

const TYPEFLAG: Record<string, string> = {
  file: "0",
  contiguous: "7",
  dir: "5",
  symlink: "2",
  link: "1",
  char: "3",
  block: "4",
  fifo: "6",
};
const OUR_TYPE: Record<string, string> = {
  file: "file",
  contiguous: "file",
  dir: "directory",
  symlink: "symlink",
  link: "link",
  char: "char-device",
  block: "block-device",
  fifo: "fifo",
};

/** An archive of `specs`, and what each entry must read as. */
function archiveOf(specs: readonly Spec[], trailer: number): { archive: Archive; expected: Expected[] } {
  const parts: Buffer[] = [];
  const spans: { start: number; end: number }[] = [];
  const afterExtended = new Set<number>();
  let at = 0;
  const add = (b: Buffer) => {
    parts.push(b);
    at += b.length;
  };
  const expected: Expected[] = [];
  for (const s of specs) {
    const start = at;
    const isFile = s.kind === "file" || s.kind === "contiguous";
    const device = s.kind === "char" || s.kind === "block";
    const hasLink = s.kind === "symlink" || s.kind === "link";
    const name = s.kind === "dir" ? `${s.name}/` : s.name;
    const nameBytes = Buffer.from(name);
    const linkBytes = hasLink ? Buffer.from(s.linkname) : Buffer.alloc(0);
    const body = Buffer.alloc(isFile ? s.size : 0, s.size % 251);
    Buffer.from(s.content).copy(body);
    const pax: [string, Buffer][] = [];
    const extended = (typeflag: string, data: Buffer) => {
      add(
        block({
          name: Buffer.from(typeflag === "x" ? "PaxHeader/entry" : "././@LongLink"),
          typeflag,
          mode: 0o644,
          uid: 0,
          gid: 0,
          size: data.length,
          mtime: 0,
          gnu: s.gnu,
          binary: false,
        }),
      );
      add(data);
      add(pad(data.length));
      afterExtended.add(at);
    };
    // The name: in the header, split into prefix and name, in PAX, or as a GNU long name.
    let headerName = nameBytes;
    let prefix: Buffer | undefined;
    const ascii = nameBytes.length === name.length;
    if (nameBytes.length > 100 || !ascii) {
      const slash = name.lastIndexOf("/", name.length - 2);
      const splittable =
        !s.gnu &&
        s.longName === "prefix" &&
        ascii &&
        slash > 0 &&
        slash <= 155 &&
        nameBytes.length - slash - 1 <= 100;
      if (splittable) {
        prefix = nameBytes.subarray(0, slash);
        headerName = nameBytes.subarray(slash + 1);
      } else if (s.longName === "gnu" || (s.gnu && s.longName === "prefix")) {
        extended("L", Buffer.concat([nameBytes, Buffer.from([0])]));
        headerName = nameBytes.subarray(0, 100);
      } else {
        pax.push(["path", nameBytes]);
        headerName = nameBytes.subarray(0, 100);
      }
    }
    let headerLink = linkBytes;
    if (linkBytes.length > 100 || linkBytes.length !== s.linkname.length) {
      if (s.longName === "gnu") extended("K", Buffer.concat([linkBytes, Buffer.from([0])]));
      else pax.push(["linkpath", linkBytes]);
      headerLink = linkBytes.subarray(0, 100);
    }
    const bigUid = s.uid > 0o7777777 && !s.binary;
    if (bigUid) pax.push(["uid", Buffer.from(String(s.uid))]);
    if (s.paxTime)
      pax.push(["mtime", Buffer.from(`${s.paxTime[0]}.${String(s.paxTime[1]).padStart(3, "0")}`)]);
    if (s.paxSize && isFile) pax.push(["size", Buffer.from(String(body.length))]);
    for (const [k, v] of Object.entries(s.xattrs)) pax.push([`SCHILY.xattr.${k}`, Buffer.from(v)]);
    if (pax.length > 0) extended("x", paxData(pax));
    add(
      block({
        name: headerName,
        ...(prefix ? { prefix } : {}),
        linkname: headerLink,
        typeflag: TYPEFLAG[s.kind] as string,
        mode: s.mode,
        uid: bigUid ? 0 : s.uid,
        gid: s.gid,
        size: s.paxSize && isFile ? 0 : body.length,
        mtime: s.mtime,
        ...(device ? { devmajor: s.major, devminor: s.minor } : {}),
        gnu: s.gnu,
        binary: s.binary,
        ...(s.gnuTimes !== undefined ? { gnuTimes: s.gnuTimes } : {}),
      }),
    );
    add(body);
    add(pad(body.length));
    spans.push({ start, end: at });
    expected.push({
      name,
      type: OUR_TYPE[s.kind] as string,
      size: body.length,
      mode: s.mode,
      uid: s.uid,
      gid: s.gid,
      mtime: s.paxTime ? s.paxTime[0] * 1000 + s.paxTime[1] : s.mtime * 1000,
      linkname: hasLink ? s.linkname : "",
      devmajor: device ? s.major : 0,
      devminor: device ? s.minor : 0,
      xattrs: s.xattrs,
      body,
    });
  }
  add(Buffer.alloc(1024 + trailer * 512));
  return {
    archive: { bytes: Buffer.concat(parts), spans, afterExtended, entryCount: specs.length },
    expected,
  };
}

/** A PAX time (decimal seconds) in whole milliseconds, exactly (`1.005` is 1005, not 1004.999…). */
function exactMs(text: string): number {
  const [whole, fraction = ""] = text.split(".");
  return Number(whole) * 1000 + Number(fraction.padEnd(3, "0").slice(0, 3));
}

/** What tar-stream's extract reads, and the error it ends with (if any). */
async function viaTarStream(bytes: Buffer): Promise<{ entries: Expected[]; error?: unknown }> {
  const extract = tar.extract();
  const entries: Expected[] = [];
  const read = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const h = entry.header;
      const pax = (h.pax ?? {}) as Record<string, string>;
      const type =
        h.type === "contiguous-file" ? "file" : h.type === "character-device" ? "char-device" : h.type;
      const device = type === "char-device" || type === "block-device";
      entries.push({
        name: h.name,
        type: type as string,
        size: h.size ?? 0,
        mode: h.mode ?? 0,
        uid: pax.uid !== undefined ? Number(pax.uid) : (h.uid ?? 0),
        gid: h.gid ?? 0,
        mtime: pax.mtime !== undefined ? exactMs(pax.mtime) : (h.mtime as Date).getTime(),
        linkname: h.linkname ?? "",
        devmajor: device ? (h.devmajor ?? 0) : 0,
        devminor: device ? (h.devminor ?? 0) : 0,
        xattrs: Object.fromEntries(
          Object.entries(pax)
            .filter(([k]) => k.startsWith("SCHILY.xattr."))
            .map(([k, v]) => [k.slice("SCHILY.xattr.".length), v]),
        ),
        body: Buffer.concat(chunks),
      });
    }
  })();
  extract.end(bytes);
  try {
    await read;
    return { entries };
  } catch (error) {
    return { entries, error };
  }
}

function fromOurs(
  h: {
    name: string | undefined;
    type: string;
    size: number;
    mode: number;
    uid: number;
    gid: number;
    mtime: number;
    linkname: string | undefined;
    devmajor: number;
    devminor: number;
    xattrs: ReadonlyMap<string, Buffer>;
  },
  body: Buffer,
): Expected {
  return {
    name: h.name as string,
    type: h.type,
    size: h.size,
    mode: h.mode,
    uid: h.uid,
    gid: h.gid,
    mtime: h.mtime,
    linkname: h.linkname as string,
    devmajor: h.devmajor,
    devminor: h.devminor,
    xattrs: Object.fromEntries([...h.xattrs].map(([k, v]) => [k, v.toString()])),
    body,
  };
}

/** `bytes` in pieces of the given sizes (the last piece takes the rest). */
function pieces(bytes: Buffer, sizes: readonly number[]): Buffer[] {
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

/** What readTar reads, reading every body as a stream. */
async function viaReadTar(chunks: readonly Buffer[]): Promise<{ entries: Expected[]; error?: unknown }> {
  const entries: Expected[] = [];
  try {
    for await (const { header, body } of readTar(
      (async function* () {
        yield* chunks;
      })(),
    )) {
      const parts: Buffer[] = [];
      for await (const c of body) parts.push(c);
      entries.push(fromOurs(header, Buffer.concat(parts)));
    }
    return { entries };
  } catch (error) {
    return { entries, error };
  }
}

/** What TarParser reads when every body is taken whole (as an import takes small files). */
function viaParser(chunks: readonly Buffer[]): { entries: Expected[]; error?: unknown } {
  const parser = new TarParser();
  const entries: Expected[] = [];
  let next = 0;
  const more = () => {
    if (next < chunks.length) parser.push(chunks[next++] as Buffer);
    else parser.end();
  };
  try {
    for (;;) {
      const step = parser.next();
      if (step === "more") more();
      else if (step === "end") return { entries };
      else {
        let body = parser.body();
        while (body === undefined) {
          more();
          body = parser.body();
        }
        entries.push(fromOurs(step.header, Buffer.from(body)));
      }
    }
  } catch (error) {
    return { entries, error };
  }
}

const chunkSizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 70_000 })), {
  maxLength: 40,
});

describe("TarParser against tar-stream's extract", () => {
  test("property: random archives in random chunks read as tar-stream reads them", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entryArb, { maxLength: 12 }),
        fc.nat(20),
        chunkSizes,
        async (specs, trailer, sizes) => {
          const { archive, expected } = archiveOf(specs, trailer);
          const theirs = await viaTarStream(archive.bytes);
          expect(theirs.error).toBeUndefined();
          expect(theirs.entries).toEqual(expected);
          const chunks = pieces(archive.bytes, sizes);
          for (const ours of [await viaReadTar(chunks), viaParser(chunks)]) {
            expect(ours.error).toBeUndefined();
            expect(ours.entries).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("property: cut short anywhere, it fails where tar-stream fails, with a TarFormatError naming the entry it cut", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entryArb, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        chunkSizes,
        async (specs, cutAt, sizes) => {
          const { archive, expected } = archiveOf(specs, 0);
          const end = (archive.spans.at(-1) as { end: number }).end;
          // Anywhere in the entries or the first end block (after it, we read nothing more, while
          // tar-stream reads on and refuses a second block cut short).
          const cut = cutAt % (end + 513);
          const bytes = archive.bytes.subarray(0, cut);
          const theirs = await viaTarStream(bytes);
          const chunks = pieces(bytes, sizes);
          for (const ours of [await viaReadTar(chunks), viaParser(chunks)]) {
            if (ours.error === undefined) {
              expect(theirs.error).toBeUndefined();
              // Cut between entries (or in the end blocks, after the first): the entries before the cut.
              expect(ours.entries).toEqual(expected.slice(0, ours.entries.length));
              expect(ours.entries).toEqual(theirs.entries);
              continue;
            }
            expect(ours.error).toBeInstanceOf(TarFormatError);
            const e = ours.error as TarFormatError;
            expect(e.truncated).toBe(true);
            if (theirs.error === undefined) {
              // The one difference: an extended header with no entry after it.
              expect(archive.afterExtended.has(cut)).toBe(true);
              expect(e.problem).toMatch(/after an extended header/);
            }
            // The entry it cut: the one whose bytes (extended headers included) hold the cut; past
            // the entries, the end blocks (numbered as the entry after the last).
            const cutEntry = archive.spans.findIndex((s) => cut > s.start && cut < s.end);
            expect(e.entry?.index).toBe(cutEntry >= 0 ? cutEntry : archive.entryCount);
            // Every entry before it was read whole.
            expect(ours.entries.slice(0, e.entry?.index)).toEqual(expected.slice(0, e.entry?.index));
          }
          if (theirs.error !== undefined)
            for (const ours of [await viaReadTar(chunks), viaParser(chunks)])
              expect(ours.error).toBeInstanceOf(TarFormatError);
        },
      ),
      { numRuns: 400 },
    );
  });
});
