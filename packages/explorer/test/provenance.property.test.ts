/**
 * The provenance the explorer shows is the union view's, entry for entry: on random layer stacks (deep
 * trees, name clashes, whiteouts, opaque directories, links) with random changes in a container on top,
 * every directory's listing with provenance lists exactly the names the union view lists, each from a
 * layer that really has it (a file's contents are that layer's), hiding only layers that have the name;
 * and every name it says is hidden is absent from the union, with the whiteout or opaque directory
 * where it says.
 */
import type { ProjectedState } from "@strata/core";
import { listDirectory, stackOf } from "@strata/explorer";
import type { DirNode, FsNode, FsState, Tree, UnionView } from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { genScenario } from "../../fs/test/support/generators.js";
import { buildModel, runOps } from "../../fs/test/support/model.js";

const RUNS = Number(process.env.STRATA_EXPLORER_RUNS ?? 300);

/** The raw node at `path` in one layer tree (no union rules), or undefined. */
function rawNode(tree: Tree, path: string): FsNode | undefined {
  let node: FsNode = tree.root;
  for (const part of path.split("/").filter(Boolean)) {
    if (node.kind !== "dir") return undefined;
    const next: FsNode | undefined = (node as DirNode).children.get(part);
    if (next === undefined) return undefined;
    node = next;
  }
  return node;
}

const kindOfStat = (type: string) => (type.endsWith("device") || type === "fifo" ? "device" : type);

/** Every directory of the union view, by walking it (symlinks not followed). */
function directories(view: UnionView, path = "/", out: string[] = []): string[] {
  out.push(path);
  for (const name of view.readdir(path)) {
    const child = path === "/" ? `/${name}` : `${path}/${name}`;
    if (view.stat(child, { follow: false }).type === "dir") directories(view, child, out);
  }
  return out;
}

function checkStack(trees: readonly Tree[], view: UnionView): void {
  for (const dir of directories(view)) {
    const listing = listDirectory(trees, dir);
    const names = view.readdir(dir);
    expect(
      listing.entries.map((e) => e.name),
      `listing of ${dir}`,
    ).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const e of listing.entries) {
      const path = dir === "/" ? `/${e.name}` : `${dir}/${e.name}`;
      const stat = view.stat(path, { follow: false });
      expect(e.kind, path).toBe(kindOfStat(stat.type));
      const own = rawNode(trees[e.from] as Tree, path);
      expect(own && own.kind !== "whiteout", `${path} is in layer ${e.from}`).toBe(true);
      if (own?.kind === "file")
        expect((trees[e.from] as Tree).inodes.get(own.ino)?.digest, `${path}'s contents`).toBe(stat.digest);
      // No layer above the one it comes from has the name for itself.
      for (let i = e.from + 1; i < trees.length; i++) {
        const above = rawNode(trees[i] as Tree, path);
        expect(
          above === undefined || (above.kind === "dir" && above.implied === true),
          `${path} in ${i}`,
        ).toBe(true);
      }
      for (const i of [...e.hides, ...e.mergedWith]) {
        expect(i).toBeLessThan(e.from);
        const below = rawNode(trees[i] as Tree, path);
        expect(below !== undefined && below.kind !== "whiteout", `${path} hides ${i}`).toBe(true);
      }
      // A layer it merges with shows through: nothing from there up to the entry's layer blocks the
      // name (a whiteout, a non-directory, an opaque directory); a layer it hides is blocked, or has a
      // non-directory under a directory.
      const blocks = (k: number) => {
        const parts = path.split("/").filter(Boolean);
        let dir: DirNode = (trees[k] as Tree).root;
        for (const [i, part] of parts.entries()) {
          const n = dir.children.get(part);
          if (n === undefined) return false;
          if (n.kind !== "dir" || n.opaque) return true;
          if (i < parts.length - 1) dir = n;
        }
        return false;
      };
      const blockedAbove = (j: number) => {
        for (let k = j + 1; k <= e.from; k++) if (blocks(k)) return true;
        return false;
      };
      for (const i of e.mergedWith) {
        expect(rawNode(trees[i] as Tree, path)?.kind).toBe("dir");
        expect(blockedAbove(i), `${path} merges with ${i}`).toBe(false);
      }
      for (const i of e.hides)
        expect(blockedAbove(i) || rawNode(trees[i] as Tree, path)?.kind !== "dir", `${path} hides ${i}`).toBe(
          true,
        );
    }
    for (const h of listing.hidden) {
      const path = dir === "/" ? `/${h.name}` : `${dir}/${h.name}`;
      expect(names, `${path} is hidden`).not.toContain(h.name);
      if (h.reason === "whiteout") expect(rawNode(trees[h.by] as Tree, path)?.kind).toBe("whiteout");
      for (const i of h.hides) {
        expect(i).toBeLessThan(h.by);
        expect(rawNode(trees[i] as Tree, path)?.kind).not.toBe("whiteout");
      }
    }
  }
}

describe("provenance", () => {
  test("property: the listing with provenance is the union view's, for the image and the container", () => {
    fc.assert(
      fc.property(genScenario, ([layers, ops]) => {
        const engine = buildModel(layers);
        runOps(engine, ops);
        const state: ProjectedState<FsState> = { core: engine.state, projection: engine.projected };
        for (const ref of ["oracle:1", "box"]) checkStack(stackOf(state, ref).trees, engine.view(ref));
      }),
      { numRuns: RUNS },
    );
  });
});
