/**
 * The fs state codec (docs/fs-model.md, "Snapshots of the fs state"): a decoded snapshot lists,
 * shares and evolves exactly as the state it was taken from, answers every view's stat, readdir,
 * readFile and xattr calls alike, its text is a fixpoint, N containers on one image cost their upper
 * layers (and shared xattrs one copy), and bad input is a typed error naming the JSON path.
 */
import type { LayerEntry } from "@strata/core";
import {
  type ContainerFs,
  type DirNode,
  decodeFsState,
  emptyTree,
  encodeFsState,
  evolveFs,
  type FileNode,
  FS_STATE_VERSION,
  FsError,
  type FsNode,
  type FsState,
  FsStateCodecError,
  initialFsState,
  PersistentMap,
  type Tree,
  type UnionView,
  viewOf,
} from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { genScenario } from "./support/generators.js";
import { deep, genLife, listState, live, must, sharing, textOf } from "./support/life.js";
import { buildModel, runOps } from "./support/model.js";

const RUNS = Number(process.env.STRATA_FS_RUNS ?? 300);

const roundTrip = (s: FsState): FsState => decodeFsState(JSON.parse(JSON.stringify(encodeFsState(s))));
/** What a view answers for `f`, or the errno it refuses with. */
function attempt(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    if (e instanceof FsError) return `errno ${e.errno}`;
    throw e;
  }
}
const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

/**
 * Everything `view` answers about every entry its walk shows, and about `probes` (paths that may be
 * gone, or lead through symlinks): stat and lstat (with atime, ino and nlink), readdir, readFile,
 * listxattr and getxattr of each name it lists and of one it does not, followed and not.
 */
function answers(view: UnionView, probes: readonly string[]): unknown[] {
  const walk = attempt(() => [...view.walk("/")]);
  const paths = new Set(probes);
  if (Array.isArray(walk))
    for (const e of walk as { path: string; type: string }[]) {
      paths.add(e.path);
      if (e.type === "symlink") paths.add(`${e.path}/a`); // through the symlink
    }
  const out: unknown[] = [walk];
  for (const p of [...paths].sort()) {
    const xattrs = (follow: boolean) => {
      const names = attempt(() => view.listxattr(p, { follow }));
      const asked = [...(Array.isArray(names) ? (names as string[]) : []), "user.none"];
      return [names, asked.map((n) => attempt(() => base64(view.getxattr(p, n, { follow }))))];
    };
    out.push([
      p,
      attempt(() => view.stat(p)),
      attempt(() => view.stat(p, { follow: false })),
      attempt(() => view.readdir(p)),
      attempt(() => base64(view.readFile(p))),
      xattrs(true),
      xattrs(false),
    ]);
  }
  return out;
}

describe("fs state snapshots", () => {
  test("round trip: the decoded state lists every layer, image and container as the original, observes and shares alike, and encodes to the same text", () => {
    fc.assert(
      fc.property(genLife, ([layers, ops, cut]) => {
        const { states } = live(layers, ops);
        const last = states[states.length - 1] as FsState;
        for (const s of [last, states[cut % states.length] as FsState]) {
          const text = textOf(s);
          const back = decodeFsState(JSON.parse(text));
          expect(listState(back)).toEqual(listState(s));
          expect(deep(back)).toEqual(deep(s));
          expect(textOf(back)).toBe(text);
          // The same places hold the same objects: a container's lower is its image's flattened tree.
          expect(sharing(back)).toEqual(sharing(s));
          for (const [id, c] of s.containers.entries()) {
            const d = back.containers.get(id);
            expect(c.lower).toBe(s.images.get(c.imageId)?.flattened); // every container of this life
            expect(d?.lower).toBe(back.images.get(d?.imageId ?? "")?.flattened);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("going on from the decoded state (folding the same later events) gives the same states as going on from the original", () => {
    fc.assert(
      fc.property(genLife, ([layers, ops, cut]) => {
        const { engine, states } = live(layers, ops);
        const at = states[cut % states.length] as FsState;
        const tail = engine.log.read(at.seq + 1);
        const fromOriginal = tail.reduce(evolveFs, at);
        const fromDecoded = tail.reduce(evolveFs, roundTrip(at));
        expect(listState(fromDecoded)).toEqual(listState(fromOriginal));
        expect(deep(fromDecoded)).toEqual(deep(fromOriginal));
        // Same inode ids, same sharing: the very same snapshot text.
        expect(textOf(fromDecoded)).toBe(textOf(fromOriginal));
        expect(listState(fromOriginal)).toEqual(listState(engine.projected));
      }),
      { numRuns: RUNS },
    );
  });

  test("a decoded state answers as the original in every container and image: stat and lstat (atime, ino, nlink), readdir, readFile, listxattr, getxattr, walk", () => {
    fc.assert(
      fc.property(genLife, ([layers, ops]) => {
        const { engine } = live(layers, ops);
        const s = engine.projected;
        const back = decodeFsState(JSON.parse(JSON.stringify(encodeFsState(s))));
        const probes = [...new Set(layers.flat().map((e) => e.path))];
        const refs = [...s.containers.sortedKeys(), ...s.images.sortedKeys()];
        expect(back.containers.sortedKeys()).toEqual(s.containers.sortedKeys());
        expect(back.images.sortedKeys()).toEqual(s.images.sortedKeys());
        for (const ref of refs) {
          const original = viewOf(engine.state, s, ref, engine.blobs);
          const decoded = viewOf(engine.state, back, ref, engine.blobs);
          expect(answers(decoded, probes), ref).toEqual(answers(original, probes));
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("K containers on one big image cost their upper layers, not K copies of the image", () => {
    const engine = buildModel([]);
    const layerId = `sha256:${"b".repeat(64)}`;
    const entries: LayerEntry[] = [];
    for (let d = 0; d < 40; d++) {
      entries.push({ type: "dir", path: `/d${d}`, mode: 0o755, uid: 0, gid: 0, mtime: 0 });
      for (let f = 0; f < 50; f++) {
        const bytes = `file ${d}/${f}\n`;
        const digest = engine.putBlob(bytes);
        entries.push({
          type: "file",
          path: `/d${d}/f${f}`,
          mode: 0o644,
          uid: 0,
          gid: 0,
          mtime: 0,
          digest,
          size: bytes.length,
        });
      }
    }
    must(engine, { type: "layer.create", layerId, entries });
    must(engine, { type: "image.create", layers: [{ id: layerId, parent: null }], tags: ["big:1"] });
    const image = JSON.stringify(encodeFsState(engine.projected)).length;
    const K = 40;
    for (let i = 0; i < K; i++) {
      must(engine, { type: "container.create", image: "big:1", name: `c${i}` });
      must(engine, { type: "fs.writeFile", container: `c${i}`, path: `/d${i}/f${i}`, content: `${i}` });
      must(engine, { type: "fs.mkdir", container: `c${i}`, path: `/new${i}` });
    }
    const text = JSON.stringify(encodeFsState(engine.projected));
    const perContainer = (text.length - image) / K;
    // Measured: the image alone is ~970 kB; each container adds ~1 kB (its upper tree, a copied-up
    // directory, one inode, its records). Without sharing each would add the whole image.
    expect(perContainer).toBeLessThan(image / 50);
    expect(roundTrip(engine.projected).containers.size).toBe(K + 1);
  });

  test("extended attributes shared by copy-up are written once: K containers that chmod a file with a 4 KiB xattr hold one copy", () => {
    const engine = buildModel([]);
    const layerId = `sha256:${"c".repeat(64)}`;
    const big = Buffer.alloc(4096, 7).toString("base64");
    const digest = engine.putBlob("x");
    const xattrs = { "user.big": big, "user.small": "MQ==" };
    must(engine, {
      type: "layer.create",
      layerId,
      entries: [
        { type: "dir", path: "/etc", mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs },
        { type: "file", path: "/etc/f", mode: 0o644, uid: 0, gid: 0, mtime: 0, digest, size: 1, xattrs },
      ],
    });
    must(engine, { type: "image.create", layers: [{ id: layerId, parent: null }], tags: ["x:1"] });
    const K = 20;
    for (let i = 0; i < K; i++) {
      must(engine, { type: "container.create", image: "x:1", name: `c${i}` });
      must(engine, { type: "fs.chmod", container: `c${i}`, path: "/etc/f", mode: 0o600 });
    }
    const s = engine.projected;
    // Each container copied up /etc and /etc/f: new nodes and inodes, one xattrs object by reference.
    const ids = Array.from({ length: K }, (_, i) => engine.state.names[`c${i}`] as string);
    const xattrsIn = (state: FsState) =>
      ids.flatMap((id) => {
        const upper = (state.containers.get(id) as ContainerFs).upper;
        const etc = upper.root.children.get("etc") as DirNode;
        const f = etc.children.get("f") as FileNode;
        return [etc.xattrs, upper.inodes.get(f.ino)?.xattrs];
      });
    const copies = xattrsIn(s);
    expect(copies).toHaveLength(2 * K);
    // The layer's directory and inode each have their own xattrs object; every copy-up refers to one.
    expect(new Set(copies).size).toBe(2);
    const text = textOf(s);
    expect(text.split(big).length - 1).toBe(2); // 2 + 2K without sharing
    expect(text.length).toBeLessThan(2 * big.length + K * 1500);
    const back = decodeFsState(JSON.parse(text));
    const backCopies = xattrsIn(back);
    expect(new Set(backCopies).size).toBe(new Set(copies).size);
    expect(backCopies[0]).toEqual(xattrs);
    expect(textOf(back)).toBe(text);
  });
});

test("a tree as deep as PATH_MAX allows (2,048 directories) round-trips", () => {
  // Built by hand: layerTree is quadratic in a path's depth, the codec must not be.
  let root: DirNode = { ...emptyTree().root, mode: 0o700 };
  for (let i = 0; i < 2048; i++) root = { ...emptyTree().root, children: PersistentMap.from([["d", root]]) };
  const tree: Tree = { root, inodes: PersistentMap.empty() };
  const upper: Tree = emptyTree();
  const s0 = initialFsState();
  const state: FsState = {
    seq: 3,
    layers: s0.layers.set("L", tree),
    images: s0.images.set("i", { layerIds: ["L"], flattened: tree }),
    containers: s0.containers.set("c", { imageId: "i", lower: tree, upper }),
  };
  const back = roundTrip(state);
  expect(listState(back)).toEqual(listState(state));
  expect(listState(back).layers[0]?.[1]).toHaveLength(2049);
  expect(textOf(back)).toBe(textOf(state));
});

/** The error decodeFsState throws for `json` (fails the test if it throws nothing or something else). */
function refusal(json: unknown): FsStateCodecError {
  try {
    decodeFsState(json);
  } catch (e) {
    if (e instanceof FsStateCodecError) return e;
    throw e;
  }
  throw new Error("decodeFsState accepted it");
}

/** A small state with every kind of node, as JSON that tests may change. */
/** An encoding as JSON.parse gives it, for tests to change. */
type Parsed = { format: unknown; version: unknown; state: unknown; objects: Record<string, unknown>[] };

function sample(): { json: Parsed; state: FsState } {
  const engine = buildModel([
    [
      { type: "dir", path: "/", mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: {} },
      { type: "dir", path: "/etc", mode: 0o755, uid: 0, gid: 0, mtime: 1, xattrs: { "user.d": "ZA==" } },
      { type: "file", path: "/etc/a", mode: 0o644, uid: 0, gid: 0, mtime: 2, xattrs: {}, content: "a" },
      { type: "hardlink", path: "/etc/b", target: "/etc/a" },
      { type: "symlink", path: "/etc/c", target: "a", uid: 0, gid: 0, mtime: 3, xattrs: {} },
      { type: "whiteout", path: "/gone" },
    ],
  ]);
  must(engine, { type: "fs.writeFile", container: "box", path: "/etc/new", content: "n" });
  const state = engine.projected;
  return { json: JSON.parse(JSON.stringify(encodeFsState(state))), state };
}

const indexWhere = (
  objects: Record<string, unknown>[],
  f: (o: Record<string, unknown>) => boolean,
): number => {
  const i = objects.findIndex(f);
  if (i < 0) throw new Error("no such object in the sample");
  return i;
};
const kindOf = (o: Record<string, unknown>) => (o.data as Record<string, unknown> | undefined)?.kind;

describe("malformed snapshots are a typed error naming the JSON path", () => {
  test("wrong format, wrong version, not an object", () => {
    const { json } = sample();
    expect(refusal({ ...json, version: FS_STATE_VERSION + 1 }).path).toBe("$.version");
    expect(refusal({ ...json, version: FS_STATE_VERSION + 1 }).message).toMatch(/version 2 is not supported/);
    expect(refusal({ ...json, format: "strata.snapshot" }).path).toBe("$.format");
    expect(refusal(null).path).toBe("$");
    expect(refusal([json]).path).toBe("$");
    expect(refusal({ ...json, objects: "x" }).path).toBe("$.objects");
    const { version: _v, ...noVersion } = json;
    expect(refusal(noVersion).path).toBe("$.version");
    const e = refusal({ ...json, version: 0 });
    expect(e.reason).toBe("fs-snapshot-invalid");
    expect(e.code).toBe("System");
  });

  test("a dangling, forward or mistyped reference", () => {
    const { json } = sample();
    const dir = indexWhere(json.objects, (o) => kindOf(o) === "dir");
    const set = (i: number, o: Record<string, unknown>) => {
      const objects = json.objects.slice();
      objects[i] = o;
      return { ...json, objects };
    };
    const dirObject = json.objects[dir] as Record<string, unknown>;
    const dangling = refusal(set(dir, { ...dirObject, refs: { children: json.objects.length + 3 } }));
    expect(dangling.path).toBe(`$.objects[${dir}].refs.children`);
    expect(dangling.message).toMatch(/does not exist/);
    expect(refusal(set(dir, { ...dirObject, refs: { children: dir } })).message).toMatch(/refers forward/);
    const inode = indexWhere(json.objects, (o) => o.t === "inode");
    if (inode < dir) {
      const wrong = refusal(set(dir, { ...dirObject, refs: { children: inode } }));
      expect(wrong.message).toMatch(/an inode; expected a map of node/);
    }
    expect(refusal(set(dir, { ...dirObject, refs: { children: -1 } })).path).toBe(
      `$.objects[${dir}].refs.children`,
    );
    expect(refusal({ ...json, state: json.objects.length }).path).toBe("$.state");
    const { refs: _r, ...noChildren } = dirObject as Record<string, unknown>;
    expect(refusal(set(dir, noChildren)).path).toBe(`$.objects[${dir}].refs`);
    expect(refusal(set(dir, { ...noChildren, refs: {} })).path).toBe(`$.objects[${dir}].refs.children`);
  });

  test("a wrong type at a path, a bad key order, a file without its inode, an object reached from nothing", () => {
    const { json } = sample();
    const objects = json.objects;
    const change = (i: number, f: (o: Record<string, unknown>) => Record<string, unknown>) => {
      const copy = structuredClone(json);
      copy.objects[i] = f(structuredClone(objects[i] as Record<string, unknown>));
      return copy;
    };
    const dir = indexWhere(objects, (o) => kindOf(o) === "dir");
    const withData = (o: Record<string, unknown>, data: Record<string, unknown>) => ({
      ...o,
      data: { ...(o.data as object), ...data },
    });
    expect(refusal(change(dir, (o) => withData(o, { mode: "755" }))).path).toBe(
      `$.objects[${dir}].data.mode`,
    );
    expect(refusal(change(dir, (o) => withData(o, { opaque: 1 }))).path).toBe(
      `$.objects[${dir}].data.opaque`,
    );
    expect(refusal(change(dir, (o) => withData(o, { kind: 7 }))).path).toBe(`$.objects[${dir}].data.kind`);
    // A kind this build does not know is kept as data, but then it has no children.
    expect(refusal(change(dir, (o) => withData(o, { kind: "fifo" }))).path).toBe(
      `$.objects[${dir}].refs.children`,
    );
    const file = indexWhere(objects, (o) => kindOf(o) === "file");
    expect(refusal(change(file, (o) => withData(o, { ino: 7 }))).path).toBe(`$.objects[${file}].data.ino`);
    const missing = refusal(change(file, (o) => withData(o, { ino: "nowhere" })));
    expect(missing.path).toBe(`$.objects[${file}].data.ino`);
    expect(missing.message).toMatch(/not in the inode table/);
    const inode = indexWhere(objects, (o) => o.t === "inode");
    expect(refusal(change(inode, (o) => withData(o, { size: -1 }))).path).toBe(
      `$.objects[${inode}].data.size`,
    );
    // The fields every node and inode may have: atime, xattrs (plain data, by reference), a symlink's nlink.
    expect(refusal(change(inode, (o) => withData(o, { atime: "now" }))).path).toBe(
      `$.objects[${inode}].data.atime`,
    );
    expect(refusal(change(inode, (o) => withData(o, { xattrs: { "user.a": 1 } }))).path).toBe(
      `$.objects[${inode}].data.xattrs`,
    );
    const symlink = indexWhere(objects, (o) => kindOf(o) === "symlink");
    expect(refusal(change(symlink, (o) => withData(o, { nlink: -1 }))).path).toBe(
      `$.objects[${symlink}].data.nlink`,
    );
    const etc = indexWhere(
      objects,
      (o) => (o.refs as Record<string, number> | undefined)?.xattrs !== undefined,
    );
    const xattrsAt = ((objects[etc] as { refs: Record<string, number> }).refs.xattrs ?? -1) as number;
    expect(objects[xattrsAt]).toEqual({ t: "data", value: { "user.d": "ZA==" } });
    const notStrings = refusal(change(xattrsAt, (o) => ({ ...o, value: { "user.d": 7 } })));
    expect(notStrings.path).toBe(`$.objects[${etc}].refs.xattrs`);
    expect(notStrings.message).toMatch(/extended attributes/);
    expect(refusal(change(xattrsAt, (o) => ({ ...o, value: "ZA==" }))).path).toBe(
      `$.objects[${xattrsAt}].value`,
    );
    expect(refusal(change(xattrsAt, (o) => ({ ...o, extra: 1 }))).path).toBe(`$.objects[${xattrsAt}].extra`);
    const toNode = refusal(change(etc, (o) => ({ ...o, refs: { ...(o.refs as object), xattrs: file } })));
    expect(toNode.message).toMatch(/a node; expected a map of data or plain data/);
    const nodes = indexWhere(objects, (o) => o.of === "node" && (o.entries as unknown[]).length >= 2);
    const reversed = refusal(
      change(nodes, (o) => ({ ...o, entries: (o.entries as unknown[]).slice().reverse() })),
    );
    expect(reversed.path).toBe(`$.objects[${nodes}].entries[1][0]`);
    const renamed = change(nodes, (o) => ({
      ...o,
      entries: (o.entries as [string, number][]).map(([k, v], i) => [i === 0 ? "a/b" : k, v]),
    }));
    expect(refusal(renamed).path).toBe(`$.objects[${nodes}].entries[0][0]`);
    expect(refusal(change(0, (o) => ({ ...o, t: "fifo" }))).path).toBe("$.objects[0].t");
    expect(refusal(change(0, (o) => ({ ...o, extra: 1 }))).path).toBe("$.objects[0].extra");
    const extra = structuredClone(json);
    extra.objects.push({ t: "map", of: "node", entries: [] });
    expect(refusal({ ...extra, state: json.state }).path).toBe(`$.objects[${objects.length}]`);
  });

  test("plain data nested without end is refused, not a stack overflow", () => {
    const { json } = sample();
    const copy = structuredClone(json);
    const dir = indexWhere(copy.objects, (o) => kindOf(o) === "dir");
    const nested = JSON.parse(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    (copy.objects[dir] as { data: Record<string, unknown> }).data.extra = nested;
    const e = refusal(copy);
    expect(e.message).toMatch(/nested deeper than 64 levels/);
    expect(e.path.startsWith(`$.objects[${dir}].data.extra[0]`)).toBe(true);
  });

  test("property: any change to a valid snapshot decodes, or is a typed error naming a place that exists", () => {
    const replacements: unknown[] = [null, true, 0, -1, 1.5, 1e9, "x", "", [], {}, [0, 1], { t: "map" }];
    fc.assert(
      fc.property(genScenario, fc.nat(), fc.nat(), ([layers, ops], where, what) => {
        const engine = buildModel(layers);
        runOps(engine, ops.slice(0, 10));
        const json = JSON.parse(JSON.stringify(encodeFsState(engine.projected)));
        const places = placesIn(json);
        const [parent, key] = places[where % places.length] as Place;
        const r = what % (replacements.length + 1);
        if (r === replacements.length) {
          if (Array.isArray(parent)) parent.splice(key as number, 1);
          else delete (parent as Record<string, unknown>)[key];
        } else (parent as Record<string | number, unknown>)[key] = structuredClone(replacements[r]);
        let decoded: FsState | undefined;
        try {
          decoded = decodeFsState(json);
        } catch (e) {
          expect(e).toBeInstanceOf(FsStateCodecError);
          const path = (e as FsStateCodecError).path;
          expect(exists(json, parentOf(path))).toBe(true);
          return;
        }
        // Still valid (another mode, an entry dropped whose node is held elsewhere too): it lists
        // without a crash and encodes again, maybe in another order of objects, to a fixpoint.
        expect(() => listState(decoded as FsState)).not.toThrow();
        const text = textOf(decoded);
        expect(deep(decodeFsState(JSON.parse(text)))).toEqual(deep(decoded));
        expect(textOf(decodeFsState(JSON.parse(text)))).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });
});

type Place = [object, string | number];

/** Every (container, key) of a JSON value. */
function placesIn(json: unknown): Place[] {
  const out: Place[] = [];
  const visit = (v: unknown) => {
    if (typeof v !== "object" || v === null) return;
    for (const k of Array.isArray(v) ? v.keys() : Object.keys(v)) {
      out.push([v, k]);
      visit((v as Record<string | number, unknown>)[k]);
    }
  };
  visit(json);
  return out;
}

/** The steps of a path like `$.objects[3].entries[0][1]`. */
function stepsOf(path: string): (string | number)[] {
  return [...path.slice(1).matchAll(/\.([^.[]+)|\[(\d+)\]/g)].map((m) =>
    m[1] !== undefined ? m[1] : Number(m[2]),
  );
}
const parentOf = (path: string): (string | number)[] => stepsOf(path).slice(0, -1);
function exists(json: unknown, steps: readonly (string | number)[]): boolean {
  let v: unknown = json;
  for (const s of steps) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, s)) return false;
    v = (v as Record<string | number, unknown>)[s];
  }
  return true;
}

describe("fields other engineers add survive without a change to the codec", () => {
  /** The state with `node` as /extra in the upper tree of its first container. */
  function withExtra(state: FsState, node: FsNode): FsState {
    const [id, c] = [...state.containers.entries()][0] ?? [];
    if (id === undefined || c === undefined) throw new Error("the sample has a container");
    const root = { ...c.upper.root, children: c.upper.root.children.set("extra", node) };
    return { ...state, containers: state.containers.set(id, { ...c, upper: { ...c.upper, root } }) };
  }
  const extraOf = (state: FsState): unknown =>
    [...state.containers.entries()][0]?.[1].upper.root.children.get("extra");

  test("plain data fields and PersistentMap fields round-trip; what JSON cannot carry is refused with its path", () => {
    const { state } = sample();
    const device = {
      kind: "whiteout",
      rdev: { major: 1, minor: 3 },
      label: null,
      tags: ["a", "b"],
    } as unknown as FsNode;
    // A field holding a PersistentMap of plain data (not xattrs: those are a plain record now).
    const labels = PersistentMap.from([
      ["user.b", "2"],
      ["security.capability", "AQAAAg=="],
    ]);
    const dir = {
      kind: "dir",
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtime: 5,
      opaque: false,
      children: PersistentMap.empty(),
      labels,
      xattrs: { "user.a": "MQ==" },
    } as unknown as FsNode;
    const fifo = { kind: "fifo", uid: 0, gid: 0, mtime: 1, mode: 0o644 } as unknown as FsNode;
    for (const node of [device, dir, fifo]) {
      const s = withExtra(state, node);
      const back = roundTrip(s);
      expect(deep(extraOf(back))).toEqual(deep(node));
      expect(textOf(back)).toBe(textOf(s));
    }
    const dirBack = extraOf(roundTrip(withExtra(state, dir))) as {
      labels: PersistentMap<string>;
      xattrs: object;
    };
    expect(dirBack.labels).toBeInstanceOf(PersistentMap);
    expect(dirBack.labels.get("security.capability")).toBe("AQAAAg==");
    expect(dirBack.xattrs).toEqual({ "user.a": "MQ==" });

    for (const [field, value] of [
      ["bytes", new Uint8Array(2)],
      ["when", Number.NaN],
      ["map", new Map()],
    ] as const) {
      const bad = withExtra(state, { kind: "whiteout", [field]: value } as unknown as FsNode);
      let error: unknown;
      try {
        encodeFsState(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(FsStateCodecError);
      expect((error as FsStateCodecError).reason).toBe("fs-state-unencodable");
      expect((error as FsStateCodecError).path).toMatch(new RegExp(`\\.children\\["extra"\\]\\.${field}$`));
    }
  });
});
