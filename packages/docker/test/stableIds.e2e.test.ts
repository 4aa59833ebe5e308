/**
 * Image ids survive `docker save` and `docker load` with the real docker client, as with dockerd: an
 * image `docker import` made, one `docker commit` made and one made in the engine keep their id, their
 * layers' DiffIDs and their tags through save | rmi | load; loading what is held already only tags
 * it (no "renaming the old one"); and a save's layer is the very tar `docker import` was given.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { seedImageOf, seedLayer } from "./support/images.js";
import { type DockerRun, type Served, serve } from "./support/served.js";

let d: Served;
beforeAll(async () => {
  d = await serve();
});
afterAll(async () => {
  await d.stop();
  d.remove();
});

const ok = (r: DockerRun) => {
  expect(r.code, r.err).toBe(0);
  return r.out;
};
const facts = async (ref: string) => {
  const [image] = JSON.parse(ok(await d.docker(["image", "inspect", ref])));
  return {
    id: image.Id as string,
    layers: image.RootFS.Layers as string[],
    tags: image.RepoTags as string[],
  };
};
const RUNS = Number(process.env.STRATA_DOCKER_RUNS ?? 4);
/** Each image of a `docker save` archive: its config's digest, tags and DiffIDs. */
const diffIdsIn = (file: string) =>
  JSON.parse(execFileSync("tar", ["xOf", file, "manifest.json"]).toString()).map(
    (m: { Config: string; RepoTags: string[] }) => ({
      config: m.Config,
      tags: m.RepoTags,
      diffIds: JSON.parse(execFileSync("tar", ["xOf", file, m.Config]).toString()).rootfs.diff_ids,
    }),
  );
let n = 0;

/** A random root filesystem: files (random bytes and modes) in a few directories. */
const genTree = fc.array(
  fc.record({
    dir: fc.constantFrom("", "etc", "usr/lib", "var/a/b"),
    name: fc.stringMatching(/^[a-z0-9_-]{1,16}$/),
    body: fc.uint8Array({ maxLength: 4000 }),
    mode: fc.constantFrom(0o644, 0o755, 0o600),
  }),
  { minLength: 1, maxLength: 8 },
);

describe("save | rmi | load keeps ids, DiffIDs and tags", () => {
  test("property: docker import, docker commit, and an image made in the engine", async () => {
    await fc.assert(
      fc.asyncProperty(genTree, fc.boolean(), async (files, gzip) => {
        const k = n++;
        const root = join(d.dir, `root-${k}`);
        for (const f of files) {
          mkdirSync(join(root, f.dir), { recursive: true });
          writeFileSync(join(root, f.dir, f.name), f.body, { mode: f.mode });
        }
        const tarball = execFileSync("tar", ["-C", root, gzip ? "-cz" : "-c", "--owner=0", "--group=0", "."]);
        const imported = ok(await d.docker(["import", "-m", "random", "-", `imp${k}:a`], tarball)).trim();
        ok(await d.docker(["create", "--name", `box${k}`, `imp${k}:a`, "sh"]));
        writeFileSync(join(d.dir, `note-${k}`), `note ${k}\n`);
        ok(await d.docker(["cp", join(d.dir, `note-${k}`), `box${k}:/note`]));
        const committed = ok(await d.docker(["commit", "-m", "noted", `box${k}`, `com${k}:b`])).trim();
        const layer = await seedLayer(d.engine, `made${k}`, { [`f${k}`]: `made ${k}\n` });
        await seedImageOf(d.engine, [layer], [`made${k}:c`, `made${k}:d`], { cmd: ["run"] });
        // Tags of distinct tag parts: an OCI layout names images by them (org.opencontainers.image.ref.name).
        const refs = [`imp${k}:a`, `com${k}:b`, `made${k}:c`, `made${k}:d`];
        const before = await Promise.all(refs.map(facts));
        expect(before[0]?.id).toBe(imported);
        expect(before[1]?.id).toBe(committed);

        const file = join(d.dir, `saved-${k}.tar`);
        ok(await d.docker(["save", "-o", file, ...refs]));
        // The layer docker import was given is in the archive as it was (its digest is its DiffID).
        const plain = gzip ? execFileSync("gzip", ["-dc"], { input: tarball }) : tarball;
        const manifest = JSON.parse(execFileSync("tar", ["xOf", file, "manifest.json"]).toString());
        const layerMember = manifest.find((m: { RepoTags: string[] }) => m.RepoTags.includes(`imp${k}:a`))
          .Layers[0];
        expect(execFileSync("tar", ["xOf", file, layerMember]).equals(plain)).toBe(true);

        // Loading what is held already only tags it: no renaming, no second image.
        const again = ok(await d.docker(["load", "-i", file]));
        expect(again).not.toContain("renaming");
        expect(await Promise.all(refs.map(facts))).toEqual(before);

        ok(await d.docker(["rm", `box${k}`]));
        ok(await d.docker(["rmi", ...refs]));
        ok(await d.docker(["load", "-i", file]));
        // The same ids and tags; the layers the same DiffIDs (those `docker inspect` shows are the layers'
        // ids: the DiffIDs for imported and committed layers; a layer made in the engine with an id of
        // its own is known by its DiffID once loaded).
        const after = await Promise.all(refs.map(facts));
        expect(after.map((f) => [f.id, f.tags])).toEqual(before.map((f) => [f.id, f.tags]));
        expect(after.slice(0, 2)).toEqual(before.slice(0, 2));
        const resaved = join(d.dir, `resaved-${k}.tar`);
        ok(await d.docker(["save", "-o", resaved, ...refs]));
        expect(diffIdsIn(resaved)).toEqual(diffIdsIn(file));
        // Nothing dangles: a prune finds nothing of these to delete.
        const pruned = ok(await d.docker(["image", "prune", "-f"]));
        for (const f of before) expect(pruned).not.toContain(f.id);
      }),
      { numRuns: RUNS },
    );
  });

  test("docker save base:1 | docker load: the same image, only tagged again", async () => {
    const root = join(d.dir, "root-base");
    mkdirSync(join(root, "bin"), { recursive: true });
    writeFileSync(join(root, "bin", "sh"), "#!/bin/sh\n", { mode: 0o755 });
    const id = ok(
      await d.docker(["import", "-", "base:1"], execFileSync("tar", ["-C", root, "-c", "."])),
    ).trim();
    const file = join(d.dir, "base.tar");
    ok(await d.docker(["save", "-o", file, "base:1"]));
    expect(ok(await d.docker(["load"], readFileSync(file)))).toBe("Loaded image: base:1\n");
    expect((await facts("base:1")).id).toBe(id);
    const images = ok(await d.docker(["images", "-a", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]));
    expect(images.split("\n").filter((l) => l.endsWith(id.slice(7, 19)))).toEqual([
      `base:1 ${id.slice(7, 19)}`,
    ]);
  });
});
