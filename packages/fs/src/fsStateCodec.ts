/**
 * The fs projection's state as JSON, for snapshots: `encodeFsState` and `decodeFsState`.
 *
 * **Sharing.** The state is a graph of persistent structures that share most of their parts: a
 * container's `lower` is its image's `flattened` tree, an image built on its parent shares the
 * parent's unchanged directories, every tree shares file nodes and inodes with the layers it was
 * stacked from, and a copied-up node or inode shares its extended attributes (`xattrs`, a plain
 * record that may hold kilobytes) with the one below. The encoding keeps that graph: every object (a
 * tree, a node, an inode, an image, a container, a `PersistentMap`, and a field's value that is a
 * plain object or array, such as `xattrs` or `layerIds`) is written once in `objects` and referred to
 * by its index, so a thousand containers on one image cost a thousand small records, not a thousand
 * images, and a thousand copies-up of a file with a 4 KiB capability set cost one copy of it;
 * decoding gives back one object per index, so what was shared (`===`) before is shared again.
 *
 * **Format** (version {@link FS_STATE_VERSION}):
 * `{ format: "strata.fs-state", version: 1, state: i, objects: [...] }`, where each object is
 * - a record `{ t, data, refs? }`, `t` one of `state`, `tree`, `node`, `inode`, `image`, `container`:
 *   `data` holds its plain fields, `refs` the index of each field that holds an object;
 * - a map `{ t: "map", of, entries: [[key, value], ...] }`: `of` says what the values are (`tree`,
 *   `node`, `inode`, `image`, `container`: indexes of such records; `data`: plain JSON values), and
 *   entries are sorted by key in the byte order of UTF-8 (`compareNames`), each key once;
 * - plain data `{ t: "data", value }`: a field's object or array value (its own contents copied
 *   inside it, in full: plain data nested in plain data is not shared, as nothing in the fs state
 *   nests it; the value a field holds is).
 * Objects come children first: an object refers only to earlier ones, so there is no cycle, and one
 * pass decodes them. Record fields are sorted too (in UTF-16 order, JavaScript's own: any fixed order
 * would do), so the same state always gives the same text.
 *
 * **Fields are copied generically** (the rule for whoever adds a field to a node, an inode, a tree,
 * an image, a container or the state): every field is written as it is, in `data`, except the
 * fields that hold objects, which go to `refs`: `children` of a node (a map of nodes), `root` and
 * `inodes` of a tree, `flattened` of an image, `lower` and `upper` of a container, `layers`,
 * `images` and `containers` of the state, any other field whose value is a `PersistentMap` (a map
 * of plain data), and any field whose value is a plain object or array (a `data` object). So a new
 * optional field of plain JSON data (numbers, strings, booleans, null, arrays and object literals of
 * them, e.g. a device's major and minor numbers) survives a snapshot with no change here, and so does
 * a node of a new `kind` (only the kinds known here have their fields' types checked); `undefined`
 * fields are left out, as JSON does (an absent `atime` stays absent: it means "equal to mtime"). A
 * value JSON cannot carry as it is (a `Uint8Array`, a `Map`, a class instance, `NaN`) is refused by
 * `encodeFsState` with its path: convert it, or teach the codec.
 *
 * **Checks.** `decodeFsState` takes any value `JSON.parse` can give and checks, in one pass: the
 * format and version, the shape of each object, each reference (in range, to an earlier object of
 * the right kind), the type of each known field wherever it is, in `data` or by reference (among
 * them every node's and inode's `mtime`, `atime` and `xattrs`, a symlink's `linkId` and `nlink`), the
 * key order of each map, child names (not empty, no `/`, not `.` or `..`), a tree's root being a
 * directory, each file's inode in the table of the first tree that reaches it (so the check stays
 * linear), plain data nested at most 64 deep, and that every object is reached from the state. A
 * failure is a {@link FsStateCodecError} naming the JSON path (`$.objects[12].data.mode`), never
 * another exception. Objects may come in any order where references point back (the encoder writes
 * one canonical order). Deeper fs invariants (nlink counts, the names of one symlink inode holding
 * equal metadata, a flattened tree being the stack of its layers) are not re-derived: a snapshot is
 * this encoder's output, and the snapshot store checksums it.
 */
import type { FsNode, Tree } from "./FsNode.js";
import type { FsState } from "./FsState.js";
import { FsStateCodecError } from "./FsStateCodecError.js";
import { compareNames, PersistentMap } from "./PersistentMap.js";
import { copyPlain, isPlainObject, isPrimitive, type JsonObject, type JsonValue } from "./plainJson.js";

export const FS_STATE_FORMAT = "strata.fs-state";
export const FS_STATE_VERSION = 1;

/** The kinds of record in an encoded state. */
export type FsStateRecordKind = "state" | "tree" | "node" | "inode" | "image" | "container";
/** What the values of an encoded map are: records of a kind, or plain JSON (`data`). */
export type FsStateMapOf = Exclude<FsStateRecordKind, "state"> | "data";

export interface FsStateRecordJson {
  readonly t: FsStateRecordKind;
  readonly data: JsonObject;
  /** The index in `objects` of each field that holds an object (absent when none does). */
  readonly refs?: { readonly [field: string]: number };
}
export interface FsStateMapJson {
  readonly t: "map";
  readonly of: FsStateMapOf;
  /** Sorted by key (UTF-8 byte order); values are indexes, or plain JSON when `of` is `data`. */
  readonly entries: readonly (readonly [string, JsonValue])[];
}
/**
 * A field's plain-data value that is an object or an array (a node's `xattrs`, an image's
 * `layerIds`): written once however many fields hold it, so sharing survives as for every object.
 */
export interface FsStateDataJson {
  readonly t: "data";
  readonly value: JsonObject | readonly JsonValue[];
}
export type FsStateObjectJson = FsStateRecordJson | FsStateMapJson | FsStateDataJson;

/** An encoded fs state: JSON-safe, deterministic. */
export interface FsStateJson {
  readonly format: typeof FS_STATE_FORMAT;
  readonly version: typeof FS_STATE_VERSION;
  /** The index of the `state` record. */
  readonly state: number;
  readonly objects: readonly FsStateObjectJson[];
}

/** What a reference points at. */
type Target =
  | { readonly t: FsStateRecordKind }
  | { readonly t: "map"; readonly of: FsStateMapOf }
  | { readonly t: "data" };

const map = (of: FsStateMapOf): Target => ({ t: "map", of });
const DATA_MAP = map("data");
const DATA: Target = { t: "data" };
/** What a field outside {@link REFS} may refer to: a map of plain data, or a plain object or array. */
const PLAIN_TARGETS: readonly Target[] = [DATA_MAP, DATA];

/** The fields of each kind that hold objects; any other field holding a PersistentMap is a data map. */
const REFS: Readonly<Record<FsStateRecordKind, Readonly<Record<string, Target>>>> = {
  state: { layers: map("tree"), images: map("image"), containers: map("container") },
  tree: { root: { t: "node" }, inodes: map("inode") },
  image: { flattened: { t: "tree" } },
  container: { lower: { t: "tree" }, upper: { t: "tree" } },
  node: { children: map("node") },
  inode: {},
};

const describe = (t: Target): string =>
  t.t === "map"
    ? `a map of ${t.of}`
    : t.t === "data"
      ? "plain data"
      : `${/^[aeiou]/.test(t.t) ? "an" : "a"} ${t.t}`;
const sameTarget = (a: Target, b: Target): boolean =>
  a.t === b.t && (a.t !== "map" || (b.t === "map" && a.of === b.of));
const knownRef = (kind: FsStateRecordKind, field: string): Target | undefined =>
  Object.hasOwn(REFS[kind], field) ? REFS[kind][field] : undefined;
const keyPath = (path: string, key: string) => `${path}[${JSON.stringify(key)}]`;
/** An object or array JSON can carry as it is (its contents are checked when it is copied). */
const isStructure = (v: unknown): v is object => Array.isArray(v) || isPlainObject(v);

/**
 * The JSON of `state`: plain data only, the same text for the same state, each shared object once.
 * Throws {@link FsStateCodecError} (`fs-state-unencodable`) if a field holds what JSON cannot carry.
 *
 * @example
 * const text = JSON.stringify(encodeFsState(engine.projected));
 * const state = decodeFsState(JSON.parse(text)); // lists, shares and evolves as engine.projected
 */
export function encodeFsState(state: FsState): FsStateJson {
  const encoder = new Encoder();
  const root = encoder.encode({ t: "state" }, state, "state");
  return { format: FS_STATE_FORMAT, version: FS_STATE_VERSION, state: root, objects: encoder.objects };
}

/** An object being written: its fields or entries in order, each object it refers to written first. */
type Frame =
  | {
      readonly t: "record";
      readonly kind: FsStateRecordKind;
      readonly value: Record<string, unknown>;
      readonly path: string;
      readonly fields: readonly string[];
      i: number;
      readonly data: Record<string, JsonValue>;
      readonly refs: Record<string, number>;
    }
  | {
      readonly t: "map";
      readonly of: FsStateMapOf;
      readonly m: PersistentMap<unknown>;
      readonly path: string;
      readonly entries: readonly [string, unknown][];
      i: number;
      readonly out: [string, JsonValue][];
    };

/** A reference a frame meets: what it must be, the value, where it is. */
type Child = { readonly target: Target; readonly value: unknown; readonly path: string };

/**
 * Writes objects children first, with a stack of its own rather than the call stack: a tree as deep
 * as PATH_MAX allows (2,048 directories) is as safe to encode as a flat one.
 */
class Encoder {
  readonly objects: FsStateObjectJson[] = [];
  /** Records and plain-data objects written, by identity. */
  readonly #records = new Map<object, { index: number; kind: FsStateRecordKind | "data" }>();
  /** Per role: the empty map is one object, used as a map of nodes, of inodes, ... */
  readonly #maps = new Map<FsStateMapOf, Map<PersistentMap<unknown>, number>>();

  #fail(path: string, problem: string): FsStateCodecError {
    return new FsStateCodecError("fs-state-unencodable", path, problem);
  }

  /** The index of `value`, written with everything it refers to unless it was already. */
  encode(target: Exclude<Target, { t: "data" }>, value: unknown, path: string): number {
    const known = this.#known(target, value, path);
    if (known !== undefined) return known;
    const stack: Frame[] = [this.#open(target, value, path)];
    for (;;) {
      const frame = stack[stack.length - 1] as Frame;
      const child = this.#next(frame);
      if (child !== undefined) {
        const { target: t, value: v, path: at } = child;
        const index = this.#known(t, v, at);
        if (index !== undefined) this.#accept(frame, index);
        else if (t.t === "data") this.#accept(frame, this.#data(v as object, at));
        else stack.push(this.#open(t, v, at));
        continue;
      }
      stack.pop();
      const index = this.#close(frame);
      const parent = stack[stack.length - 1];
      if (parent === undefined) return index;
      this.#accept(parent, index);
    }
  }

  /** Checks `value` is a `target`; its index if it was written already. */
  #known(target: Target, value: unknown, path: string): number | undefined {
    if (target.t === "map") {
      if (!(value instanceof PersistentMap)) throw this.#fail(path, "expected a PersistentMap");
      return this.#maps.get(target.of)?.get(value);
    }
    if (target.t === "data" ? !isStructure(value) : !isPlainObject(value))
      throw this.#fail(path, `expected ${describe(target)} (an object literal)`);
    const seen = this.#records.get(value as object);
    if (seen !== undefined && seen.kind !== target.t)
      throw this.#fail(path, `the same object is also used as ${describe({ t: seen.kind })}`);
    return seen?.index;
  }

  /** Writes a plain object or array (it refers to nothing) and returns its index. */
  #data(value: object, path: string): number {
    const index = this.objects.length;
    const copy = copyPlain(value, path, "fs-state-unencodable") as JsonObject | readonly JsonValue[];
    this.objects.push({ t: "data", value: copy });
    this.#records.set(value, { index, kind: "data" });
    return index;
  }

  #open(target: Exclude<Target, { t: "data" }>, value: unknown, path: string): Frame {
    if (target.t === "map") {
      const m = value as PersistentMap<unknown>;
      return { t: "map", of: target.of, m, path, entries: m.sortedEntries(), i: 0, out: [] };
    }
    const record = value as Record<string, unknown>;
    const fields = Object.keys(record).sort();
    return { t: "record", kind: target.t, value: record, path, fields, i: 0, data: {}, refs: {} };
  }

  /** Copies the frame's plain fields or entries up to the next reference, and returns that one. */
  #next(frame: Frame): Child | undefined {
    if (frame.t === "map") {
      while (frame.i < frame.entries.length) {
        const [key, v] = frame.entries[frame.i++] as [string, unknown];
        const at = keyPath(frame.path, key);
        if (frame.of !== "data") return { target: { t: frame.of }, value: v, path: at };
        frame.out.push([key, copyPlain(v, at, "fs-state-unencodable")]);
      }
      return undefined;
    }
    while (frame.i < frame.fields.length) {
      const field = frame.fields[frame.i++] as string;
      const v = frame.value[field];
      if (v === undefined) continue;
      const target =
        knownRef(frame.kind, field) ??
        (v instanceof PersistentMap ? DATA_MAP : isStructure(v) ? DATA : undefined);
      if (target !== undefined) return { target, value: v, path: `${frame.path}.${field}` };
      frame.data[field] = isPrimitive(v) ? v : copyPlain(v, `${frame.path}.${field}`, "fs-state-unencodable");
    }
    return undefined;
  }

  /** Puts `index` where the reference `#next` returned last goes. */
  #accept(frame: Frame, index: number): void {
    if (frame.t === "map") frame.out.push([(frame.entries[frame.i - 1] as [string, unknown])[0], index]);
    else frame.refs[frame.fields[frame.i - 1] as string] = index;
  }

  /** Writes the frame's object (everything it refers to is written) and returns its index. */
  #close(frame: Frame): number {
    const index = this.objects.length;
    if (frame.t === "map") {
      this.objects.push({ t: "map", of: frame.of, entries: frame.out });
      let seen = this.#maps.get(frame.of);
      if (seen === undefined) {
        seen = new Map();
        this.#maps.set(frame.of, seen);
      }
      seen.set(frame.m, index);
      return index;
    }
    const { kind, data, refs } = frame;
    this.objects.push(Object.keys(refs).length > 0 ? { t: kind, data, refs } : { t: kind, data });
    this.#records.set(frame.value, { index, kind });
    return index;
  }
}

/** A check of one data field: the problem, or undefined. */
type FieldCheck = (v: JsonValue) => string | undefined;
const natural: FieldCheck = (v) =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? undefined : "expected an integer ≥ 0";
const number: FieldCheck = (v) => (typeof v === "number" ? undefined : "expected a number");
const string: FieldCheck = (v) => (typeof v === "string" ? undefined : "expected a string");
const boolean: FieldCheck = (v) => (typeof v === "boolean" ? undefined : "expected a boolean");
const strings: FieldCheck = (v) =>
  Array.isArray(v) && v.every((s) => typeof s === "string") ? undefined : "expected an array of strings";
const xattrs: FieldCheck = (v) =>
  isPlainObject(v) && Object.values(v).every((s) => typeof s === "string")
    ? undefined
    : "expected extended attributes (an object of name → base64 string)";
/** What every node with metadata and every inode has beside its own fields (FsNode.ts `Common`). */
const COMMON = {
  mtime: [number],
  atime: [number, "optional"],
  xattrs: [xattrs, "optional"],
} as const;

/** Known data fields by record kind (nodes by `node:<kind>`): check, and whether the field may be absent. */
const FIELDS: Readonly<Record<string, Readonly<Record<string, readonly [FieldCheck, "optional"?]>>>> = {
  state: { seq: [natural] },
  tree: {},
  image: { layerIds: [strings] },
  container: { imageId: [string] },
  inode: {
    digest: [string],
    size: [natural],
    mode: [natural],
    uid: [natural],
    gid: [natural],
    nlink: [natural],
    ...COMMON,
  },
  "node:file": { ino: [string] },
  "node:dir": {
    mode: [natural],
    uid: [natural],
    gid: [natural],
    opaque: [boolean],
    implied: [boolean, "optional"],
    ...COMMON,
  },
  "node:symlink": {
    target: [string],
    uid: [natural],
    gid: [natural],
    linkId: [string, "optional"],
    nlink: [natural, "optional"],
    ...COMMON,
  },
  "node:whiteout": {},
};
/** Reference fields a record must have (a directory node must have `children`). */
const REQUIRED_REFS: Readonly<Record<string, readonly string[]>> = {
  state: ["layers", "images", "containers"],
  tree: ["root", "inodes"],
  image: ["flattened"],
  container: ["lower", "upper"],
  "node:dir": ["children"],
};
const RECORD_KINDS: readonly string[] = ["state", "tree", "node", "inode", "image", "container"];
const MAP_OF: readonly string[] = ["tree", "node", "inode", "image", "container", "data"];

/**
 * The state `json` encodes (see the file header for what is checked). Throws
 * {@link FsStateCodecError} (`fs-snapshot-invalid`) naming the JSON path of the first problem.
 */
export function decodeFsState(json: unknown): FsState {
  const fail = (path: string, problem: string) => new FsStateCodecError("fs-snapshot-invalid", path, problem);
  if (!isPlainObject(json)) throw fail("$", "expected an object (an encoded fs state)");
  onlyKeys(json, ["format", "version", "state", "objects"], "$");
  if (json.format !== FS_STATE_FORMAT)
    throw fail("$.format", `expected ${JSON.stringify(FS_STATE_FORMAT)}, found ${show(json.format)}`);
  if (json.version !== FS_STATE_VERSION)
    throw fail(
      "$.version",
      `version ${show(json.version)} is not supported (this build reads ${FS_STATE_VERSION})`,
    );
  if (!Array.isArray(json.objects)) throw fail("$.objects", "expected an array");
  const decoder = new Decoder(json.objects);
  decoder.run();
  const root = decoder.ref(json.state, { t: "state" }, "$.state", json.objects.length);
  decoder.checkAllReached(root);
  return decoder.values[root] as FsState;
}

function show(v: unknown): string {
  const text = v === undefined ? "nothing" : (JSON.stringify(v) ?? String(v));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function onlyKeys(o: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(o))
    if (!allowed.includes(key))
      throw new FsStateCodecError(
        "fs-snapshot-invalid",
        `${path}.${key}`,
        `unexpected field (expected only ${allowed.join(", ")})`,
      );
}

class Decoder {
  readonly values: unknown[] = [];
  readonly #targets: Target[] = [];
  readonly #reached: boolean[] = [];
  /** Directories whose files were checked against an inode table already. */
  readonly #walked = new Set<unknown>();
  readonly #objects: readonly unknown[];

  constructor(objects: readonly unknown[]) {
    this.#objects = objects;
  }

  #fail(path: string, problem: string): FsStateCodecError {
    return new FsStateCodecError("fs-snapshot-invalid", path, problem);
  }

  run(): void {
    this.#objects.forEach((raw, i) => {
      const path = `$.objects[${i}]`;
      if (!isPlainObject(raw)) throw this.#fail(path, "expected an object");
      if (raw.t !== "map" && raw.t !== "data" && !RECORD_KINDS.includes(raw.t as string))
        throw this.#fail(
          `${path}.t`,
          `expected map, data or one of ${RECORD_KINDS.join(", ")}, found ${show(raw.t)}`,
        );
      const [value, target] =
        raw.t === "map"
          ? this.#map(raw, path, i)
          : raw.t === "data"
            ? this.#data(raw, path)
            : this.#record(raw, path, i);
      this.values.push(value);
      this.#targets.push(target);
      this.#reached.push(false);
    });
  }

  /** The index `v` names, checked: an earlier object (before `before`) that is `target` (or one of them). */
  ref(v: unknown, target: Target | readonly Target[], path: string, before: number): number {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      throw this.#fail(path, `expected a reference (an index into $.objects), found ${show(v)}`);
    if (v >= this.#objects.length)
      throw this.#fail(
        path,
        `refers to objects[${v}], which does not exist (${this.#objects.length} objects)`,
      );
    if (v >= before)
      throw this.#fail(path, `refers forward to objects[${v}]: an object refers only to earlier ones`);
    const found = this.#targets[v] as Target;
    const allowed: readonly Target[] = Array.isArray(target) ? target : [target as Target];
    if (!allowed.some((t) => sameTarget(found, t)))
      throw this.#fail(
        path,
        `refers to objects[${v}], ${describe(found)}; expected ${allowed.map(describe).join(" or ")}`,
      );
    this.#reached[v] = true;
    return v;
  }

  checkAllReached(root: number): void {
    this.#reached[root] = true;
    const i = this.#reached.indexOf(false);
    if (i >= 0)
      throw this.#fail(
        `$.objects[${i}]`,
        "is reached from nothing: an encoding holds only the state's objects",
      );
  }

  /** A plain object or array, written once however many fields hold it. */
  #data(raw: Record<string, unknown>, path: string): [object, Target] {
    onlyKeys(raw, ["t", "value"], path);
    if (!isStructure(raw.value))
      throw this.#fail(`${path}.value`, `expected an object or an array, found ${show(raw.value)}`);
    return [copyPlain(raw.value, `${path}.value`, "fs-snapshot-invalid") as object, DATA];
  }

  #map(raw: Record<string, unknown>, path: string, index: number): [PersistentMap<unknown>, Target] {
    onlyKeys(raw, ["t", "of", "entries"], path);
    const of = raw.of;
    if (typeof of !== "string" || !MAP_OF.includes(of))
      throw this.#fail(`${path}.of`, `expected one of ${MAP_OF.join(", ")}, found ${show(of)}`);
    const entries = raw.entries;
    if (!Array.isArray(entries)) throw this.#fail(`${path}.entries`, "expected an array of [key, value]");
    const out: [string, unknown][] = [];
    let previous: string | undefined;
    entries.forEach((entry: unknown, k) => {
      const at = `${path}.entries[${k}]`;
      if (!Array.isArray(entry) || entry.length !== 2) throw this.#fail(at, "expected a [key, value] pair");
      const key: unknown = entry[0];
      if (typeof key !== "string") throw this.#fail(`${at}[0]`, `expected a string key, found ${show(key)}`);
      if (previous !== undefined && compareNames(previous, key) >= 0)
        throw this.#fail(
          `${at}[0]`,
          `${show(key)} is not after ${show(previous)}: keys are sorted (UTF-8 byte order), each once`,
        );
      previous = key;
      if (of === "node" && (key === "" || key === "." || key === ".." || key.includes("/")))
        throw this.#fail(`${at}[0]`, `${show(key)} is not a file name`);
      const value =
        of === "data"
          ? copyPlain(entry[1], `${at}[1]`, "fs-snapshot-invalid")
          : this.values[this.ref(entry[1], { t: of as Exclude<FsStateMapOf, "data"> }, `${at}[1]`, index)];
      out.push([key, value]);
    });
    return [PersistentMap.from(out), map(of as FsStateMapOf)];
  }

  #record(raw: Record<string, unknown>, path: string, index: number): [object, Target] {
    onlyKeys(raw, ["t", "data", "refs"], path);
    const k = raw.t as FsStateRecordKind;
    if (!isPlainObject(raw.data)) throw this.#fail(`${path}.data`, "expected an object");
    const data = copyPlain(raw.data, `${path}.data`, "fs-snapshot-invalid") as Record<string, JsonValue>;
    const rawRefs = raw.refs ?? {};
    if (!isPlainObject(rawRefs)) throw this.#fail(`${path}.refs`, "expected an object");
    let spec: string = k;
    if (k === "node") {
      // A kind this build does not know (a device node someone adds) is kept as plain data too.
      const nodeKind = data.kind;
      if (typeof nodeKind !== "string" || nodeKind === "")
        throw this.#fail(
          `${path}.data.kind`,
          `expected the node's kind (file, dir, ...), found ${show(nodeKind)}`,
        );
      spec = `node:${nodeKind}`;
    }
    const value: Record<string, unknown> = data; // a fresh copy: the refs join it
    const required = REQUIRED_REFS[spec] ?? [];
    if (raw.refs === undefined && required.length > 0)
      throw this.#fail(
        `${path}.refs`,
        `missing (${describe({ t: k })} refers to its ${required.join(", ")})`,
      );
    for (const field of required)
      if (!Object.hasOwn(rawRefs, field)) throw this.#fail(`${path}.refs.${field}`, "missing");
    for (const field of Object.keys(rawRefs)) {
      const at = `${path}.refs.${field}`;
      if (field === "__proto__") throw this.#fail(at, "a field named __proto__ is refused");
      if (Object.hasOwn(data, field)) throw this.#fail(at, "the field is also in data");
      if (k === "node" && field === "children" && spec !== "node:dir")
        throw this.#fail(at, `only a directory has children, not a ${String(data.kind)}`);
      const target = knownRef(k, field) ?? PLAIN_TARGETS;
      value[field] = this.values[this.ref(rawRefs[field], target, at, index)];
    }
    // Known fields, in data or (an object or array) by reference: where each is, the path names.
    for (const [field, [check, optional]] of Object.entries(FIELDS[spec] ?? {})) {
      const v = value[field];
      const at = `${path}.${Object.hasOwn(rawRefs, field) ? "refs" : "data"}.${field}`;
      if (v === undefined) {
        if (optional) continue;
        throw this.#fail(at, "missing");
      }
      const problem = v instanceof PersistentMap ? "expected plain data, not a map" : check(v as JsonValue);
      if (problem !== undefined) throw this.#fail(at, `${problem}, found ${show(v)}`);
    }
    if (k === "tree") this.#checkTree(value as unknown as Tree, path, rawRefs);
    return [value, { t: k }];
  }

  /** The root is a directory, and every file first reached through this tree has its inode here. */
  #checkTree(tree: Tree, path: string, refs: Record<string, unknown>): void {
    if (tree.root.kind !== "dir")
      throw this.#fail(
        `${path}.refs.root`,
        `refers to objects[${String(refs.root)}], a ${tree.root.kind}; a tree's root is a directory`,
      );
    const stack: FsNode[] = [tree.root];
    for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
      if (node.kind === "file" && !tree.inodes.has(node.ino))
        throw this.#fail(
          `$.objects[${this.values.indexOf(node)}].data.ino`,
          `inode ${show(node.ino)} is not in the inode table (objects[${String(refs.inodes)}]) of the tree ${path}`,
        );
      if (node.kind !== "dir" || this.#walked.has(node)) continue;
      this.#walked.add(node);
      for (const [, child] of node.children.entries()) stack.push(child);
    }
  }
}
