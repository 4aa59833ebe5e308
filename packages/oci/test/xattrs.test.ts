/**
 * Extended attributes in layer tars (PAX `SCHILY.xattr.*`, raw bytes) both ways, names as exact bytes,
 * and tar entry order in byte order. GNU tar is the outside judge: it writes and reads the same records.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type Command, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, type FsEngine, MemoryBlobStore } from "@strata/fs";
import { layerEntries, layerTarStream, OciError, readLayerTar, readLayerTarBytes } from "@strata/oci";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const tmp = tempDirs("strata-xattr-");
const CAP = Buffer.from([1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
const LAYER = `sha256:${"a".repeat(64)}`;

function engineWith(commands: Command[]): FsEngine {
  const engine = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("xattr") });
  for (const c of [
    { type: "image.create", layers: [], tags: ["base:1"] },
    { type: "container.create", image: "base:1", name: "box" },
    ...commands,
    { type: "container.commit", container: "box", tag: "next:1" },
  ] as Command[]) {
    const r = engine.execute(c);
    if (!r.ok) throw r.error;
  }
  return engine;
}

async function tarOf(engine: FsEngine): Promise<Buffer> {
  const tree = engine.view("next:1").overlay.lower;
  const chunks: Buffer[] = [];
  for await (const c of layerTarStream(tree, engine.blobs)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const gnuTar = (() => {
  try {
    execFileSync("tar", ["--version"], { stdio: "ignore" });
    return process.getuid?.() === 0; // trusted.* and security.capability need root
  } catch {
    return false;
  }
})();

describe("extended attributes in layer tars", () => {
  const commands: Command[] = [
    { type: "fs.writeFile", container: "box", path: "/bin", content: "#!" },
    {
      type: "fs.setxattr",
      container: "box",
      path: "/bin",
      name: "security.capability",
      value: CAP.toString("base64"),
      encoding: "base64",
    },
    { type: "fs.setxattr", container: "box", path: "/bin", name: "user.note", value: "héllo" },
    { type: "fs.mkdir", container: "box", path: "/d" },
    { type: "fs.setxattr", container: "box", path: "/d", name: "trusted.t", value: "" },
    { type: "fs.symlink", container: "box", path: "/l", target: "bin" },
    { type: "fs.setxattr", container: "box", path: "/l", name: "trusted.t", value: "x", follow: false },
  ];

  test("export writes them as SCHILY.xattr records, and import reads back the same bytes", async () => {
    const engine = engineWith(commands);
    const bytes = await tarOf(engine);
    expect(bytes.includes(Buffer.concat([Buffer.from("SCHILY.xattr.security.capability="), CAP]))).toBe(true);
    const back = await readLayerTarBytes(bytes, new MemoryBlobStore(), { layer: LAYER });
    const bin = back.find((e) => e.path === "/bin");
    expect(bin?.type === "file" && bin.xattrs).toEqual({
      "security.capability": CAP.toString("base64"),
      "user.note": Buffer.from("héllo").toString("base64"),
    });
    expect(back.find((e) => e.path === "/d")).toMatchObject({ xattrs: { "trusted.t": "" } });
    expect(back.find((e) => e.path === "/l")).toMatchObject({
      xattrs: { "trusted.t": Buffer.from("x").toString("base64") },
    });
  });

  test.runIf(gnuTar)(
    "GNU tar extracts the same attributes from our tar, and we read the ones it writes",
    async () => {
      const dir = tmp();
      writeFileSync(join(dir, "layer.tar"), await tarOf(engineWith(commands)));
      execFileSync("mkdir", [join(dir, "root")]);
      execFileSync("tar", [
        "--xattrs",
        "--xattrs-include=*",
        "-xpf",
        join(dir, "layer.tar"),
        "-C",
        join(dir, "root"),
      ]);
      const get = (path: string, name: string) =>
        execFileSync("python3", [
          "-c",
          `import os,sys;sys.stdout.buffer.write(os.getxattr(${JSON.stringify(path)}, ${JSON.stringify(name)}, follow_symlinks=False))`,
        ]);
      expect(get(join(dir, "root/bin"), "security.capability")).toEqual(CAP);
      expect(get(join(dir, "root/bin"), "user.note").toString()).toBe("héllo");
      expect(get(join(dir, "root/d"), "trusted.t").length).toBe(0);
      // And back: GNU tar's own archive of that tree.
      execFileSync("tar", [
        "--xattrs",
        "--xattrs-include=*",
        "--format=posix",
        "-cf",
        join(dir, "gnu.tar"),
        "-C",
        join(dir, "root"),
        "bin",
        "d",
      ]);
      const read = await readLayerTarBytes(readFileSync(join(dir, "gnu.tar")), new MemoryBlobStore(), {
        layer: LAYER,
      });
      expect(read.find((e) => e.path === "/bin")).toMatchObject({
        xattrs: {
          "security.capability": CAP.toString("base64"),
          "user.note": Buffer.from("héllo").toString("base64"),
        },
      });
    },
  );

  test("overlayfs's own trusted.overlay.* records are not content: they are left out", async () => {
    // A tar that copied an overlay upper dir as it is, written by python's tarfile.
    const dir = tmp();
    const tarPath = join(dir, "upper.tar");
    execFileSync("python3", [
      "-c",
      [
        "import tarfile, sys",
        "t = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)",
        "i = tarfile.TarInfo('o'); i.type = tarfile.DIRTYPE; i.mode = 0o755",
        "i.pax_headers = {'SCHILY.xattr.trusted.overlay.opaque': 'y', 'SCHILY.xattr.user.keep': '1'}",
        "t.addfile(i); t.close()",
      ].join("\n"),
      tarPath,
    ]);
    const read = await readLayerTarBytes(readFileSync(tarPath), new MemoryBlobStore(), { layer: LAYER });
    expect(read).toEqual([
      { type: "dir", path: "/o", mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: { "user.keep": "MQ==" } },
    ]);
  });
});

describe("names are bytes", () => {
  test("a name that is not UTF-8 is refused, naming its bytes, never read as U+FFFD", async () => {
    const good = await tarOf(
      engineWith([{ type: "fs.writeFile", container: "box", path: "/ab", content: "x" }]),
    );
    // Replace the name "ab" with 0xff 0x61 in the header and fix the checksum.
    const bytes = Buffer.from(good);
    expect(bytes.subarray(0, 2).toString()).toBe("ab");
    bytes[0] = 0xff;
    bytes.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += bytes[i] as number;
    bytes.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
    const error = await readLayerTarBytes(bytes, new MemoryBlobStore(), { layer: LAYER }).catch((e) => e);
    expect(error).toBeInstanceOf(OciError);
    expect(error.code).toBe("InvalidEntry");
    expect(error.message).toContain("\\xffb");
    expect(error.message).not.toContain("\uFFFD");
  });

  test("the whole stream is read, end blocks and record padding included (the DiffID check hashes all of it)", async () => {
    const tar = Buffer.concat([
      await tarOf(engineWith([{ type: "fs.writeFile", container: "box", path: "/f", content: "x" }])),
      Buffer.alloc(8192),
    ]);
    let read = 0;
    async function* chunks() {
      for (let i = 0; i < tar.length; i += 100) {
        const c = tar.subarray(i, i + 100);
        read += c.length;
        yield c;
      }
    }
    const entries = await readLayerTar(Readable.from(chunks()), new MemoryBlobStore(), { layer: LAYER });
    expect(entries.map((e) => e.path)).toEqual(["/f"]);
    expect(read).toBe(tar.length);
  });

  test("an extended header too large to hold in memory is refused, before it is read", async () => {
    const block = Buffer.alloc(512);
    block.write("PaxHeader", 0);
    block.write("0000644\0", 100);
    block.write(`${(64 * 1024 * 1024).toString(8).padStart(11, "0")}\0`, 124);
    block.write("00000000000\0", 136);
    block.write("x", 156);
    block.write("ustar\x0000", 257, "latin1");
    block.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of block) sum += b;
    block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
    const error = await readLayerTarBytes(block, new MemoryBlobStore(), { layer: LAYER }).catch((e) => e);
    expect(error).toBeInstanceOf(OciError);
    // A limit (maxEntryHeaderBytes, 1 MiB by default), not a malformed tar.
    expect(error.code).toBe("TooLarge");
    expect(error.message).toContain("an extended header of 67108864 bytes");
    expect(error.message).toContain("(the limit, maxEntryHeaderBytes)");
  });

  test("tar entries are in byte order: a, ！ (EF BC 81), 😀 (F0 9F 98 80)", async () => {
    const engine = engineWith(
      ["😀", "a", "！"].map(
        (n) => ({ type: "fs.writeFile", container: "box", path: `/${n}`, content: n }) as Command,
      ),
    );
    const names = [...layerEntries(engine.view("next:1").overlay.lower)].map((e) => e.header.name);
    expect(names).toEqual(["a", "！", "😀"]);
    expect(engine.view("next:1").readdir("/")).toEqual(["a", "！", "😀"]);
  });
});
