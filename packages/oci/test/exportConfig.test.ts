/**
 * The OCI config an export writes carries the image's own config and history: what `commit --change`
 * set (Env, Entrypoint, Cmd, Labels, ExposedPorts, User, WorkingDir, StopSignal, Volumes, Healthcheck),
 * and a commit of an unchanged container as one history entry with `empty_layer` and no layer; and an
 * import keeps all of it (config, history, author, created), so an image exported and imported again is
 * the same image (the same config, hence the same id).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Command, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine } from "@strata/fs";
import { exportImage, hexOf, importImage } from "@strata/oci";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { importedConfig } from "../src/importedConfig.js";
import { ociHistory, ociRuntimeConfig } from "../src/ociConfig.js";

const tmp = tempDirs("strata-oci-config-");
const L1 = `sha256:${"1".repeat(64)}`;

function given() {
  const e = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("oci-config") });
  const run = (c: Command) => {
    const r = e.execute(c);
    if (!r.ok) throw r.error;
  };
  run({
    type: "layer.create",
    layerId: L1,
    entries: [{ type: "dir", path: "/etc", mode: 0o755, uid: 0, gid: 0, mtime: 0 }],
  });
  run({
    type: "image.create",
    layers: [{ id: L1, parent: null, createdBy: "ADD rootfs /" }],
    tags: ["base:1"],
    cmd: ["sh"],
  });
  run({ type: "container.create", image: "base:1", name: "web" });
  return { e, run };
}

function configOf(dir: string): {
  config: Record<string, unknown>;
  history: { created_by: string; empty_layer?: boolean; author?: string; comment: string }[];
  rootfs: { diff_ids: string[] };
  author?: string;
} {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
  const manifest = JSON.parse(
    readFileSync(join(dir, "blobs", "sha256", hexOf(index.manifests[0].digest)), "utf8"),
  );
  return JSON.parse(readFileSync(join(dir, "blobs", "sha256", hexOf(manifest.config.digest)), "utf8"));
}

describe("export: the image's config and history", () => {
  test("commit --change ENV, ENTRYPOINT, LABEL, EXPOSE, USER, WORKDIR, STOPSIGNAL reach the OCI config", async () => {
    const { e, run } = given();
    run({
      type: "container.commit",
      container: "web",
      tag: "app:1",
      author: "me",
      comment: "configured",
      changes: [
        "ENV MODE=prod",
        'ENTRYPOINT ["/app"]',
        'CMD ["serve"]',
        "LABEL team=core",
        "EXPOSE 8080",
        "USER app",
        "WORKDIR /srv",
        "STOPSIGNAL SIGINT",
        'VOLUME ["/data"]',
        "HEALTHCHECK --interval=5s CMD check",
      ],
    });
    const dir = tmp();
    await exportImage(e, "app:1", dir);
    const c = configOf(dir);
    expect(c.config).toEqual({
      User: "app",
      ExposedPorts: { "8080/tcp": {} },
      Env: ["MODE=prod"],
      Entrypoint: ["/app"],
      Cmd: ["serve"],
      Volumes: { "/data": {} },
      WorkingDir: "/srv",
      Labels: { team: "core" },
      StopSignal: "SIGINT",
      Healthcheck: { Test: ["CMD-SHELL", "check"], Interval: 5_000_000_000 },
    });
    expect(c.author).toBe("me");
    expect(c.history.at(-1)).toMatchObject({ created_by: "sh", author: "me", comment: "configured" });
  });

  test("a commit of an unchanged container: one more history entry, empty_layer, no layer", async () => {
    const { e, run } = given();
    run({ type: "container.commit", container: "web", tag: "same:1" });
    const dir = tmp();
    await exportImage(e, "same:1", dir);
    const c = configOf(dir);
    expect(c.history.map((h) => [h.created_by, h.empty_layer ?? false])).toEqual([
      ["ADD rootfs /", false],
      ["sh", true],
    ]);
    expect(c.rootfs.diff_ids).toHaveLength(1);
    expect(c.config).toEqual({ Cmd: ["sh"] });
  });

  test("empty history fields are left out, as Go's ocispec.History marshals them (omitempty): no comment without -m", async () => {
    const { e, run } = given();
    run({ type: "container.commit", container: "web", tag: "plain:1" });
    const dir = tmp();
    await exportImage(e, "plain:1", dir);
    const history = configOf(dir).history as unknown as Record<string, unknown>[];
    expect(history.map((h) => Object.keys(h))).toEqual([
      ["created", "created_by"],
      ["created", "created_by", "empty_layer"],
    ]);
    expect(ociHistory([{ created: 0, createdBy: "", comment: "", author: "", emptyLayer: false }])).toEqual([
      { created: "1970-01-01T00:00:00Z" },
    ]);
  });
});

describe("import: what the config says is kept", () => {
  test("config, history, author and created survive export and import; exported again, the id is the same", async () => {
    const { e, run } = given();
    run({
      type: "container.commit",
      container: "web",
      tag: "app:1",
      author: "me",
      comment: "configured",
      changes: [
        "ENV MODE=prod",
        'ENTRYPOINT ["/app"]',
        "LABEL b=2 a=1",
        "EXPOSE 90 80",
        "HEALTHCHECK CMD check",
      ],
    });
    const first = tmp();
    const exported = await exportImage(e, "app:1", first);
    const other = createFsEngine({ clock: simulatedClock(5_000_000), ids: sequentialIds("other") });
    const { imageId } = await importImage(other, first);
    expect(imageId).toBe(exported.config.digest);
    const source = e.state.images[e.state.tags["app:1"] as string];
    const imported = other.state.images[imageId];
    expect(imported).toMatchObject({
      config: source?.config,
      history: source?.history,
      author: "me",
      createdAt: source?.createdAt,
      tags: ["app:1"],
    });
    const again = tmp();
    expect((await exportImage(other, "app:1", again)).config.digest).toBe(imageId);
  });

  test("an image held already: refused by default; with existing: tag, only given the source's tags", async () => {
    const { e } = given();
    const dir = tmp();
    await exportImage(e, "base:1", dir, { tags: ["base:2"] });
    const other = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("again") });
    const { imageId } = await importImage(other, dir);
    other.execute({ type: "image.tag", image: imageId, tag: "moved:1" });
    const seq = other.state.seq;
    await expect(importImage(other, dir)).rejects.toThrow(`conflict: image ${imageId} already exists`);
    const again = await importImage(other, dir, { existing: "tag", tag: "moved:1" });
    expect(again).toMatchObject({ imageId, images: [{ imageId, tags: ["moved:1"], main: true }] });
    expect(other.state.seq).toBe(seq); // moved:1 already names it: nothing to do
    other.execute({ type: "image.remove", image: "base:2" });
    await importImage(other, dir, { existing: "tag" });
    expect(other.state.images[imageId]?.tags).toEqual(["moved:1", "base:2"]);
  });

  test("an untagged image in a docker save archive has no name (an OCI layout names it latest)", async () => {
    const { e } = given();
    const id = e.state.tags["base:1"] as string;
    e.execute({ type: "image.remove", image: "base:1", force: true });
    e.execute({ type: "image.create", imageId: id, layers: [{ id: L1, parent: null }], tags: [] });
    for (const [format, annotations] of [
      ["docker", undefined],
      ["oci", { "org.opencontainers.image.ref.name": "latest" }],
    ] as const) {
      const dir = tmp();
      await exportImage(e, id, dir, { format });
      const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
      expect(index.manifests.map((m: { annotations?: unknown }) => m.annotations)).toEqual([annotations]);
    }
  });

  test("fields of the wrong type, unknown signals and pre-1970 times are left out, never refused", () => {
    const facts = importedConfig(
      {
        created: "0001-01-01T00:00:00Z",
        author: 7,
        config: {
          Env: ["A=1", 2],
          Entrypoint: "sh",
          Cmd: ["run"],
          Labels: { a: "1", b: 2 },
          ExposedPorts: ["80/tcp"],
          User: "u",
          StopSignal: "SIGNOPE",
          Volumes: { "/v": {} },
          Healthcheck: { Test: "CMD x" },
          OnBuild: null,
        },
        history: [{ created: "yesterday", created_by: "x", empty_layer: "yes" }, "junk"],
      },
      1234,
    );
    expect(facts).toEqual({
      config: { cmd: ["run"], user: "u", volumes: ["/v"] },
      history: [{ created: 1234, createdBy: "x", comment: "", author: "", emptyLayer: false }],
    });
    expect(importedConfig(null, 0)).toEqual({ config: {} });
    expect(importedConfig({ config: { StopSignal: "9" } }, 0).config.stopSignal).toBe("SIGKILL");
  });

  test("what an export writes reads back as the same config and history (random configs)", () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/);
    const ms = fc.integer({ min: 0, max: 4_000_000_000_000 });
    const config = fc.record({
      env: fc.array(
        word.map((w) => `${w.toUpperCase()}=${w}`),
        { maxLength: 3 },
      ),
      entrypoint: fc.option(fc.array(word, { minLength: 1, maxLength: 2 }), { nil: null }),
      cmd: fc.array(word, { maxLength: 3 }),
      labels: fc.dictionary(word, word, { maxKeys: 3 }),
      exposedPorts: fc.uniqueArray(
        fc.integer({ min: 1, max: 65535 }).map((p) => `${p}/tcp`),
        { maxLength: 3 },
      ),
      user: fc.oneof(fc.constant(""), word),
      workingDir: fc.oneof(
        fc.constant(""),
        word.map((w) => `/${w}`),
      ),
      stopSignal: fc.constantFrom(null, "SIGINT" as const, "SIGQUIT" as const),
      volumes: fc.uniqueArray(
        word.map((w) => `/${w}`),
        { maxLength: 2 },
      ),
      healthcheck: fc.option(
        fc.record({
          test: fc.constant<string[]>(["CMD", "check"]),
          intervalMs: fc.nat(100_000),
          timeoutMs: fc.nat(100_000),
          startPeriodMs: fc.nat(100_000),
          startIntervalMs: fc.nat(100_000),
          retries: fc.nat(9),
        }),
        { nil: null },
      ),
      onBuild: fc.array(
        word.map((w) => `RUN ${w}`),
        { maxLength: 2 },
      ),
    });
    const history = fc.array(
      fc.record({
        created: ms,
        createdBy: word,
        comment: word,
        author: fc.oneof(fc.constant(""), word),
        emptyLayer: fc.boolean(),
      }),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(config, history, ms, (c, h, created) => {
        const json = JSON.parse(
          JSON.stringify({
            created: new Date(created).toISOString(),
            config: ociRuntimeConfig(c),
            history: ociHistory(h),
          }),
        );
        const back = importedConfig(json, 0);
        const empty = { entrypoint: null, stopSignal: null, healthcheck: null, user: "", workingDir: "" };
        expect({
          ...empty,
          env: [],
          labels: {},
          exposedPorts: [],
          volumes: [],
          onBuild: [],
          ...back.config,
        }).toEqual(c);
        expect(back.history).toEqual(h);
        expect(back.created).toBe(created);
      }),
      { numRuns: 300 },
    );
  });
});
