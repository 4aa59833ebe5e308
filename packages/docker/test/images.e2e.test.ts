/**
 * The real docker CLI (28.2) drives `strata serve`'s images: list, inspect, history, tag, rmi, prune,
 * commit and pull, with what dockerd 28 (graphdriver store) prints, its exit codes and its words.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { seedImageOf, seedLayer, tick } from "./support/images.js";
import { type DockerRun, type Served, serve } from "./support/served.js";

let d: Served;
let base: string;
let app: string;
let baseLayer: string;
/** The unnamed commit (a dangling image) the commit test leaves. */
let bare = "";
beforeAll(async () => {
  d = await serve();
  baseLayer = await seedLayer(d.engine, "base", { "a.txt": "hello\n", "b.txt": "0123456789" });
  base = await seedImageOf(d.engine, [baseLayer], ["base:1"], { labels: { tier: "base" } });
  await tick();
  const appLayer = await seedLayer(d.engine, "app", { "app.js": "x".repeat(2000) });
  app = await seedImageOf(d.engine, [baseLayer, appLayer], ["app:1", "docker.io/library/app:2"], {
    labels: { tier: "app", team: "web" },
    env: ["PATH=/bin", "MODE=prod"],
    entrypoint: ["/bin/app"],
    cmd: ["serve"],
    exposedPorts: ["80/tcp", "443/tcp"],
    workingDir: "/srv",
    user: "app",
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
const lines = (r: DockerRun) => ok(r).trim().split("\n");
const short = (id: string) => id.slice(7, 19);
const fails = (r: DockerRun, err: string) => expect(r).toMatchObject({ code: 1, err: `${err}\n` });

describe("docker images", () => {
  test("rows newest first, one per tag, fully-qualified names shown familiar; -q, --digests, --format", async () => {
    expect(
      lines(await d.docker(["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}"])),
    ).toEqual([`app:1 ${short(app)} 2.02kB`, `app:2 ${short(app)} 2.02kB`, `base:1 ${short(base)} 16B`]);
    expect(lines(await d.docker(["images", "-q"]))).toEqual([short(app), short(app), short(base)]);
    expect(lines(await d.docker(["images", "--digests", "--format", "{{.Repository}} {{.Digest}}"]))).toEqual(
      ["app <none>", "app <none>", "base <none>"],
    );
    const row = JSON.parse(lines(await d.docker(["images", "--format", "{{json .}}", "base"]))[0] as string);
    expect(row).toMatchObject({
      Repository: "base",
      Tag: "1",
      ID: short(base),
      Size: "16B",
      Containers: "N/A",
    });
    expect(ok(await d.docker(["images"]))).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n/);
  });

  test("filters: reference (a glob), label, before/since, dangling, until; bad ones in dockerd's words", async () => {
    const names = async (...args: string[]) =>
      lines(await d.docker(["images", ...args, "--format", "{{.Repository}}:{{.Tag}}"])).filter(
        (l) => l !== "",
      );
    expect(await names("--filter", "reference=app:*")).toEqual(["app:1", "app:2"]);
    expect(await names("--filter", "reference=ba*")).toEqual(["base:1"]);
    expect(await names("app")).toEqual(["app:1", "app:2"]);
    expect(await names("--filter", "label=tier=base")).toEqual(["base:1"]);
    expect(await names("--filter", "label=team")).toEqual(["app:1", "app:2"]);
    expect(await names("--filter", "label=tier", "--filter", "label=team=web")).toEqual(["app:1", "app:2"]);
    expect(await names("--filter", "before=app:1")).toEqual(["base:1"]);
    expect(await names("--filter", `since=${short(base)}`)).toEqual(["app:1", "app:2"]);
    expect(await names("--filter", "dangling=true")).toEqual([]);
    expect(await names("--filter", "until=2000-01-01")).toEqual([]);
    expect(await names("--filter", "until=1s").then((n) => n.length)).toBeLessThanOrEqual(3);
    fails(
      await d.docker(["images", "--filter", "since=nosuch"]),
      "Error response from daemon: No such image: nosuch:latest",
    );
    fails(
      await d.docker(["images", "--filter", "dangling=maybe"]),
      "Error response from daemon: invalid filter 'dangling=[maybe]'",
    );
    fails(
      await d.docker(["images", "--filter", "status=x"]),
      "Error response from daemon: invalid filter 'status'",
    );
    fails(
      await d.docker(["images", "--filter", "until=soon"]),
      'Error response from daemon: failed to parse value as time or duration: "soon"',
    );
    fails(
      await d.docker(["images", "--filter", "reference=[x"]),
      "Error response from daemon: syntax error in pattern",
    );
  });
});

describe("docker image inspect and history", () => {
  test("inspect: moby's fields in moby's order, the OCI config, RootFS layers, RFC 3339 Created", async () => {
    const [img] = JSON.parse(ok(await d.docker(["image", "inspect", "docker.io/library/app:2"])));
    expect(Object.keys(img)).toEqual([
      "Id",
      "RepoTags",
      "RepoDigests",
      "Parent",
      "Comment",
      "Created",
      "DockerVersion",
      "Author",
      "Config",
      "Architecture",
      "Os",
      "Size",
      "GraphDriver",
      "RootFS",
      "Metadata",
    ]);
    expect(img).toMatchObject({
      Id: app,
      RepoTags: ["app:1", "app:2"],
      RepoDigests: [],
      Parent: "",
      Os: "linux",
      Size: 2016,
      RootFS: { Type: "layers", Layers: [baseLayer, expect.stringMatching(/^sha256:/)] },
      Metadata: { LastTagTime: "0001-01-01T00:00:00Z" },
    });
    expect(img.Created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(img.Config).toEqual({
      User: "app",
      ExposedPorts: { "443/tcp": {}, "80/tcp": {} },
      Env: ["PATH=/bin", "MODE=prod"],
      Entrypoint: ["/bin/app"],
      Cmd: ["serve"],
      WorkingDir: "/srv",
      Labels: { team: "web", tier: "app" },
    });
    expect(ok(await d.docker(["image", "inspect", "-f", "{{.Id}} {{.Size}}", short(app)])).trim()).toBe(
      `${app} 2016`,
    );
    expect(await d.docker(["image", "inspect", "nosuch"])).toMatchObject({
      code: 1,
      out: "[]\n",
      err: "Error response from daemon: No such image: nosuch:latest\n",
    });
    fails(
      await d.docker(["image", "inspect", "Upper"]),
      "Error response from daemon: invalid reference format: repository name (library/Upper) must be lowercase",
    );
  });

  test("history: newest first, <missing> below the image, sizes per layer; --no-trunc, --format", async () => {
    expect(
      lines(await d.docker(["history", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Size}}", "app:1"])),
    ).toEqual([`${short(app)}|step 1|2kB`, "<missing>|step 0|16B"]);
    expect(lines(await d.docker(["history", "--no-trunc", "-q", "app:1"]))).toEqual([app, "<missing>"]);
    fails(await d.docker(["history", "nosuch:2"]), "Error response from daemon: No such image: nosuch:2");
  });
});

describe("docker push", () => {
  test("there is no registry: a name held is 501 with what to do instead, one not held is dockerd's 404", async () => {
    fails(
      await d.docker(["push", "base:1"]),
      "Error response from daemon: strata has no registry to push base:1 to: save it with docker save",
    );
    fails(
      await d.docker(["push", "nosuch:1"]),
      "Error response from daemon: An image does not exist locally with the tag: nosuch",
    );
  });
});

describe("docker tag and rmi", () => {
  test("tag: the client's fully-qualified repo is stored familiar; a moved tag; errors", async () => {
    ok(await d.docker(["tag", "base:1", "me/base"]));
    ok(await d.docker(["tag", base, "localhost:5000/base:v1"]));
    ok(await d.docker(["tag", "app:1", "me/base:latest"])); // moves from base to app
    const tags = async (ref: string) =>
      JSON.parse(ok(await d.docker(["image", "inspect", "-f", "{{json .RepoTags}}", ref])));
    expect(await tags("base:1")).toEqual(["base:1", "localhost:5000/base:v1"]);
    expect(await tags("me/base")).toEqual(["app:1", "app:2", "me/base:latest"]);
    const [img] = JSON.parse(ok(await d.docker(["image", "inspect", "me/base"])));
    expect(img.Metadata.LastTagTime).not.toBe("0001-01-01T00:00:00Z");
    fails(await d.docker(["tag", "nosuch", "x"]), "Error response from daemon: No such image: nosuch:latest");
    fails(
      await d.docker(["tag", "base:1", "sha256:1"]),
      "Error response from daemon: refusing to create an ambiguous tag using digest algorithm as name",
    );
    expect(lines(await d.docker(["rmi", "me/base", "localhost:5000/base:v1"]))).toEqual([
      "Untagged: me/base:latest",
      "Untagged: localhost:5000/base:v1",
    ]);
  });

  test("rmi: conflicts in dockerd's words; -f; a missing image with -f exits 0; the Untagged/Deleted list", async () => {
    const layer = await seedLayer(d.engine, "tmp", { f: "12345" });
    const img = await seedImageOf(d.engine, [baseLayer, layer], ["tmp:b", "tmp:latest"]);
    fails(
      await d.docker(["rmi", short(img)]),
      `Error response from daemon: conflict: unable to delete ${short(img)} (must be forced) - image is referenced in multiple repositories`,
    );
    const c = ok(await d.docker(["create", "--name", "user", "tmp", "sleep", "100"])).trim();
    expect(lines(await d.docker(["rmi", "tmp:b"]))).toEqual(["Untagged: tmp:b"]);
    fails(
      await d.docker(["rmi", "tmp"]),
      `Error response from daemon: conflict: unable to remove repository reference "tmp" (must force) - container ${c.slice(0, 12)} is using its referenced image ${short(img)}`,
    );
    fails(
      await d.docker(["rmi", img]),
      `Error response from daemon: conflict: unable to delete ${short(img)} (must be forced) - image is being used by stopped container ${c.slice(0, 12)}`,
    );
    ok(await d.docker(["start", "user"]));
    fails(
      await d.docker(["rmi", "-f", img]),
      `Error response from daemon: conflict: unable to delete ${short(img)} (cannot be forced) - image is being used by running container ${c.slice(0, 12)}`,
    );
    ok(await d.docker(["rm", "-f", "user"]));
    ok(await d.docker(["tag", "tmp", "tmp:b"]));
    // Forced by id: every tag (sorted), the image, then the layer only it held.
    const out = lines(await d.docker(["rmi", "-f", short(img)]));
    expect(out.slice(0, 3)).toEqual(["Untagged: tmp:b", "Untagged: tmp:latest", `Deleted: ${img}`]);
    expect(out.slice(3)).toEqual([expect.stringMatching(/^Deleted: sha256:[0-9a-f]{64}$/)]);
    expect(await d.docker(["rmi", "-f", "nosuch", "base:1"])).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^Untagged: base:1\n/),
      err: "Error response from daemon: No such image: nosuch:latest\n",
    });
    fails(await d.docker(["rmi", "nosuch"]), "Error response from daemon: No such image: nosuch:latest");
  });
});

describe("docker commit, image prune, pull", () => {
  test("commit -m -a -c: a child image with the changes, its history and parent; errors", async () => {
    ok(await d.docker(["run", "-d", "--name", "src", "-e", "A=1", "app:1", "serve", "--port", "80"]));
    const id = ok(
      await d.docker([
        "commit",
        "-m",
        "snapshot",
        "-a",
        "me",
        "-c",
        "ENV B=2",
        "-c",
        'CMD ["run"]',
        "src",
        "snap:1",
      ]),
    ).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(ok(await d.docker(["inspect", "-f", "{{.State.Status}}", "src"])).trim()).toBe("running");
    const [img] = JSON.parse(ok(await d.docker(["image", "inspect", "snap:1"])));
    expect(img).toMatchObject({
      Id: id,
      Parent: app,
      Comment: "snapshot",
      Author: "me",
      RepoTags: ["snap:1"],
    });
    expect(img.Config).toMatchObject({ Env: ["A=1", "PATH=/bin", "MODE=prod", "B=2"], Cmd: ["run"] });
    expect(img.Metadata.LastTagTime).not.toBe("0001-01-01T00:00:00Z");
    expect(lines(await d.docker(["history", "--format", "{{.ID}} {{.Comment}}", "snap:1"]))).toEqual([
      `${short(id)} snapshot`,
      `${short(app)} `,
      "<missing>",
    ]);
    // Unnamed, without pausing.
    bare = ok(await d.docker(["commit", "--pause=false", "src"])).trim();
    expect(JSON.parse(ok(await d.docker(["image", "inspect", "-f", "{{json .RepoTags}}", bare])))).toEqual(
      [],
    );
    fails(
      await d.docker(["commit", "-c", "RUN x", "src"]),
      "Error response from daemon: RUN is not a valid change command",
    );
    fails(await d.docker(["commit", "nosuch"]), "Error response from daemon: No such container: nosuch");
    // The parent of a committed image cannot be deleted by id, even forced.
    fails(
      await d.docker(["rmi", "-f", app]),
      `Error response from daemon: conflict: unable to delete ${short(app)} (cannot be forced) - image has dependent child images`,
    );
    ok(await d.docker(["rm", "-f", "src"]));
  });

  test("image prune: dangling only, then -a; its lines and the space reclaimed; filters", async () => {
    const layer = await seedLayer(d.engine, "dangling", { big: "y".repeat(3000) });
    const dangling = await seedImageOf(d.engine, [baseLayer, layer], []);
    expect(lines(await d.docker(["images", "--filter", "dangling=true", "-q"]))).toEqual([
      short(dangling),
      short(bare),
    ]);
    // Both go; the layer only the new one had is released (the empty commit added none).
    const pruned = ok(await d.docker(["image", "prune", "-f"])).split("\n");
    expect(pruned[0]).toBe("Deleted Images:");
    const deleted = pruned.slice(1, 4);
    expect(deleted).toEqual(expect.arrayContaining([`deleted: ${dangling}`, `deleted: ${bare}`]));
    expect(deleted.filter((l) => l !== `deleted: ${dangling}` && l !== `deleted: ${bare}`)).toEqual([
      expect.stringMatching(/^deleted: sha256:[0-9a-f]{64}$/),
    ]);
    // dockerd lists an image's released layers right after it.
    const layerLine = deleted.findIndex((l) => l !== `deleted: ${dangling}` && l !== `deleted: ${bare}`);
    expect(layerLine).toBe(deleted.indexOf(`deleted: ${dangling}`) + 1);
    expect(pruned.slice(4)).toEqual(["", "Total reclaimed space: 3kB", ""]);
    expect(ok(await d.docker(["image", "prune", "-f"]))).toBe("Total reclaimed space: 0B\n");
    expect(ok(await d.docker(["image", "prune", "-a", "-f", "--filter", "label=nope"]))).toBe(
      "Total reclaimed space: 0B\n",
    );
    expect(ok(await d.docker(["image", "prune", "-a", "-f", "--filter", "until=2000-01-01T00:00:00Z"]))).toBe(
      "Total reclaimed space: 0B\n",
    );
    fails(
      await d.docker(["image", "prune", "-f", "--filter", "status=x"]),
      "Error response from daemon: invalid filter 'status'",
    );
    const all = ok(await d.docker(["image", "prune", "-a", "-f"]));
    expect(all).toMatch(
      // Per image its untags, then it and its layers; the images' order follows their ids, which vary.
      /^Deleted Images:\n((untagged: \S+\n)*(deleted: sha256:[0-9a-f]{64}\n)+)+\nTotal reclaimed space: \S+B\n$/,
    );
    expect(all).toContain("untagged: snap:1\n");
    expect(ok(await d.docker(["images", "-aq"]))).toBe("");
  });
});

describe.each(["classic", "containerd"] as const)(
  "docker pull, run and create without a registry (%s store)",
  (store) => {
    let p: Served;
    beforeAll(async () => {
      p = await serve();
      if (store === "containerd") {
        const r = await p.engine.execute({ type: "daemon.configure", imageStore: store });
        if (!r.ok) throw r.error;
      }
      const layer = await seedLayer(p.engine, "base", { f: "1" });
      await seedImageOf(p.engine, [layer], ["here:1", "here:2", "me/here:1", "localhost:5000/here:3"]);
    });
    afterAll(async () => {
      await p.stop();
      p.remove();
    });
    /** What dockerd answers when the registry does not have the repository (moby distribution/errors.go). */
    const denied = (name: string) =>
      `Error response from daemon: pull access denied for ${name}, repository does not exist or may require 'docker login'${store === "classic" ? ": denied: requested access to the resource is denied" : ""}`;

    test("an image not here: refused at once, 404, in dockerd's words, exit 1 (pull, create) or 125 (run)", async () => {
      expect(await p.docker(["pull", "nosuch"])).toEqual({
        code: 1,
        out: "Using default tag: latest\n",
        err: `${denied("nosuch")}\n`,
      });
      expect(await p.docker(["pull", "-q", "me/nosuch:2"])).toEqual({
        code: 1,
        out: "",
        err: `${denied("me/nosuch")}\n`,
      });
      expect(await p.docker(["pull", "here:3"])).toEqual({ code: 1, out: "", err: `${denied("here")}\n` });
      expect(await p.docker(["pull", `here@sha256:${"a".repeat(64)}`])).toEqual({
        code: 1,
        out: "",
        err: `${denied("here")}\n`,
      });
      expect(await p.docker(["pull", "-a", "nosuch"])).toEqual({
        code: 1,
        out: "",
        err: `${denied("nosuch")}\n`,
      });
      expect(await p.docker(["pull", "localhost:5000/nosuch:1"])).toEqual({
        code: 1,
        out: "",
        err: `${denied("localhost:5000/nosuch")}\n`,
      });
      expect(await p.docker(["create", "nosuch"])).toEqual({
        code: 1,
        out: "",
        err: `Unable to find image 'nosuch:latest' locally\n${denied("nosuch")}\n`,
      });
      for (const args of [
        ["run", "nosuch"],
        ["run", "-d", "--rm", "nosuch", "true"],
      ])
        expect(await p.docker(args)).toEqual({
          code: 125,
          out: "",
          err: `Unable to find image 'nosuch:latest' locally\ndocker: ${denied("nosuch")}\n\nRun 'docker run --help' for more information\n`,
        });
      expect(await p.docker(["run", "--pull=always", "here:3"])).toEqual({
        code: 125,
        out: "",
        err: `docker: ${denied("here")}\n\nRun 'docker run --help' for more information\n`,
      });
      expect(await p.docker(["pull", "scratch"])).toMatchObject({
        code: 1,
        err: "Error response from daemon: 'scratch' is a reserved name\n",
      });
    });

    test("an image here is up to date; a name alone is every tag held in that repository", async () => {
      expect(ok(await p.docker(["pull", "here:1"]))).toBe(
        `1: Pulling from library/here\nStatus: Image is up to date for here:1\ndocker.io/library/here:1\n`,
      );
      expect(ok(await p.docker(["pull", "-q", "localhost:5000/here:3"]))).toBe("localhost:5000/here:3\n");
      const each = store === "classic" ? "" : "Status: Image is up to date for here:1\n";
      const last =
        store === "classic"
          ? "Status: Image is up to date for here\n"
          : "Status: Image is up to date for here:2\n";
      expect(ok(await p.docker(["pull", "-a", "here"]))).toBe(
        `1: Pulling from library/here\n${each}2: Pulling from library/here\n${last}docker.io/library/here\n`,
      );
      const run = await p.docker(["run", "--pull=always", "-d", "me/here:1", "true"]);
      expect(run).toMatchObject({
        code: 0,
        err: "1: Pulling from me/here\nStatus: Image is up to date for me/here:1\n",
      });
      expect(run.out).toMatch(/^[0-9a-f]{64}\n$/);
    });
  },
);
