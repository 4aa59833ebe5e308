/**
 * dockerode drives the archive and exec endpoints: a small tree goes in with `putArchive` (a tar from
 * GNU tar) and comes back out with `getArchive` as it went in (bytes, modes, owners, times, links, read
 * back by GNU tar), and `infoArchive` answers its stat; exec instances started detached (`docker exec
 * -d`) run or end as their program does, and inspect says so.
 */
import { execFileSync } from "node:child_process";
import {
  chownSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Served, seedImage, serve } from "./support/served.js";

let d: Served;
let docker: Docker;
beforeAll(async () => {
  d = await serve();
  await seedImage(d.engine);
  docker = new Docker({ socketPath: d.socket });
});
afterAll(async () => {
  await d.stop();
  d.remove();
});

const collect = async (stream: NodeJS.ReadableStream): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const chunk of stream as Readable) parts.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(parts);
};

/** Everything `lstat` says of a tree that a tar carries, by relative path (the root's own times aside). */
function describeTree(root: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = rel === "" ? name : `${rel}/${name}`;
      const s = lstatSync(join(root, path));
      out[path] = {
        mode: s.mode.toString(8),
        uid: s.uid,
        gid: s.gid,
        mtime: Math.floor(s.mtimeMs / 1000),
        nlink: s.isDirectory() ? undefined : s.nlink,
        ...(s.isSymbolicLink()
          ? { link: readlinkSync(join(root, path)) }
          : s.isFile()
            ? { content: readFileSync(join(root, path)).toString("base64") }
            : {}),
      };
      if (s.isDirectory()) walk(path);
    }
  };
  walk("");
  return out;
}

describe("dockerode: archives", () => {
  test("putArchive then getArchive gives back the tree as it went in; infoArchive answers its stat", async () => {
    const src = join(d.dir, "tree");
    mkdirSync(join(src, "sub", "deeper"), { recursive: true });
    writeFileSync(join(src, "a.txt"), "alpha\n", { mode: 0o640 });
    writeFileSync(join(src, "sub", "b.bin"), Buffer.from([0, 1, 2, 253, 254, 255]));
    writeFileSync(join(src, "sub", "deeper", "empty"), "");
    writeFileSync(join(src, "run.sh"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    symlinkSync("../a.txt", join(src, "sub", "up"));
    linkSync(join(src, "a.txt"), join(src, "sub", "hard"));
    chownSync(join(src, "sub", "b.bin"), 1001, 1002);
    chownSync(join(src, "sub"), 7, 8);
    execFileSync("chmod", ["0750", join(src, "sub")]);
    for (const p of ["a.txt", "sub/b.bin", "sub/deeper/empty", "run.sh", "sub/deeper", "sub", ""])
      utimesSync(join(src, p), 1_700_000_000, 1_700_000_000);
    const upload = execFileSync("tar", ["-C", d.dir, "-cf", "-", "tree"]);

    const c = await docker.createContainer({ name: "files", Image: "alpine", Cmd: ["sleep", "100"] });
    await c.putArchive(upload, { path: "/tmp" });
    // It arrived, through the engine, as the image's /tmp changed.
    const view = d.engine.view(c.id);
    expect(Buffer.from(view.readFile("/tmp/tree/a.txt")).toString()).toBe("alpha\n");
    expect(view.stat("/tmp/tree/sub/b.bin")).toMatchObject({ uid: 1001, gid: 1002, size: 6 });
    expect(view.stat("/tmp/tree/sub/hard").ino).toBe(view.stat("/tmp/tree/a.txt").ino);

    const info = (await c.infoArchive({ path: "/tmp/tree/sub/up" })) as { headers: Record<string, string> };
    const stat = JSON.parse(
      Buffer.from(info.headers["x-docker-container-path-stat"] ?? "", "base64").toString(),
    );
    expect(stat).toMatchObject({ name: "up", size: 8, linkTarget: "/tmp/tree/a.txt" });

    const tar = await collect(await c.getArchive({ path: "/tmp/tree" }));
    const back = join(d.dir, "back");
    mkdirSync(back);
    execFileSync("tar", ["-C", back, "-xf", "-", "--same-owner", "-p"], { input: tar });
    expect(describeTree(join(back, "tree"))).toEqual(describeTree(src));
    expect(Object.keys(describeTree(src))).toHaveLength(8);

    // A second upload over the first merges directories and replaces files, as dockerd does.
    writeFileSync(join(src, "a.txt"), "changed\n");
    await c.putArchive(execFileSync("tar", ["-C", src, "-cf", "-", "a.txt"]), { path: "/tmp/tree" });
    const again = await collect(await c.getArchive({ path: "/tmp/tree/a.txt" }));
    const listed = execFileSync("tar", ["-xOf", "-"], { input: again }).toString();
    expect(listed).toBe("changed\n");
    // The hard link was a second name of the old file: replacing one name leaves the other as it was.
    expect(Buffer.from(d.engine.view(c.id).readFile("/tmp/tree/sub/hard")).toString()).toBe("alpha\n");
    await c.remove({ force: true });
  });

  test("refusals come back as dockerode errors with dockerd's status (and its words where dockerode reads them)", async () => {
    const c = await docker.createContainer({ name: "files2", Image: "alpine", Cmd: ["sleep", "100"] });
    // dockerode reads no body for an answer it would stream: the status is what it reports.
    await expect(c.getArchive({ path: "/nope" })).rejects.toMatchObject({ statusCode: 404 });
    writeFileSync(join(d.dir, "one.txt"), "one\n");
    const one = execFileSync("tar", ["-C", d.dir, "-cf", "-", "one.txt"]);
    await expect(c.putArchive(one, { path: "/etc/hostname" })).rejects.toMatchObject({
      statusCode: 400,
      json: { message: "extraction point is not a directory" },
    });
    await c.remove({ force: true });
  });
});

describe("dockerode: exec", () => {
  test("create, start detached, inspect: a long program runs until its container stops; one that only exits has ended", async () => {
    const c = await docker.createContainer({ name: "ex", Image: "alpine", Cmd: ["sleep", "100"] });
    await c.start();
    const long = await c.exec({ Cmd: ["sleep", "50"], AttachStdout: false });
    const quick = await c.exec({ Cmd: ["sh", "-c", "exit 7"] });
    expect(await long.inspect()).toMatchObject({
      ID: long.id,
      Running: false,
      ExitCode: null,
      Pid: 0,
      ContainerID: c.id,
      ProcessConfig: { entrypoint: "sleep", arguments: ["50"] },
    });
    await long.start({ Detach: true });
    await quick.start({ Detach: true });
    const running = await long.inspect();
    expect(running).toMatchObject({ Running: true, ExitCode: null });
    expect(running.Pid).toBeGreaterThan(0);
    expect(await quick.inspect()).toMatchObject({ Running: false, ExitCode: 7 });
    expect((await c.inspect()).ExecIDs).toEqual(expect.arrayContaining([long.id, quick.id]));
    // An instance runs once.
    await expect(quick.start({ Detach: true })).rejects.toMatchObject({ statusCode: 409 });
    // Its container's end ends it: killed with the container, as the kernel would (128 + SIGKILL).
    await c.stop({ t: 0 });
    expect(await long.inspect()).toMatchObject({ Running: false, ExitCode: 137 });
    await expect(c.exec({ Cmd: ["true"] })).rejects.toMatchObject({ statusCode: 409 });
    await c.remove();
    await expect(long.inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
