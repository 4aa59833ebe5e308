/**
 * The OCI config an export writes carries the image's own config and history: what `commit --change`
 * set (Env, Entrypoint, Cmd, Labels, ExposedPorts, User, WorkingDir, StopSignal, Volumes, Healthcheck),
 * and a commit of an unchanged container as one history entry with `empty_layer` and no layer.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Command, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine } from "@strata/fs";
import { exportImage, hexOf } from "@strata/oci";
import { describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

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
});
