/**
 * `docker diff` and the simulated clock: moby compares stat data, and a write in the kernel always
 * moves the file's mtime. Here a clock that did not move keeps the mtime, so the content decides.
 */
import { type Command, sequentialIds, simulatedClock } from "@strata/core";
import { changes, createFsEngine, flatten, layerTree, sha256Digest, stackLayer } from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { genLayers } from "./support/generators.js";
import { layerEntries, layerId, listTree } from "./support/model.js";

const L1 = `sha256:${"1".repeat(64)}`;

function given() {
  const clock = simulatedClock(Date.UTC(2026, 0, 1));
  const e = createFsEngine({ clock, ids: sequentialIds("diff") });
  const run = (c: Command) => {
    const r = e.execute(c);
    if (!r.ok) throw r.error;
  };
  const now = clock.now();
  run({
    type: "layer.create",
    layerId: L1,
    entries: [
      { type: "dir", path: "/etc", mode: 0o755, uid: 0, gid: 0, mtime: now },
      {
        type: "file",
        path: "/etc/motd",
        mode: 0o644,
        uid: 0,
        gid: 0,
        mtime: now,
        digest: e.putBlob("aaaa"),
        size: 4,
      },
    ],
  });
  run({ type: "image.create", layers: [{ id: L1, parent: null }], tags: ["app:1"] });
  run({ type: "container.create", image: "app:1", name: "c1" });
  return { e, run };
}
const list = (e: ReturnType<typeof given>["e"]) => e.diff("c1").map((c) => `${c.kind} ${c.path}`);

describe("docker diff with the simulated clock", () => {
  test("given a file, when rewritten with the same size in the same millisecond, then it is C", () => {
    const { e, run } = given();
    run({ type: "fs.writeFile", container: "c1", path: "/etc/motd", content: "bbbb" });
    expect(list(e)).toEqual(["C /etc", "C /etc/motd"]);
  });

  test("given a file, when only copied up (chmod to its own mode), then nothing is listed, as in Docker", () => {
    const { e, run } = given();
    run({ type: "fs.chmod", container: "c1", path: "/etc/motd", mode: 0o644 });
    expect(list(e)).toEqual([]);
  });

  test("given a file only copied up, when committed, then the commit adds no layer (moby's naive differ, docs/lifecycle.md choice 20)", () => {
    const { e, run } = given();
    run({ type: "fs.chmod", container: "c1", path: "/etc/motd", mode: 0o644 });
    run({ type: "container.commit", container: "c1", tag: "same:1" });
    const image = e.state.images[e.state.tags["same:1"] as string];
    expect(image?.layers.map((l) => l.id)).toEqual([L1]);
    expect(image?.history.at(-1)?.emptyLayer).toBe(true);
  });
});

describe("property: a content change is always listed", () => {
  const RUNS = Number(process.env.STRATA_FS_RUNS ?? 300);
  test("rewriting any file of any view with other bytes of the same size and mtime lists it as C, and nothing as A or D", () => {
    fc.assert(
      fc.property(genLayers, fc.nat(), (layers, pick) => {
        const a = flatten(layers.map((l, i) => layerTree(layerId(i), layerEntries(l, sha256Digest))));
        const files = listTree(a).filter((x) => x.type === "file" && (x.size ?? 0) > 0);
        fc.pre(files.length > 0);
        const f = files[pick % files.length] as (typeof files)[number];
        const other = Buffer.alloc(f.size ?? 1, 0x7e); // same size, other bytes ("~~~")
        const top = layerTree(layerId(99), [
          {
            type: "file",
            path: f.path,
            mode: f.mode ?? 0o644,
            uid: f.uid ?? 0,
            gid: f.gid ?? 0,
            mtime: 0,
            digest: sha256Digest(other),
            size: other.length,
          },
        ]);
        fc.pre(sha256Digest(other) !== f.sha256);
        const list = changes(a, stackLayer(a, top));
        expect(list).toContainEqual({ kind: "C", path: f.path });
        expect(list.filter((c) => c.kind !== "C")).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});
