/**
 * fast-check generators for the fs tests: random layers (deep trees, name clashes across layers, a
 * file in one layer and a directory in another, symlinks, hard links, whiteouts, opaque directories)
 * and random filesystem operations over the same names.
 */
import fc from "fast-check";

export const NAMES = ["a", "b", "c", "d"] as const;
const NEW_NAMES = [...NAMES, "e"] as const;

export const MODES = [0o755, 0o700, 0o644, 0o600, 0o4755, 0o2775, 0o1777, 0o640, 0o444] as const;
export const OWNERS = [0, 33, 1000] as const;
export const CONTENTS = [
  "",
  "x",
  "hello",
  "hello\n",
  "ünïcode ✓",
  "a much longer line of text\n".repeat(3),
] as const;
export const SYMLINK_TARGETS = [
  "a",
  "b/c",
  "/a",
  "/a/b",
  "../a",
  "../../b",
  "nowhere",
  ".",
  "..",
  "/",
  "/a/b/c/d",
] as const;

/** A node of a generated layer: the shape, before it becomes entries. */
export type GenNode =
  | { kind: "file"; mode: number; uid: number; gid: number; content: string }
  | {
      kind: "dir";
      mode: number;
      uid: number;
      gid: number;
      opaque: boolean;
      children: Record<string, GenNode>;
    }
  | { kind: "symlink"; target: string; uid: number; gid: number }
  | { kind: "hardlink" }
  | { kind: "whiteout" };

/** An entry of a generated layer, in the order a tar would hold it (parents first). */
export type GenEntry =
  | { type: "dir"; path: string; mode: number; uid: number; gid: number }
  | { type: "file"; path: string; mode: number; uid: number; gid: number; content: string }
  | { type: "symlink"; path: string; target: string; uid: number; gid: number }
  | { type: "hardlink"; path: string; target: string }
  | { type: "whiteout"; path: string }
  | { type: "opaque"; path: string };

const mode = fc.constantFrom(...MODES);
const owner = fc.constantFrom(...OWNERS);

const leaf: fc.Arbitrary<GenNode> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("file" as const),
      mode,
      uid: owner,
      gid: owner,
      content: fc.constantFrom(...CONTENTS),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("symlink" as const),
      target: fc.constantFrom(...SYMLINK_TARGETS),
      uid: owner,
      gid: owner,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "hardlink" as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: "whiteout" as const }) },
);

const dirMode = fc.constantFrom(0o755, 0o700, 0o2775, 0o1777, 0o750);

function dirAt(depth: number): fc.Arbitrary<GenNode> {
  const child =
    depth >= 3 ? leaf : fc.oneof({ weight: 3, arbitrary: leaf }, { weight: 2, arbitrary: dirAt(depth + 1) });
  return fc.record({
    kind: fc.constant("dir" as const),
    mode: dirMode,
    uid: owner,
    gid: owner,
    opaque: fc.boolean().map((b) => b && depth > 0), // opaque only below the root
    children: fc.dictionary(fc.constantFrom(...NAMES), child, { maxKeys: 4 }),
  });
}

/** A layer's root directory (never opaque: the kernel ignores an opaque root, see docs/fs-model.md). */
export const genLayerRoot: fc.Arbitrary<GenNode> = dirAt(0).map((root) =>
  root.kind === "dir" ? { ...root, opaque: false } : root,
);

/** Turns a generated tree into entries; hard links point at an earlier file of the same layer (or become files). */
export function toEntries(root: GenNode): GenEntry[] {
  const out: GenEntry[] = [];
  const files: string[] = [];
  const visit = (node: GenNode, path: string) => {
    switch (node.kind) {
      case "dir":
        if (path !== "") out.push({ type: "dir", path, mode: node.mode, uid: node.uid, gid: node.gid });
        else out.push({ type: "dir", path: "/", mode: 0o755, uid: 0, gid: 0 });
        if (node.opaque && path !== "") out.push({ type: "opaque", path });
        for (const name of Object.keys(node.children).sort())
          visit(node.children[name] as GenNode, `${path}/${name}`);
        return;
      case "file":
        out.push({
          type: "file",
          path,
          mode: node.mode,
          uid: node.uid,
          gid: node.gid,
          content: node.content,
        });
        files.push(path);
        return;
      case "symlink":
        out.push({ type: "symlink", path, target: node.target, uid: node.uid, gid: node.gid });
        return;
      case "hardlink": {
        const target = files[files.length - 1];
        if (target) out.push({ type: "hardlink", path, target });
        else out.push({ type: "file", path, mode: 0o644, uid: 0, gid: 0, content: "hardlink-fallback" });
        return;
      }
      case "whiteout":
        out.push({ type: "whiteout", path });
        return;
    }
  };
  visit(root, "");
  return out;
}

/** 1 to 3 layers, bottom first. */
export const genLayers: fc.Arbitrary<GenEntry[][]> = fc.array(genLayerRoot.map(toEntries), {
  minLength: 1,
  maxLength: 3,
});

/** A path from the names the layers use, plus one name they never use. */
export const genPath: fc.Arbitrary<string> = fc
  .array(fc.constantFrom(...NEW_NAMES), { minLength: 1, maxLength: 4 })
  .map((parts) => `/${parts.join("/")}`);

/** A filesystem operation, as the oracle harness and the model both understand it. */
export type GenOp =
  | { op: "write"; path: string; content: string; append: boolean; mode: number }
  | { op: "truncate"; path: string; size: number }
  | { op: "mkdir"; path: string; mode: number }
  | { op: "symlink"; path: string; target: string }
  | { op: "link"; path: string; target: string }
  | { op: "remove"; path: string; recursive: boolean }
  | { op: "rename"; from: string; to: string }
  | { op: "move"; from: string; to: string }
  | { op: "chmod"; path: string; mode: number }
  | { op: "chown"; path: string; uid: number; gid: number }
  | { op: "utimes"; path: string; mtime: number };

/** Operations whose paths come from `path` (biased towards paths that exist). */
export function genOpOver(path: fc.Arbitrary<string>): fc.Arbitrary<GenOp> {
  const genPath = path;
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant("write" as const),
        path: genPath,
        content: fc.constantFrom(...CONTENTS),
        append: fc.boolean(),
        mode: fc.constantFrom(0o644, 0o600, 0o4755),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("truncate" as const),
        path: genPath,
        size: fc.constantFrom(0, 1, 3, 40),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("mkdir" as const),
        path: genPath,
        mode: fc.constantFrom(0o755, 0o700, 0o4755, 0o1777),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("symlink" as const),
        path: genPath,
        target: fc.constantFrom(...SYMLINK_TARGETS),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("link" as const), path: genPath, target: genPath }) },
    {
      weight: 4,
      arbitrary: fc.record({ op: fc.constant("remove" as const), path: genPath, recursive: fc.boolean() }),
    },
    { weight: 4, arbitrary: fc.record({ op: fc.constant("rename" as const), from: genPath, to: genPath }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant("move" as const), from: genPath, to: genPath }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("chmod" as const),
        path: genPath,
        mode: fc.constantFrom(...MODES),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("chown" as const),
        path: genPath,
        uid: fc.constantFrom(...OWNERS),
        gid: fc.constantFrom(...OWNERS),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("utimes" as const),
        path: genPath,
        mtime: fc.constantFrom(0, 1_600_000_000_000),
      }),
    },
  );
}

/** Operations over arbitrary paths of the generators' names. */
export const genOp: fc.Arbitrary<GenOp> = genOpOver(genPath);

/** The paths of the layers, their directories with a new name under them, and any path of the names. */
export function pathsOf(layers: readonly GenEntry[][]): fc.Arbitrary<string> {
  const pool = new Set<string>();
  for (const layer of layers) {
    for (const e of layer) {
      if (e.path === "/") continue;
      pool.add(e.path);
      if (e.type === "dir") pool.add(`${e.path}/e`);
    }
  }
  pool.add("/e");
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...[...pool].sort()) },
    { weight: 1, arbitrary: genPath },
  );
}

/** Layers, then operations that mostly touch what the layers hold. */
export const genScenario: fc.Arbitrary<[GenEntry[][], GenOp[]]> = genLayers.chain((layers) =>
  fc.tuple(fc.constant(layers), fc.array(genOpOver(pathsOf(layers)), { minLength: 1, maxLength: 40 })),
);
