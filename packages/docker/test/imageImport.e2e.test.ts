/**
 * `docker import` with the real docker client: a root filesystem tar (made by GNU tar, plain and
 * gzip) becomes a one-layer image with the changes and message given; its files are what the tar held;
 * a hostile tar is refused whole and nothing of it is kept; a URL source is refused.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Served, serve } from "./support/served.js";

let d: Served;
let rootfs: string;
beforeAll(async () => {
  d = await serve();
  rootfs = join(d.dir, "rootfs");
  mkdirSync(join(rootfs, "etc"), { recursive: true });
  mkdirSync(join(rootfs, "bin"));
  writeFileSync(join(rootfs, "etc", "greeting"), "hello, world\n");
  writeFileSync(join(rootfs, "bin", "hello"), "#!/bin/sh\n", { mode: 0o755 });
  symlinkSync("greeting", join(rootfs, "etc", "motd"));
});
afterAll(async () => {
  await d.stop();
  d.remove();
});

const tarOf = (dir: string, gzip = false) =>
  execFileSync("tar", ["-C", dir, gzip ? "-cz" : "-c", "--owner=0", "--group=0", "."]);

describe("docker import", () => {
  test("a plain and a gzip tar become one-layer images with the changes and the message", async () => {
    const plain = await d.docker(
      ["import", "-c", 'CMD ["/bin/hello"]', "-c", "ENV A=1", "-m", "first", "-", "base:1"],
      tarOf(rootfs),
    );
    expect(plain.code, plain.err).toBe(0);
    const id = plain.out.trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    const inspect = await d.docker([
      "image",
      "inspect",
      "-f",
      "{{json .Config.Cmd}} {{json .Config.Env}} {{.Comment}} {{len .RootFS.Layers}} {{.Os}}",
      "base:1",
    ]);
    expect(inspect.out).toBe('["/bin/hello"] ["A=1"] first 1 linux\n');
    const history = await d.docker(["history", "--format", "{{.Comment}}", "base:1"]);
    expect(history.out).toBe("first\n");

    const gz = await d.docker(["import", "-", "gz:1"], tarOf(rootfs, true));
    expect(gz.code, gz.err).toBe(0);
    // The same files: the same layer, whatever the compression on the way.
    const layers = await d.docker(["image", "inspect", "-f", "{{json .RootFS.Layers}}", "base:1", "gz:1"]);
    const [a, b] = layers.out.trim().split("\n");
    expect(a).toBe(b);
    expect((await d.docker(["history", "--format", "{{.Comment}}", "gz:1"])).out).toBe("Imported from -\n");

    // Its files are the tar's, as a container sees them.
    expect((await d.docker(["create", "--name", "imported", "base:1"])).code).toBe(0);
    const out = await d.docker(["cp", "imported:/etc/greeting", "-"]);
    expect(out.out).toContain("hello, world\n");
    const motd = await d.docker(["cp", "imported:/etc/motd", join(d.dir, "motd")]);
    expect(motd.code, motd.err).toBe(0);
  });

  test("a hostile tar is refused whole and leaves nothing; a URL source is refused", async () => {
    const before = (await d.docker(["images", "-a", "-q", "--no-trunc"])).out;
    const evil = join(d.dir, "evil");
    mkdirSync(join(evil, "x"), { recursive: true });
    writeFileSync(join(evil, "x", "f"), "x");
    const escaping = execFileSync("tar", ["-C", evil, "-c", "--transform", "s,^x/f,../../etc/f,", "x/f"]);
    const r = await d.docker(["import", "-", "evil:1"], escaping);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/tar entry .*\.\.\/\.\.\/etc\/f/);
    const garbage = await d.docker(["import", "-", "junk:1"], Buffer.from("not a tar at all"));
    expect(garbage.code).toBe(1);
    expect((await d.docker(["images", "-a", "-q", "--no-trunc"])).out).toBe(before);
    const url = await d.docker(["import", "http://127.0.0.1:1/rootfs.tar", "u:1"]);
    expect(url).toMatchObject({
      code: 1,
      err: expect.stringMatching(/^Error response from daemon: strata fetches nothing from the network/),
    });
  });
});
