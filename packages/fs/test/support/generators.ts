/**
 * fast-check generators for the fs tests: random layers (deep trees, name clashes across layers, a
 * file in one layer and a directory in another, symlinks, hard links, whiteouts, opaque directories)
 * and random filesystem operations over the same names.
 */
import fc from "fast-check";

export const NAMES = ["a", "b", "c", "d"] as const;
/**
 * Names whose UTF-8 byte order differs from JavaScript's UTF-16 order (U+FF01 sorts before U+1F600 in
 * bytes, after it in code units), and the longest name the kernel takes in two-byte characters.
 */
export const EXOTIC_NAMES = ["！", "😀", "é".repeat(127)] as const;
/** A name of 256 bytes in 128 characters: ENAMETOOLONG, though its UTF-16 length is 128. */
export const TOO_LONG_NAME = "é".repeat(128);
const LAYER_NAMES = [...NAMES, ...NAMES, ...NAMES, ...EXOTIC_NAMES] as const;
const NEW_NAMES = [...NAMES, "e"] as const;

/** Times the generators give entries and utimes (ms; never the model's clock, so "now" stays apart). */
export const TIMES = [1_000_000_000_000, 1_300_000_000_500, 1_600_000_000_000] as const;
/** A valid v2 security.capability value (CAP_NET_BIND_SERVICE, effective), in base64. */
export const CAPABILITY_V2 = Buffer.from([
  1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]).toString("base64");
/** Extended attributes the generators put on layer entries (name → base64). */
const XATTR_SETS = [
  {},
  {},
  {},
  { "user.a": Buffer.from("1").toString("base64") },
  { "user.b": Buffer.from("héllo").toString("base64"), "trusted.t": "" },
  { "security.capability": CAPABILITY_V2 },
] as const;
const SYMLINK_XATTR_SETS = [{}, {}, {}, { "trusted.t": Buffer.from("x").toString("base64") }] as const;

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
  "a/",
  "/a/b/",
  "nowhere/",
  "😀",
] as const;

/** A node of a generated layer: the shape, before it becomes entries. */
type Xattrs = Record<string, string>;
export type GenNode =
  | { kind: "file"; mode: number; uid: number; gid: number; mtime: number; xattrs: Xattrs; content: string }
  | {
      kind: "dir";
      mode: number;
      uid: number;
      gid: number;
      mtime: number;
      xattrs: Xattrs;
      opaque: boolean;
      children: Record<string, GenNode>;
    }
  | { kind: "symlink"; target: string; uid: number; gid: number; mtime: number; xattrs: Xattrs }
  | { kind: "hardlink" }
  | { kind: "whiteout" };

/** An entry of a generated layer, in the order a tar would hold it (parents first). */
export type GenEntry =
  | { type: "dir"; path: string; mode: number; uid: number; gid: number; mtime: number; xattrs: Xattrs }
  | {
      type: "file";
      path: string;
      mode: number;
      uid: number;
      gid: number;
      mtime: number;
      xattrs: Xattrs;
      content: string;
    }
  | {
      type: "symlink";
      path: string;
      target: string;
      uid: number;
      gid: number;
      mtime: number;
      xattrs: Xattrs;
    }
  | { type: "hardlink"; path: string; target: string }
  | { type: "whiteout"; path: string }
  | { type: "opaque"; path: string };

const mode = fc.constantFrom(...MODES);
const owner = fc.constantFrom(...OWNERS);
const time = fc.constantFrom(...TIMES);
const xattrs = fc.constantFrom<Xattrs>(...XATTR_SETS);

const leaf: fc.Arbitrary<GenNode> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("file" as const),
      mode,
      uid: owner,
      gid: owner,
      mtime: time,
      xattrs,
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
      mtime: time,
      xattrs: fc.constantFrom<Xattrs>(...SYMLINK_XATTR_SETS),
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
    mtime: time,
    xattrs,
    opaque: fc.boolean().map((b) => b && depth > 0), // opaque only below the root
    children: fc.dictionary(fc.constantFrom(...LAYER_NAMES), child, { maxKeys: 4 }),
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
        if (path !== "")
          out.push({
            type: "dir",
            path,
            mode: node.mode,
            uid: node.uid,
            gid: node.gid,
            mtime: node.mtime,
            xattrs: node.xattrs,
          });
        else out.push({ type: "dir", path: "/", mode: 0o755, uid: 0, gid: 0, mtime: node.mtime, xattrs: {} });
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
          mtime: node.mtime,
          xattrs: node.xattrs,
          content: node.content,
        });
        files.push(path);
        return;
      case "symlink":
        out.push({
          type: "symlink",
          path,
          target: node.target,
          uid: node.uid,
          gid: node.gid,
          mtime: node.mtime,
          xattrs: node.xattrs,
        });
        files.push(path);
        return;
      case "hardlink": {
        // link(2) of a file or of a symlink itself: one inode, two names.
        const target = files[files.length - 1];
        if (target) out.push({ type: "hardlink", path, target });
        else
          out.push({
            type: "file",
            path,
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: TIMES[0],
            xattrs: {},
            content: "hardlink-fallback",
          });
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

/** A path from the names the layers use, plus names they never use (one of them too long). */
export const genPath: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...NEW_NAMES) },
      { weight: 2, arbitrary: fc.constantFrom(...EXOTIC_NAMES) },
      { weight: 1, arbitrary: fc.constant(TOO_LONG_NAME) },
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((parts) => `/${parts.join("/")}`);

/** A path as a user may write it: sometimes with a trailing `/`, `/.` or `/..`. */
function loosely(path: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: path },
    { weight: 2, arbitrary: path.map((p) => `${p}/`) },
    { weight: 1, arbitrary: path.map((p) => `${p}/.`) },
    { weight: 1, arbitrary: path.map((p) => `${p}/..`) },
  );
}

/** Names of extended attributes: kept ones, overlayfs's own (ENOTSUP) and a too long one (ERANGE). */
export const XATTR_NAMES = [
  "user.a",
  "user.b",
  "trusted.t",
  "security.capability",
  "security.s",
  "trusted.overlay.x",
  `user.${"x".repeat(251)}`,
] as const;
/** Values (base64): empty, text, a valid capability, and an invalid one for security.capability (EINVAL). */
export const XATTR_VALUES = ["", Buffer.from("v").toString("base64"), CAPABILITY_V2, "YWJjZA=="] as const;

/** A filesystem operation, as the oracle harness and the model both understand it. */
export type GenOp =
  | { op: "write"; path: string; content: string; append: boolean; create: boolean; mode: number }
  | { op: "truncate"; path: string; size: number }
  | { op: "mkdir"; path: string; mode: number }
  | { op: "mkdirp"; path: string; mode: number }
  | { op: "symlink"; path: string; target: string }
  | { op: "link"; path: string; target: string }
  | { op: "remove"; path: string; recursive: boolean }
  | { op: "unlink"; path: string }
  | { op: "rmdir"; path: string }
  | { op: "rename"; from: string; to: string }
  | { op: "move"; from: string; to: string }
  | { op: "chmod"; path: string; mode: number; follow: boolean }
  | { op: "chown"; path: string; uid: number; gid: number; follow: boolean }
  | { op: "utimes"; path: string; mtime: number; atime: number | null; follow: boolean }
  | { op: "setxattr"; path: string; name: string; value: string; flag: 0 | 1 | 2; follow: boolean }
  | { op: "removexattr"; path: string; name: string; follow: boolean }
  | { op: "getxattr"; path: string; name: string; follow: boolean };

/** Operations whose paths come from `path` (biased towards paths that exist). */
export function genOpOver(path: fc.Arbitrary<string>): fc.Arbitrary<GenOp> {
  const strict = path;
  const loose = loosely(path);
  const follow = fc.oneof(
    { weight: 2, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  );
  const chownId = fc.constantFrom(...OWNERS, -1);
  const xattrName = fc.constantFrom(...XATTR_NAMES);
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        op: fc.constant("write" as const),
        path: loose,
        content: fc.constantFrom(...CONTENTS),
        append: fc.boolean(),
        create: fc.oneof(
          { weight: 3, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
        mode: fc.constantFrom(0o644, 0o600, 0o4755),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("truncate" as const),
        path: loose,
        size: fc.constantFrom(0, 1, 3, 5, 40),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("mkdir" as const),
        path: loose,
        mode: fc.constantFrom(0o755, 0o700, 0o4755, 0o1777),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant("mkdirp" as const),
        path: fc.tuple(strict, fc.constantFrom("", "/e", "/e/f", "/a/e")).map(([p, tail]) => `${p}${tail}`),
        mode: fc.constantFrom(0o755, 0o700, 0o2775),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("symlink" as const),
        path: loose,
        target: fc.constantFrom(...SYMLINK_TARGETS),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("link" as const), path: loose, target: loose }) },
    {
      weight: 3,
      arbitrary: fc.record({ op: fc.constant("remove" as const), path: strict, recursive: fc.boolean() }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("unlink" as const), path: loose }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("rmdir" as const), path: loose }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant("rename" as const), from: loose, to: loose }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant("move" as const), from: strict, to: strict }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("chmod" as const),
        path: loose,
        mode: fc.constantFrom(...MODES),
        follow,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("chown" as const),
        path: loose,
        uid: chownId,
        gid: chownId,
        follow,
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant("utimes" as const),
        path: loose,
        mtime: fc.constantFrom(...TIMES),
        atime: fc.oneof(fc.constant(null), fc.constantFrom(...TIMES)),
        follow,
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant("setxattr" as const),
        path: loose,
        name: xattrName,
        value: fc.constantFrom(...XATTR_VALUES),
        flag: fc.constantFrom(0 as const, 0 as const, 1 as const, 2 as const),
        follow,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("removexattr" as const), path: loose, name: xattrName, follow }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant("getxattr" as const), path: loose, name: xattrName, follow }),
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

/**
 * A shape single random operations rarely make, as a short run over paths of `path` (or the root): a
 * new directory renamed onto a directory made non-empty (by mkdir -p, a write, or mkdir -p after
 * `rm -r`, which leaves a whiteout to make it over), in the same parent or another. overlayfs marks the
 * source opaque when its new parent is a merge directory, before the upper rename refuses the target.
 */
export function genDirRenameShape(path: fc.Arbitrary<string>): fc.Arbitrary<GenOp[]> {
  const dirPath = fc.oneof({ weight: 1, arbitrary: fc.constant("") }, { weight: 3, arbitrary: path });
  return fc
    .record({
      // Mostly names the layers never use: the source is new, and so is the target unless remade.
      from: fc.tuple(dirPath, fc.constantFrom("e", "f", "a")).map(([p, x]) => `${p}/${x}`),
      to: fc.tuple(dirPath, fc.constantFrom("e", "f", "g", ...NAMES)).map(([p, y]) => `${p}/${y}`),
      fill: fc.constantFrom("mkdirp" as const, "write" as const, "recreate" as const),
    })
    .map(({ from, to, fill }): GenOp[] => {
      const filled: GenOp[] =
        fill === "mkdirp"
          ? [{ op: "mkdirp", path: `${to}/e`, mode: 0o755 }]
          : fill === "write"
            ? [
                { op: "mkdir", path: to, mode: 0o755 },
                { op: "write", path: `${to}/f`, content: "x", append: false, create: true, mode: 0o644 },
              ]
            : [
                { op: "remove", path: to, recursive: true },
                { op: "mkdirp", path: `${to}/a`, mode: 0o755 },
              ];
      return [{ op: "mkdir", path: from, mode: 0o755 }, ...filled, { op: "rename", from, to }];
    });
}

/**
 * Another shape single operations rarely make: a run of writes to the same two paths (the second
 * sometimes a hard link of the first, made just before), with appends, new modes and new contents. A
 * replay folds such a run with its write cache (see FsFold), which must give what the rules give.
 */
export function genWriteRun(path: fc.Arbitrary<string>): fc.Arbitrary<GenOp[]> {
  const write = fc.record({
    first: fc.boolean(),
    content: fc.constantFrom(...CONTENTS),
    append: fc.boolean(),
    mode: fc.constantFrom(0o644, 0o600, 0o4755),
  });
  return fc
    .record({
      a: path,
      b: fc.oneof(path, fc.constantFrom("/e", "/f")),
      link: fc.boolean(),
      writes: fc.array(write, { minLength: 2, maxLength: 6 }),
    })
    .map(({ a, b, link, writes }): GenOp[] => [
      ...(link ? [{ op: "link" as const, path: b, target: a }] : []),
      ...writes.map(
        (w): GenOp => ({
          op: "write",
          path: w.first ? a : b,
          content: w.content,
          append: w.append,
          create: true,
          mode: w.mode,
        }),
      ),
    ]);
}

/**
 * An extended attribute set on a path, then read, replaced (XATTR_REPLACE), created again
 * (XATTR_CREATE) or removed by the same name, and now and then read again: single operations rarely
 * meet a path that holds the name they ask for, so the success paths of getxattr and removexattr (and
 * the flags' refusals) would seldom be reached.
 */
export function genXattrShape(path: fc.Arbitrary<string>): fc.Arbitrary<GenOp[]> {
  const follow = fc.boolean();
  return fc
    .record({
      path,
      name: fc.constantFrom("user.a", "user.b", "trusted.t", "security.capability", "security.s"),
      value: fc.constantFrom(...XATTR_VALUES),
      again: fc.constantFrom(...XATTR_VALUES),
      follow,
      next: fc.constantFrom("get", "remove", "replace", "create", "remove-get"),
    })
    .map(({ path: p, name, value, again, follow: f, next }): GenOp[] => {
      const set: GenOp = { op: "setxattr", path: p, name, value, flag: 0, follow: f };
      const get: GenOp = { op: "getxattr", path: p, name, follow: f };
      const remove: GenOp = { op: "removexattr", path: p, name, follow: f };
      if (next === "get") return [set, get];
      if (next === "remove") return [set, remove];
      if (next === "remove-get") return [set, remove, get, remove];
      return [
        set,
        { op: "setxattr", path: p, name, value: again, flag: next === "replace" ? 2 : 1, follow: f },
        get,
      ];
    });
}

/** Layers, then operations that mostly touch what the layers hold, now and then in a shape of their own. */
export const genScenario: fc.Arbitrary<[GenEntry[][], GenOp[]]> = genLayers.chain((layers) =>
  fc.tuple(fc.constant(layers), genOpsOver(layers, 1, 40)),
);

/** `min` to `max` operations over the paths of `layers`: single ones, and now and then a shape. */
export function genOpsOver(layers: readonly GenEntry[][], min: number, max: number): fc.Arbitrary<GenOp[]> {
  const path = pathsOf(layers);
  const step = fc.oneof(
    { weight: 16, arbitrary: genOpOver(path).map((op) => [op]) },
    { weight: 1, arbitrary: genDirRenameShape(path) },
    { weight: 2, arbitrary: genWriteRun(path) },
    { weight: 2, arbitrary: genXattrShape(path) },
  );
  return fc.array(step, { minLength: min, maxLength: max }).map((steps) => steps.flat().slice(0, max));
}

/**
 * The same without extended attributes (layers and operations): for judges whose storage keeps only
 * some of them (podman's commit keeps security.capability alone).
 */
export const genScenarioWithoutXattrs: fc.Arbitrary<[GenEntry[][], GenOp[]]> = genScenario.map(
  ([layers, ops]) => [
    layers.map((entries) => entries.map((e) => ("xattrs" in e ? { ...e, xattrs: {} } : e))),
    ops.filter((op) => !op.op.endsWith("xattr")),
  ],
);
