/**
 * `docker save` and `docker load` with the real docker CLI (28.2): the archive current `docker save`
 * writes, a save | rmi | load round trip that gives back the image (its id, config, history and
 * creation time), the names save selects, load's lines
 * and its errors (in-band, as dockerd sends them), and the upload bound.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DockerServer } from "@strata/docker";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api } from "./support/api.js";
import { seedImageOf, seedLayer } from "./support/images.js";
import { type DockerRun, runDocker, type Served, serve } from "./support/served.js";

let d: Served;
let layer: string;
beforeAll(async () => {
  d = await serve();
  layer = await seedLayer(d.engine, "base", { "hello.txt": "hello\n", "data.bin": "z".repeat(1500) });
  await seedImageOf(d.engine, [layer], ["web:1", "web:2"], {
    env: ["PATH=/bin", "MODE=prod"],
    entrypoint: ["/bin/web"],
    cmd: ["serve"],
    labels: { team: "core" },
    exposedPorts: ["8080/tcp"],
  });
});
afterAll(async () => {
  await d.stop();
  d.remove();
});

const ok = (r: DockerRun) => {
  expect(r.code, r.err).toBe(0);
  return r.out;
};
const tarList = (file: string) => execFileSync("tar", ["tf", file]).toString().trim().split("\n");
const tarFile = (file: string, member: string) => execFileSync("tar", ["xOf", file, member]).toString();
const inspect = async (ref: string) => JSON.parse(ok(await d.docker(["image", "inspect", ref])))[0];
const history = async (ref: string) =>
  ok(
    await d.docker([
      "history",
      "--no-trunc",
      "--format",
      "{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}",
      ref,
    ]),
  );

describe("docker save", () => {
  test("the archive of current docker save: the OCI layout, manifest.json, repositories", async () => {
    const file = join(d.dir, "web.tar");
    ok(await d.docker(["save", "-o", file, "web:1"]));
    expect(tarList(file)).toEqual(
      expect.arrayContaining(["blobs/sha256/", "index.json", "manifest.json", "oci-layout", "repositories"]),
    );
    const [entry, ...more] = JSON.parse(tarFile(file, "manifest.json"));
    expect(more).toEqual([]);
    expect(entry).toMatchObject({
      RepoTags: ["web:1"],
      Layers: [expect.stringMatching(/^blobs\/sha256\/[0-9a-f]{64}$/)],
    });
    const config = JSON.parse(tarFile(file, entry.Config));
    expect(config).toMatchObject({
      architecture: "amd64",
      os: "linux",
      config: {
        Env: ["PATH=/bin", "MODE=prod"],
        Entrypoint: ["/bin/web"],
        Cmd: ["serve"],
        Labels: { team: "core" },
      },
      rootfs: { type: "layers", diff_ids: [expect.stringMatching(/^sha256:/)] },
    });
    expect(JSON.parse(tarFile(file, "repositories"))).toEqual({
      web: { "1": expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    expect(tarFile(file, "oci-layout")).toContain('"imageLayoutVersion":"1.0.0"');
  });

  test("names select as dockerd's do: a repository is all its tags, an id no tag; errors before any byte", async () => {
    const file = join(d.dir, "sel.tar");
    ok(await d.docker(["save", "-o", file, "web"]));
    expect(JSON.parse(tarFile(file, "manifest.json"))[0].RepoTags).toEqual(["web:1", "web:2"]);
    const id = (await inspect("web:1")).Id as string;
    ok(await d.docker(["save", "-o", file, id.slice(7, 19)]));
    expect(JSON.parse(tarFile(file, "manifest.json"))[0].RepoTags).toEqual([]);
    expect(await d.docker(["save", "-o", file, "nosuch"])).toMatchObject({
      code: 1,
      err: "Error response from daemon: No such image: nosuch\n",
    });
    expect(await d.docker(["save", "-o", file, "web:3"])).toMatchObject({
      code: 1,
      err: "Error response from daemon: reference does not exist\n",
    });
  });
});

describe("docker load", () => {
  test("save | rmi | load gives the image back: its id, config, history, created", async () => {
    const file = join(d.dir, "round.tar");
    const before = await inspect("web:1");
    const beforeHistory = await history("web:1");
    ok(await d.docker(["save", "-o", file, "web"]));
    expect(ok(await d.docker(["rmi", "web:1", "web:2"]))).toMatch(
      /^Untagged: web:1\nUntagged: web:2\nDeleted: /,
    );
    expect(ok(await d.docker(["load", "-i", file]))).toBe("Loaded image: web:1\nLoaded image: web:2\n");
    const loaded = await inspect("web:1");
    expect(loaded).toMatchObject({
      RepoTags: ["web:1", "web:2"],
      Config: before.Config,
      Created: before.Created,
      Size: before.Size,
    });
    // An image's id is its config's digest, as dockerd's: the one Strata made keeps it through the round.
    expect(loaded.Id).toBe(`sha256:${JSON.parse(tarFile(file, "manifest.json"))[0].Config.slice(13)}`);
    expect(loaded.Id).toBe(before.Id);
    expect(await history("web:1")).toBe(beforeHistory);
    // Saved, removed and loaded again: the same id, the same history.
    ok(await d.docker(["save", "-o", file, "web:1"]));
    ok(await d.docker(["rmi", "-f", loaded.Id]));
    expect(ok(await d.docker(["load", "-i", file]))).toBe("Loaded image: web:1\n");
    expect((await inspect("web:1")).Id).toBe(loaded.Id);
    expect((await history("web:1")).replaceAll(loaded.Id, before.Id)).toBe(beforeHistory);
    // Loading what is there already only (re)tags it.
    expect(ok(await d.docker(["load", "-q", "-i", file]))).toBe("Loaded image: web:1\n");
  });

  test("save | load of an image Strata made, kept: named by its config's digest, it is only tagged again", async () => {
    const made = await seedImageOf(d.engine, [layer], ["made:1"], { cmd: ["serve"] });
    const file = join(d.dir, "made.tar");
    ok(await d.docker(["save", "-o", file, "made:1"]));
    expect(ok(await d.docker(["load", "-i", file]))).toBe("Loaded image: made:1\n");
    expect((await inspect("made:1")).Id).toBe(made);
    ok(await d.docker(["rmi", "made:1"]));
  });

  test("save | load of an image given an id of its own, kept: the load is another image, the first left dangling", async () => {
    const given = `sha256:${"ab".repeat(32)}`;
    const r = await d.engine.execute({
      type: "image.create",
      imageId: given,
      layers: [{ id: layer, parent: null, createdBy: "step 0" }],
      tags: ["given:1"],
      cmd: ["serve"],
    });
    expect(r.ok).toBe(true);
    const file = join(d.dir, "given.tar");
    ok(await d.docker(["save", "-o", file, "given:1"]));
    expect(ok(await d.docker(["load", "-i", file]))).toBe(
      `The image given:1 already exists, renaming the old one with ID ${given} to empty string\nLoaded image: given:1\n`,
    );
    const loaded = (await inspect("given:1")).Id;
    expect(loaded).not.toBe(given);
    expect((await inspect(given)).RepoTags).toEqual([]);
    ok(await d.docker(["rmi", given, "given:1"]));
  });

  test("a tag that named another image moves, as dockerd says; an untagged image is listed by id", async () => {
    const file = join(d.dir, "moved.tar");
    ok(await d.docker(["save", "-o", file, "web:1"]));
    const other = await seedImageOf(d.engine, [layer], ["spare:1"], { cmd: ["other"] });
    ok(await d.docker(["tag", "spare:1", "web:1"]));
    expect(ok(await d.docker(["load", "-i", file]))).toBe(
      `The image web:1 already exists, renaming the old one with ID ${other} to empty string\nLoaded image: web:1\n`,
    );
    ok(await d.docker(["save", "-o", file, other]));
    ok(await d.docker(["rmi", "spare:1"]));
    expect(ok(await d.docker(["load"], readFileSync(file)))).toMatch(
      /^Loaded image ID: sha256:[0-9a-f]{64}\n$/,
    );
  });

  test("regression: two images tagged latest, saved together, load back each with its name", async () => {
    const other = await seedLayer(d.engine, "other", { "other.txt": "other\n" });
    await seedImageOf(d.engine, [layer], ["front:latest"], { cmd: ["front"] });
    await seedImageOf(d.engine, [other], ["back:latest"], { cmd: ["back"] });
    const file = join(d.dir, "latests.tar");
    ok(await d.docker(["save", "-o", file, "front:latest", "back:latest"]));
    const index = JSON.parse(tarFile(file, "index.json"));
    expect(index.manifests.map((m: { annotations: Record<string, string> }) => m.annotations)).toEqual([
      {
        "io.containerd.image.name": "docker.io/library/front:latest",
        "org.opencontainers.image.ref.name": "latest",
      },
      {
        "io.containerd.image.name": "docker.io/library/back:latest",
        "org.opencontainers.image.ref.name": "latest",
      },
    ]);
    ok(await d.docker(["rmi", "front:latest", "back:latest"]));
    // Was: "Loaded image: front:latest" alone, back:latest left <none>.
    expect(ok(await d.docker(["load", "-i", file]))).toBe(
      "Loaded image: front:latest\nLoaded image: back:latest\n",
    );
    expect((await inspect("back:latest")).Config.Cmd).toEqual(["back"]);
  });

  test("a gzip-compressed archive loads, as dockerd takes it", async () => {
    const file = join(d.dir, "gz.tar");
    ok(await d.docker(["save", "-o", file, "web:1"]));
    ok(await d.docker(["rmi", "-f", "web:1"]));
    expect(ok(await d.docker(["load"], gzipSync(readFileSync(file))))).toBe("Loaded image: web:1\n");
  });

  test("what is not an image archive: dockerd's in-band error, exit 1; quiet=0 shows progress", async () => {
    const garbage = await d.docker(["load"], Buffer.from("not a tar archive at all"));
    expect(garbage.code).toBe(1);
    expect(garbage.err).toMatch(/^.*(tar|archive).*\n$/);
    expect(garbage.err).not.toMatch(/Error response from daemon|strata-load-/);
    const file = join(d.dir, "progress.tar");
    ok(await d.docker(["save", "-o", file, "web:1"]));
    ok(await d.docker(["rmi", "-f", "web:1"]));
    const r = await api(d.socket, "POST", "/v1.50/images/load?quiet=0", readFileSync(file));
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json");
    const messages = r.text
      .trimEnd()
      .split("\r\n")
      .map((l) => JSON.parse(l));
    expect(messages[0]).toMatchObject({
      status: "Loading layer",
      progressDetail: { current: expect.any(Number) },
    });
    expect(messages.at(-1)).toEqual({ stream: "Loaded image: web:1\n" });
  });

  test("an upload past maxUploadBytes is refused, 413, before anything is imported", async () => {
    const small = new DockerServer({
      backend: { engine: d.engine, name: "small", id: "small", location: "memory:" },
      maxUploadBytes: 1024,
    });
    const socket = join(d.dir, "small.sock");
    await small.listen({ socket });
    try {
      const seq = d.engine.seq;
      const r = await runDocker(
        ["load"],
        { ...process.env, DOCKER_HOST: `unix://${socket}` },
        Buffer.alloc(64 * 1024),
      );
      expect(r).toMatchObject({
        code: 1,
        err: "Error response from daemon: request body is larger than 1024 bytes\n",
      });
      expect(d.engine.seq).toBe(seq);
    } finally {
      await small.close();
    }
  });
});
