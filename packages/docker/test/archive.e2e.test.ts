/**
 * `docker cp` both ways against `strata serve`, driven by the real docker CLI (28.2): the bytes, modes,
 * owners and links that arrive, the `path/.` and trailing-slash rules, `-a`, `-L`, tar on stdin and
 * stdout, dockerd's errors; and hostile uploads sent as raw HTTP, which must change nothing.
 */
import { execFileSync } from "node:child_process";
import {
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { Readable } from "node:stream";
import { DockerServer } from "@strata/docker";
import { readTar } from "@strata/oci";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { dockerBytes } from "./support/dockerBytes.js";
import { type DockerRun, type Served, seedImage, serve } from "./support/served.js";

let d: Served;
let work: string;
beforeAll(async () => {
  d = await serve();
  await seedImage(d.engine);
  work = join(d.dir, "work");
  mkdirSync(work);
});
afterAll(async () => {
  await d.stop();
  d.remove();
});

const ok = (r: DockerRun) => {
  expect(r.code, r.err).toBe(0);
  return r.out;
};

/** A tar's entries: name, type, mode, ids, link name and content. */
async function entries(tar: Buffer) {
  const out: {
    name: string;
    type: string;
    mode: number;
    uid: number;
    gid: number;
    link: string;
    text: string;
  }[] = [];
  for await (const { header: h, body } of readTar(Readable.from([tar]))) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c);
    out.push({
      name: h.name ?? "",
      type: h.type,
      mode: h.mode,
      uid: h.uid,
      gid: h.gid,
      link: h.linkname ?? "",
      text: Buffer.concat(chunks).toString("utf8"),
    });
  }
  return out;
}

/** A raw HTTP request on the daemon's socket. */
const raw = (method: string, path: string, body?: Buffer) => rawOn(d.socket, method, path, body);

/** A raw HTTP request on a unix socket. */
function rawOn(
  socketPath: string,
  method: string,
  path: string,
  body?: Buffer,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method, path, headers: body ? { "Content-Type": "application/x-tar" } : {} },
      (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers as Record<string, string>,
            body: Buffer.concat(parts),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A tar made by GNU tar from `dir` (the real tool, as a user would pipe one). */
const gnuTar = (dir: string, ...names: string[]) =>
  execFileSync("tar", ["--format=pax", "-C", dir, "-cf", "-", ...names]);

describe("docker cp", () => {
  test("out of a container: a file, a directory, its contents (path/.), to stdout", async () => {
    ok(await d.docker(["create", "--name", "out1", "alpine", "sleep", "1"]));
    const dest = join(work, "out1");
    mkdirSync(dest);
    ok(await d.docker(["cp", "out1:/etc/hostname", dest]));
    expect(readFileSync(join(dest, "hostname"), "utf8")).toBe("strata\n");
    expect(lstatSync(join(dest, "hostname")).mode & 0o7777).toBe(0o644);
    ok(await d.docker(["cp", "out1:/etc", join(dest, "etc-copy")]));
    expect(readFileSync(join(dest, "etc-copy", "os-release"), "utf8")).toBe('NAME="Strata Linux"\n');
    mkdirSync(join(dest, "contents"));
    ok(await d.docker(["cp", "out1:/etc/.", join(dest, "contents")]));
    expect(readFileSync(join(dest, "contents", "hostname"), "utf8")).toBe("strata\n");
    const tar = await dockerBytes(d, ["cp", "out1:/etc", "-"]);
    expect(tar.code, tar.err).toBe(0);
    const listed = await entries(tar.out);
    expect(listed.map((e) => e.name)).toEqual(["etc/", "etc/hostname", "etc/os-release"]);
  });

  test("a missing path is dockerd's 404", async () => {
    ok(await d.docker(["create", "--name", "miss", "alpine", "sleep", "1"]));
    expect(await d.docker(["cp", "miss:/nope", work])).toMatchObject({
      code: 1,
      err: "Error response from daemon: Could not find the file /nope in container miss\n",
    });
    // Into a directory that is not there: refused before the upload is read, and the client still
    // reads the answer (the rest of the upload is read and dropped).
    const big = join(work, "big-upload");
    writeFileSync(big, Buffer.alloc(3 * 1024 * 1024, 1));
    // (The client may also log that its tar writer found the pipe closed: the answer came first.)
    const early = await d.docker(["cp", big, "miss:/nonexist/x"]);
    expect(early.code).toBe(1);
    expect(early.err).toMatch(
      /(^|\n)Error response from daemon: Could not find the file \/nonexist in container miss\n$/,
    );
    expect(await d.docker(["cp", "nosuch:/etc", work])).toMatchObject({
      code: 1,
      err: "Error response from daemon: No such container: nosuch\n",
    });
  });

  test("into a container: bytes, modes, owners, times, symlinks and hard links arrive; -a owns them by the container's user", async () => {
    const src = join(work, "src");
    mkdirSync(join(src, "sub"), { recursive: true });
    writeFileSync(join(src, "a.txt"), "alpha\n", { mode: 0o640 });
    writeFileSync(join(src, "sub", "b.bin"), Buffer.from([0, 1, 2, 255]));
    writeFileSync(join(src, "tool"), "#!/bin/sh\n", { mode: 0o755 });
    symlinkSync("a.txt", join(src, "link"));
    execFileSync("ln", [join(src, "a.txt"), join(src, "hard")]);
    for (const p of ["a.txt", "sub", "sub/b.bin", "tool"]) chownSync(join(src, p), 1234, 5678);
    // After the chown, which clears setuid.
    execFileSync("chmod", ["4755", join(src, "tool")]);
    execFileSync("chmod", ["0750", join(src, "sub")]);
    utimesSync(join(src, "a.txt"), 1_600_000_000, 1_600_000_000);
    ok(await d.docker(["create", "--name", "in1", "alpine", "sleep", "1"]));
    ok(await d.docker(["cp", src, "in1:/tmp/"]));
    const view = d.engine.view("in1");
    const a = view.stat("/tmp/src/a.txt");
    expect({ mode: a.mode, uid: a.uid, gid: a.gid, mtime: a.mtime }).toEqual({
      mode: 0o640,
      uid: 1234,
      gid: 5678,
      mtime: 1_600_000_000_000,
    });
    expect(Buffer.from(view.readFile("/tmp/src/a.txt")).toString()).toBe("alpha\n");
    expect([...view.readFile("/tmp/src/sub/b.bin")]).toEqual([0, 1, 2, 255]);
    expect(view.stat("/tmp/src/sub").mode).toBe(0o750);
    expect(view.stat("/tmp/src/tool").mode).toBe(0o4755);
    expect(view.stat("/tmp/src/link", { follow: false })).toMatchObject({ type: "symlink", target: "a.txt" });
    expect(view.stat("/tmp/src/hard").ino).toBe(a.ino);
    // docker diff sees the copy as changes of the read-write layer.
    expect(await d.docker(["diff", "in1"])).toEqual({
      code: 0,
      out: [
        "C /tmp",
        "A /tmp/src",
        "A /tmp/src/a.txt",
        "A /tmp/src/hard",
        "A /tmp/src/link",
        "A /tmp/src/sub",
        "A /tmp/src/sub/b.bin",
        "A /tmp/src/tool",
        "",
      ].join("\n"),
      err: "",
    });
    // -a: the files belong to the container's user.
    ok(await d.docker(["create", "--name", "in2", "-u", "1000:2000", "alpine", "sleep", "1"]));
    ok(await d.docker(["cp", "-a", join(src, "a.txt"), "in2:/tmp/renamed.txt"]));
    expect(d.engine.view("in2").stat("/tmp/renamed.txt")).toMatchObject({
      uid: 1000,
      gid: 2000,
      mode: 0o640,
    });
    // Round trip: out again, as it went in.
    const back = join(work, "back");
    mkdirSync(back);
    ok(await d.docker(["cp", "in1:/tmp/src", back]));
    expect(readFileSync(join(back, "src", "a.txt"), "utf8")).toBe("alpha\n");
    expect(lstatSync(join(back, "src", "tool")).mode & 0o7777).toBe(0o4755);
    expect(readlinkSync(join(back, "src", "link"))).toBe("a.txt");
    expect(lstatSync(join(back, "src", "hard")).ino).toBe(lstatSync(join(back, "src", "a.txt")).ino);
    // The client makes what it copies out its own user's; the tar says whose they were.
    const sub = await dockerBytes(d, ["cp", "in1:/tmp/src/sub", "-"]);
    expect((await entries(sub.out)).map(({ name, mode, uid, gid }) => ({ name, mode, uid, gid }))).toEqual([
      { name: "sub/", mode: 0o750, uid: 1234, gid: 5678 },
      { name: "sub/b.bin", mode: 0o644, uid: 1234, gid: 5678 },
    ]);
    // -L follows a symlink at the source; without it the link itself is copied.
    ok(await d.docker(["cp", "-L", "in1:/tmp/src/link", join(back, "followed")]));
    expect(readFileSync(join(back, "followed"), "utf8")).toBe("alpha\n");
    expect(lstatSync(join(back, "followed")).isSymbolicLink()).toBe(false);
    const tar = await dockerBytes(d, ["cp", "in1:/tmp/src/link", "-"]);
    expect(await entries(tar.out)).toEqual([
      { name: "link", type: "symlink", mode: 0o777, uid: 0, gid: 0, link: "a.txt", text: "" },
    ]);
  });

  test("a tar on stdin goes into a directory; anything else is refused by the client", async () => {
    const src = join(work, "stdin");
    mkdirSync(join(src, "d"), { recursive: true });
    writeFileSync(join(src, "d", "f"), "from stdin\n");
    ok(await d.docker(["create", "--name", "in3", "alpine", "sleep", "1"]));
    const r = await dockerBytes(d, ["cp", "-", "in3:/tmp"], gnuTar(src, "d"));
    expect(r.code, r.err).toBe(0);
    expect(Buffer.from(d.engine.view("in3").readFile("/tmp/d/f")).toString()).toBe("from stdin\n");
    const gz = execFileSync("gzip", ["-c"], { input: gnuTar(src, "d") });
    const z = await dockerBytes(d, ["cp", "-", "in3:/etc"], gz);
    expect(z.code, z.err).toBe(0);
    expect(Buffer.from(d.engine.view("in3").readFile("/etc/d/f")).toString()).toBe("from stdin\n");
    // A file of the image overwritten by a copy is a change; what the copies added are additions.
    writeFileSync(join(src, "hostname"), "renamed\n");
    ok(await d.docker(["cp", join(src, "hostname"), "in3:/etc/hostname"]));
    expect(Buffer.from(d.engine.view("in3").readFile("/etc/hostname")).toString()).toBe("renamed\n");
    expect(await d.docker(["diff", "in3"])).toEqual({
      code: 0,
      out: "C /etc\nA /etc/d\nA /etc/d/f\nC /etc/hostname\nC /tmp\nA /tmp/d\nA /tmp/d/f\n",
      err: "",
    });
    expect(await dockerBytes(d, ["cp", "-", "in3:/etc/hostname"], gnuTar(src, "d"))).toMatchObject({
      code: 1,
      err: 'destination "in3:/etc/hostname" must be a directory\n',
    });
  });

  test("copies onto a symlink land where it points; a directory is never replaced by a file", async () => {
    ok(await d.docker(["create", "--name", "in4", "alpine", "sleep", "1"]));
    const link = await d.engine.execute({
      type: "fs.symlink",
      container: "in4",
      path: "/tmp/etc-link",
      target: "/etc",
    });
    expect(link.ok).toBe(true);
    const f = join(work, "motd");
    writeFileSync(f, "hello\n");
    ok(await d.docker(["cp", f, "in4:/tmp/etc-link"]));
    expect(Buffer.from(d.engine.view("in4").readFile("/etc/motd")).toString()).toBe("hello\n");
    const etc = join(work, "etc");
    writeFileSync(etc, "not a directory\n");
    expect(await d.docker(["cp", etc, "in4:/"])).toMatchObject({
      code: 1,
      err: 'Error response from daemon: cannot overwrite directory "/etc" with non-directory "/"\n',
    });
    expect(d.engine.view("in4").stat("/etc").type).toBe("dir");
  });

  test("HEAD answers dockerd's stat header: Go's file mode bits, the symlink followed to its end", async () => {
    ok(await d.docker(["create", "--name", "st1", "alpine", "sleep", "1"]));
    await d.engine.execute({ type: "fs.symlink", container: "st1", path: "/tmp/l1", target: "l2" });
    await d.engine.execute({
      type: "fs.symlink",
      container: "st1",
      path: "/tmp/l2",
      target: "/etc/hostname",
    });
    const stat = async (path: string) => {
      const r = await raw("HEAD", `/v1.50/containers/st1/archive?path=${encodeURIComponent(path)}`);
      expect(r.status).toBe(200);
      return JSON.parse(
        Buffer.from(r.headers["x-docker-container-path-stat"] as string, "base64").toString(),
      );
    };
    expect(await stat("/tmp")).toMatchObject({
      name: "tmp",
      size: 0,
      mode: 2 ** 31 + 2 ** 20 + 0o777,
      linkTarget: "",
    });
    expect(await stat("/tmp/l1")).toMatchObject({
      name: "l1",
      size: 2,
      mode: 2 ** 27 + 0o777,
      linkTarget: "/etc/hostname",
    });
    expect(await stat("etc/hostname")).toMatchObject({
      name: "hostname",
      size: 7,
      mode: 0o644,
      mtime: "2026-01-01T00:00:00Z",
    });
    expect((await raw("HEAD", "/v1.50/containers/st1/archive?path=/nope")).status).toBe(404);
    expect(await raw("GET", "/v1.50/containers/st1/archive")).toMatchObject({
      status: 400,
      body: Buffer.from('{"message":"bad parameter: pathcannot be empty"}\n'),
    });
    expect(await raw("GET", "/v1.50/containers/st1/archive?path=/etc/hostname/x")).toMatchObject({
      status: 500,
      body: Buffer.from('{"message":"lstat /etc/hostname/x: not a directory"}\n'),
    });
  });
});

describe("hostile uploads (raw PUT)", () => {
  /** A tar from GNU tar with each name rewritten by `sed` expression `transform`. */
  const tarAs = (dir: string, transform: string, ...names: string[]) =>
    execFileSync("tar", ["--format=pax", "-P", "--transform", transform, "-C", dir, "-cf", "-", ...names]);

  test("names, symlinks and hard links that leave the destination are refused, and nothing is written", async () => {
    ok(await d.docker(["create", "--name", "h1", "alpine", "sleep", "1"]));
    const dir = join(work, "hostile");
    mkdirSync(dir);
    writeFileSync(join(dir, "ok.txt"), "fine\n");
    writeFileSync(join(dir, "evil"), "evil\n");
    symlinkSync("../../etc", join(dir, "esc"));
    const put = (tar: Buffer) => raw("PUT", "/v1.50/containers/h1/archive?path=/tmp", tar);
    const cases: [Buffer, string][] = [
      [tarAs(dir, "s,^evil,../evil,", "ok.txt", "evil"), '"../evil" is outside of "/tmp"'],
      [tarAs(dir, "s,^evil,a/../../evil,", "evil"), '"../evil" is outside of "/tmp"'],
      [tarAs(dir, "s,^,,", "esc"), 'invalid symlink "/tmp/esc" -> "../../etc"'],
      [
        Buffer.concat([withoutEnd(tarAs(dir, "s,^,,", "ok.txt")), hardLinkTar("hl", "../etc/hostname")]),
        'invalid hardlink "/etc/hostname" -> "../etc/hostname"',
      ],
      [
        execFileSync("tar", ["-cf", "-", "-C", "/dev", "null"]),
        "mknod /tmp/null: a Strata container has no device nodes or FIFOs",
      ],
      [Buffer.alloc(1024, 7), "archive/tar: this is not a tar header (its checksum is wrong) (at byte 0)"],
      // A cut upload says so first, once (the parser's words say only where it ends).
      [
        tarAs(dir, "s,^,,", "ok.txt").subarray(0, 514),
        "archive/tar: the archive is cut short: it ends in the middle of an extended header (at byte 512)",
      ],
    ];
    const before = d.engine.seq;
    for (const [tar, message] of cases) {
      const r = await put(tar);
      expect({ status: r.status, body: r.body.toString() }).toEqual({
        status: 500,
        body: `${JSON.stringify({ message })}\n`,
      });
    }
    expect(d.engine.seq).toBe(before);
    expect(d.engine.now().diff("h1")).toEqual([]);
  });

  test("an absolute symlink is followed inside the container root; writes through it stay there", async () => {
    ok(await d.docker(["create", "--name", "h2", "alpine", "sleep", "1"]));
    const dir = join(work, "through");
    mkdirSync(join(dir, "x"), { recursive: true });
    writeFileSync(join(dir, "x", "motd"), "through the link\n");
    symlinkSync("/etc", join(dir, "abs"));
    const tar = Buffer.concat([withoutEnd(tarAs(dir, "s,^,,", "abs")), tarAs(dir, "s,^x,abs,", "x/motd")]);
    const r = await raw("PUT", "/v1.50/containers/h2/archive?path=/tmp", tar);
    expect(r.status, r.body.toString()).toBe(200);
    const view = d.engine.view("h2");
    expect(view.stat("/tmp/abs", { follow: false })).toMatchObject({ type: "symlink", target: "/etc" });
    expect(Buffer.from(view.readFile("/etc/motd")).toString()).toBe("through the link\n");
    expect(
      d.engine
        .now()
        .diff("h2")
        .map((c) => c.path),
    ).toEqual(["/etc", "/etc/motd", "/tmp", "/tmp/abs"]);
  });

  test("uploads are bounded as sent and once decompressed", async () => {
    const small = new DockerServer({
      backend: { engine: d.engine, name: "small", id: "small", location: d.dir },
      maxUploadBytes: 64 * 1024,
    });
    const socket = join(d.dir, "small.sock");
    await small.listen({ socket });
    try {
      ok(await d.docker(["create", "--name", "h3", "alpine", "sleep", "1"]));
      const dir = join(work, "big");
      mkdirSync(dir);
      writeFileSync(join(dir, "zeros"), Buffer.alloc(1024 * 1024));
      const plain = execFileSync("tar", ["-C", dir, "-cf", "-", "zeros"], { maxBuffer: 8 * 1024 * 1024 });
      const gz = execFileSync("gzip", ["-c"], { input: plain });
      expect(gz.length).toBeLessThan(64 * 1024);
      const put = (tar: Buffer) => rawOn(socket, "PUT", "/v1.50/containers/h3/archive?path=/tmp", tar);
      expect(await put(plain)).toMatchObject({ status: 413 });
      expect((await put(gz)).body.toString()).toBe(
        '{"message":"the decompressed archive is larger than 65536 bytes"}\n',
      );
      expect(d.engine.now().diff("h3")).toEqual([]);
    } finally {
      await small.close();
    }
  });
});

/** A tar without its end: the zero blocks (and the record padding) at its tail. */
function withoutEnd(tar: Buffer): Buffer {
  let end = tar.length;
  while (end >= 512 && tar.subarray(end - 512, end).every((b) => b === 0)) end -= 512;
  return tar.subarray(0, end);
}

/** A tar with one hard link `name` → `target` (GNU tar will not write one that leaves the archive). */
function hardLinkTar(name: string, target: string): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write("0000644\0", 100);
  header.write("0000000\0", 108);
  header.write("0000000\0", 116);
  header.write("00000000000\0", 124);
  header.write("00000000000\0", 136);
  header.write("1", 156);
  header.write(target, 157);
  header.write("ustar\u000000", 257);
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return Buffer.concat([header, Buffer.alloc(1024)]);
}
