/**
 * Properties of the union view and of the operations on layers (docs/fs-model.md lists each invariant
 * with its test here). Generators make deep trees with name clashes across layers, symlinks, hard
 * links, whiteouts and opaque directories.
 */

import { applyProjected, type Command, replayProjected, replayProjectedTo } from "@strata/core";
import {
  changes,
  changeset,
  flatten,
  fsProjection,
  layerTree,
  sha256Digest,
  squash,
  stackLayer,
  type Tree,
} from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { type GenEntry, genLayers, genScenario } from "./support/generators.js";
import {
  buildModel,
  commandOf,
  type Listed,
  layerEntries,
  layerId,
  listMerged,
  listTree,
  listUpper,
  runOps,
} from "./support/model.js";
import { naiveListing } from "./support/naive.js";

const RUNS = Number(process.env.STRATA_FS_RUNS ?? 300);

function treeOf(entries: readonly GenEntry[], i: number): Tree {
  return layerTree(layerId(i), layerEntries(entries, sha256Digest));
}

/** A flattened tree listed as a view (no whiteouts or opaque flags exist in it). */
function viewListing(tree: Tree): Listed[] {
  return listTree(tree).map(({ opaque: _o, ...rest }) => rest);
}

describe("union view of read-only layers (invariants 1-6, 16-22)", () => {
  test("flatten agrees with a naive per-path lookup down the layers: topmost wins, whiteouts, non-directories and opaque directories hide what is below, merged directories take the topmost metadata", () => {
    fc.assert(
      fc.property(genLayers, (layers) => {
        // The naive model knows no inodes: link counts and groups are left out of the comparison.
        const listed = viewListing(flatten(layers.map(treeOf))).map(({ nlink: _n, link: _l, ...e }) => e);
        expect(listed).toEqual(naiveListing(layers));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  test("a flattened tree holds no whiteout, opaque or implied directory; it shares each directory of a layer stacked on nothing that is flat already, and copies the others", () => {
    type Dir = Extract<Tree["root"], { kind: "dir" }>;
    const flat = (dir: Dir): boolean =>
      !dir.opaque &&
      dir.implied === undefined &&
      [...dir.children.entries()].every(([, c]) => c.kind !== "whiteout" && (c.kind !== "dir" || flat(c)));
    const dirs = (dir: Dir, path: string, out: [string, Dir][] = []): [string, Dir][] => {
      out.push([path, dir]);
      for (const [name, c] of dir.children.entries()) if (c.kind === "dir") dirs(c, `${path}/${name}`, out);
      return out;
    };
    const at = (root: Dir, path: string): unknown => {
      let node: unknown = root;
      for (const name of path.split("/").slice(1)) node = (node as Dir).children.get(name);
      return node;
    };
    fc.assert(
      fc.property(genLayers, (layers) => {
        const trees = layers.map(treeOf);
        for (const [, dir] of dirs(flatten(trees).root, "")) {
          expect(dir.opaque).toBe(false);
          expect(dir.implied).toBeUndefined();
          for (const [, c] of dir.children.entries()) expect(c.kind).not.toBe("whiteout");
        }
        const layer = trees[0] as Tree;
        const alone = flatten([layer]).root;
        for (const [path, dir] of dirs(layer.root, "")) {
          if (path === "") continue; // the root is stacked on the empty tree's root: never shared
          const shared = at(alone, path) === dir;
          expect(shared, path).toBe(flat(dir));
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("flatten gives the same tree for a layer tree as for a copy of it that layerTree did not make (its inode table checked, not known exact), and for a copy whose table holds an inode no file names", () => {
    fc.assert(
      fc.property(genLayers, (layers) => {
        const trees = layers.map(treeOf);
        const copies = trees.map((t) => ({ root: t.root, inodes: t.inodes }));
        const listing = (t: Tree) => ({ tree: listTree(t), inodes: t.inodes.sortedEntries() });
        expect(listing(flatten(copies))).toEqual(listing(flatten(trees)));
        expect(listing(flatten(copies.slice(0, 1)))).toEqual(listing(flatten(trees.slice(0, 1))));
        // An inode no file names is not carried into the flattened tree.
        const stray = copies.map((t) => ({
          root: t.root,
          inodes: t.inodes.set("stray", {
            digest: "d",
            size: 0,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: 0,
            nlink: 1,
          }),
        }));
        expect(flatten(stray.slice(0, 1)).inodes.has("stray")).toBe(false);
        expect(listing(flatten(stray.slice(0, 1)))).toEqual(listing(flatten(trees.slice(0, 1))));
      }),
      { numRuns: RUNS },
    );
  });

  test("a whiteout or opaque marker never hides an entry of its own layer, whatever the order", () => {
    const entries: GenEntry[] = [
      { type: "dir", path: "/", mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: {} },
      { type: "dir", path: "/d", mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: {} },
      {
        type: "file",
        path: "/d/keep",
        mode: 0o644,
        uid: 0,
        gid: 0,
        content: "same layer",
        mtime: 0,
        xattrs: {},
      },
      { type: "opaque", path: "/d" },
    ];
    const below: GenEntry[] = [
      { type: "dir", path: "/", mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: {} },
      { type: "dir", path: "/d", mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: {} },
      { type: "file", path: "/d/old", mode: 0o644, uid: 0, gid: 0, content: "below", mtime: 0, xattrs: {} },
    ];
    const view = viewListing(flatten([treeOf(below, 0), treeOf(entries, 1)])).map((e) => e.path);
    expect(view).toEqual(["/", "/d", "/d/keep"]);
  });
});

describe("layer algebra", () => {
  test("squash preserves the view: flatten(below ++ [squash(run)]) = flatten(below ++ run)", () => {
    fc.assert(
      fc.property(genLayers, genLayers, (below, run) => {
        const b = below.map(treeOf);
        const r = run.map((l, i) => treeOf(l, i + 10));
        expect(viewListing(flatten([...b, squash(r)]))).toEqual(viewListing(flatten([...b, ...r])));
      }),
      { numRuns: RUNS },
    );
  });

  test("changeset round-trips: stacking changeset(a, b) on a gives b", () => {
    fc.assert(
      fc.property(genLayers, genLayers, (x, y) => {
        const a = flatten(x.map(treeOf));
        const b = flatten(y.map((l, i) => treeOf(l, i + 10)));
        expect(viewListing(stackLayer(a, changeset(a, b)))).toEqual(viewListing(b));
        // And nothing when nothing changed.
        expect(changeset(a, a).root.children.size).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  test("changes (docker diff): D only for paths of a, A only for paths of b, C for paths of both, every ancestor of a change listed, sorted, no duplicates", () => {
    fc.assert(
      fc.property(genLayers, genLayers, (x, y) => {
        const a = flatten(x.map(treeOf));
        const b = flatten(y.map((l, i) => treeOf(l, i + 10)));
        const inA = new Set(viewListing(a).map((e) => e.path));
        const inB = new Set(viewListing(b).map((e) => e.path));
        const list = changes(a, b);
        const paths = list.map((c) => c.path);
        expect(new Set(paths).size).toBe(paths.length);
        expect(paths).toEqual([...paths].sort(preOrder));
        for (const c of list) {
          if (c.kind === "D") expect(inA.has(c.path) && !inB.has(c.path), `D ${c.path}`).toBe(true);
          if (c.kind === "A") expect(inB.has(c.path) && !inA.has(c.path), `A ${c.path}`).toBe(true);
          if (c.kind === "C") expect(inA.has(c.path) && inB.has(c.path), `C ${c.path}`).toBe(true);
          // Ancestors of a change are listed (C, or A when new).
          const comps = c.path.slice(1).split("/");
          for (let i = 1; i < comps.length; i++) {
            const anc = `/${comps.slice(0, i).join("/")}`;
            expect(paths.includes(anc), `ancestor ${anc} of ${c.kind} ${c.path}`).toBe(true);
          }
          // A deleted directory is listed only at its top.
          if (c.kind === "D")
            expect(list.some((o) => o.kind === "D" && c.path.startsWith(`${o.path}/`))).toBe(false);
        }
        // Every path only in b is A; every path only in a is D or under a D.
        for (const p of inB) if (!inA.has(p)) expect(paths).toContain(p);
        expect(changes(a, a)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});

/** Pre-order, siblings in byte order (the UTF-8 bytes, compared as bytes: no shortcut through UTF-16). */
function preOrder(p: string, q: string): number {
  const x = p.slice(1).split("/");
  const y = q.slice(1).split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return Buffer.compare(Buffer.from(x[i] as string), Buffer.from(y[i] as string));
  }
  return x.length - y.length;
}

describe("containers over images (invariants 8-15, 26, 35)", () => {
  const scenario = genScenario;

  test("lower layers never change: after any operations, every layer, the image's flattened tree and its view are as before", () => {
    fc.assert(
      fc.property(scenario, ([layers, ops]) => {
        const engine = buildModel(layers);
        const before = engine.projected;
        const imageView = viewListing(engine.view("oracle:1").overlay.lower);
        runOps(engine, ops);
        const after = engine.projected;
        for (let i = 0; i < layers.length; i++)
          expect(after.layers.get(layerId(i))).toBe(before.layers.get(layerId(i)));
        const imageId = engine.state.tags["oracle:1"] as string;
        expect(after.images.get(imageId)).toBe(before.images.get(imageId));
        expect(viewListing(engine.view("oracle:1").overlay.lower)).toEqual(imageView);
      }),
      { numRuns: RUNS },
    );
  });

  test("commit preserves the view: the committed image shows exactly what the container showed", () => {
    fc.assert(
      fc.property(scenario, ([layers, ops]) => {
        const engine = buildModel(layers);
        runOps(engine, ops);
        // The root's own metadata is not committed (layer tars have no entry for it), so it is left out;
        // so are atimes (a layer holds none) and link counts (a copy-up that changed nothing is not
        // committed, so a lower hard link it broke is whole again in the image: docs/fs-model.md).
        const committed = (listing: Listed[]) =>
          listing.slice(1).map(({ atime: _a, nlink: _n, link: _l, ...e }) => e);
        const containerView = committed(listMerged(engine, "box"));
        const r = engine.execute({ type: "container.commit", container: "box", tag: "oracle:2" });
        expect(r.ok).toBe(true);
        expect(committed(listMerged(engine, "oracle:2"))).toEqual(containerView);
        // The new image has one more layer, or none when nothing changed (Docker's empty commit).
        const changed =
          changes(engine.view("oracle:1").overlay.lower, engine.view("oracle:2").overlay.lower).length > 0;
        const imageLayers = engine.state.images[engine.state.tags["oracle:2"] as string]?.layers.length;
        if (changed) expect(imageLayers).toBe(layers.length + 1);
      }),
      { numRuns: RUNS },
    );
  });

  test("replay is deterministic, and a snapshot plus the replay of the tail equals the full replay", () => {
    fc.assert(
      fc.property(scenario, fc.nat(), ([layers, ops], cut) => {
        const engine = buildModel(layers);
        runOps(engine, ops);
        const events = engine.log.read();
        const projection = fsProjection({ blobs: engine.blobs });
        const full = replayProjected(projection, events);
        const again = replayProjected(projection, events);
        const k = cut % (events.length + 1);
        const snapshot = replayProjectedTo(projection, events, k);
        const resumed = applyProjected(projection, snapshot, events.slice(k));
        for (const state of [again, resumed]) {
          expect(state.core).toEqual(full.core);
          const id = full.core.names.box as string;
          expect(listTree(state.projection.containers.get(id)?.upper as Tree)).toEqual(
            listTree(full.projection.containers.get(id)?.upper as Tree),
          );
        }
        // And the live engine is the replay.
        expect(
          listTree(engine.projected.containers.get(engine.state.names.box as string)?.upper as Tree),
        ).toEqual(listTree(full.projection.containers.get(full.core.names.box as string)?.upper as Tree));
      }),
      { numRuns: RUNS },
    );
  });

  test("a refused operation appends nothing and changes nothing; a failed one only marks a rename's source opaque, and the view stays", () => {
    fc.assert(
      fc.property(scenario, ([layers, ops]) => {
        const engine = buildModel(layers);
        for (const op of ops) {
          const seq = engine.log.lastSeq;
          const before = engine.projected;
          if (op.op === "getxattr") continue;
          const view = listMerged(engine);
          const upper = listUpper(engine);
          const r = engine.execute(commandOf(op) as Command);
          if (r.outcome === "refused") {
            expect(engine.log.lastSeq).toBe(seq);
            expect(engine.projected).toBe(before);
          } else if (r.outcome === "failed") {
            // overlayfs's rename marks an upper-only source opaque before the upper rename refuses a
            // non-empty target: that mark, and nothing else, is appended; the union shows the same.
            expect(op.op).toBe("rename");
            expect(r.error.code).toBe("ENOTEMPTY");
            expect(r.events.map((e) => [e.type, (e.data as { name?: string }).name])).toEqual([
              ["fs.xattrSet", "trusted.overlay.opaque"],
            ]);
            const path = (r.events[0] as { data: { path: string } }).data.path;
            expect(listMerged(engine)).toEqual(view);
            const marked = (l: Listed[]) => l.map((e) => (e.path === path ? { ...e, opaque: true } : e));
            expect(upper.find((e) => e.path === path)).toMatchObject({ type: "dir", opaque: false });
            expect(listUpper(engine)).toEqual(marked(upper));
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
