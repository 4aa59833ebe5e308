/**
 * A life on generated layers, for the properties that compare whole fs states: a container's
 * operations, commits, more containers (one sharing the first image), a removal; and the ways to
 * compare states (every field and map order, sharing, snapshot text, listings).
 */
import { type Command, simulatedClock } from "@strata/core";
import { encodeFsState, type FsEngine, type FsState, PersistentMap, type Tree } from "@strata/fs";
import fc from "fast-check";
import { type GenEntry, type GenOp, genOpsOver, genScenario } from "./generators.js";
import { buildModel, commandOf, listTree, NOW } from "./model.js";

export const textOf = (s: FsState): string => JSON.stringify(encodeFsState(s));

/** Every layer, image and container of a state, listed (trees with whiteouts and opaque flags). */
export function listState(s: FsState) {
  return {
    seq: s.seq,
    layers: s.layers.sortedKeys().map((id) => [id, listTree(s.layers.get(id) as Tree)]),
    images: s.images.sortedKeys().map((id) => {
      const i = s.images.get(id);
      return [id, i?.layerIds, listTree(i?.flattened as Tree)];
    }),
    containers: s.containers.sortedKeys().map((id) => {
      const c = s.containers.get(id);
      return [id, c?.imageId, listTree(c?.lower as Tree), listTree(c?.upper as Tree)];
    }),
  };
}

/**
 * Every field of every object, expanded (no sharing), with each map's iteration order: what any
 * later operation can observe, independent of the codec.
 */
export function deep(v: unknown): unknown {
  if (v instanceof PersistentMap)
    return { size: v.size, order: v.keys(), entries: v.sortedKeys().map((k) => [k, deep(v.get(k))]) };
  if (Array.isArray(v)) return v.map(deep);
  if (typeof v !== "object" || v === null) return v;
  const o = v as Record<string, unknown>;
  return Object.keys(o)
    .sort()
    .filter((k) => o[k] !== undefined)
    .map((k) => [k, deep(o[k])]);
}

/** Which places of the object graph hold the same object: each new object is -1, a repeat its number. */
export function sharing(root: unknown): number[] {
  const ids = new Map<object, number>();
  const out: number[] = [];
  const visit = (v: unknown): void => {
    if (typeof v !== "object" || v === null) return;
    const seen = ids.get(v);
    out.push(seen ?? -1);
    if (seen !== undefined) return;
    ids.set(v, ids.size);
    if (v instanceof PersistentMap) for (const k of v.sortedKeys()) visit(v.get(k));
    else for (const k of Object.keys(v).sort()) visit((v as Record<string, unknown>)[k]);
  };
  visit(root);
  return out;
}

/** The command of a generated operation on `container` (getxattr is a read: it has none). */
export const on = (container: string, op: Exclude<GenOp, { op: "getxattr" }>): Command =>
  ({ ...commandOf(op), container }) as Command;

export function must(engine: FsEngine, command: Command): void {
  const r = engine.execute(command);
  if (!r.ok) throw new Error(`${command.type} failed: ${r.error.message}`);
}

/**
 * A life on generated layers: operations on a container, a program written, a commit, containers on
 * both images (one sharing the first image with `box`, one started with that program), more operations on both in turn, a second commit
 * (of the running one: it is paused around it), a removal, a container on the newest image. `states`
 * holds the fs state after every command.
 */
export function live(layers: GenEntry[][], ops: GenOp[][]): { engine: FsEngine; states: FsState[] } {
  // Time moves between operations, so that every mtime and atime a rule keeps or moves shows.
  const clock = simulatedClock(NOW);
  const engine = buildModel(layers, clock);
  const states = [engine.projected];
  const apply = (container: string, op: GenOp) => {
    if (op.op === "getxattr") return; // a read changes no state
    clock.advance(1_000);
    engine.execute(on(container, op)); // a refused operation is part of the life too
    states.push(engine.projected);
  };
  const run = (container: string, list: readonly GenOp[]) => {
    for (const op of list) apply(container, op);
  };
  const step = (command: Command) => {
    must(engine, command);
    states.push(engine.projected);
  };
  const [a = [], b = [], c = []] = ops;
  run("box", a);
  // The program box2 runs: the runtime looks it up in the container's files (a name the generated
  // operations never use, so it is still there).
  step({ type: "fs.writeFile", container: "box", path: "/init", content: "", mode: 0o755 });
  step({ type: "container.commit", container: "box", tag: "next:1" });
  step({ type: "container.create", image: "next:1", name: "box2", cmd: ["/init"] });
  step({ type: "container.create", image: "oracle:1", name: "box3" });
  step({ type: "container.start", container: "box2" });
  // The two containers' operations in turn: a fold meets runs of events of each.
  for (let i = 0; i < Math.max(b.length, c.length); i++) {
    const x = b[i];
    const y = c[i];
    if (x) apply("box2", x);
    if (y && i % 3 !== 0) apply("box3", y);
  }
  run(
    "box3",
    c.filter((_, i) => i % 3 === 0),
  );
  step({ type: "container.commit", container: "box2", tag: "next:2" });
  step({ type: "container.remove", container: "box3" });
  step({ type: "container.create", image: "next:2", name: "box4" });
  run("box4", a.slice(0, 10));
  return { engine, states };
}

/** Generated layers and three runs of operations (the first for `box`, the others for later containers), and a cut. */
export const genLife = genScenario.chain(([layers, ops]) =>
  fc.tuple(
    fc.constant(layers),
    fc.tuple(fc.constant(ops), genOpsOver(layers, 0, 15), genOpsOver(layers, 0, 15)),
    fc.nat(),
  ),
);
