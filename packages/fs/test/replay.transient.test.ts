/**
 * The transient replay (docs/fs-model.md, "Transient replay"): `replayProjected`, `replayProjectedTo`
 * and `applyProjected` fold with `FsFold`, which changes private structures in place and freezes them
 * once. On random lives (the generators of the union properties and of the snapshot codec: layers,
 * every kind of operation, several containers in turn, commits, a removal) its result must be the
 * state the persistent fold (`evolve` and `evolveFs`, event by event) gives, on every prefix: the
 * same fields and map orders, the same sharing, the same snapshot text; the persistent path must go on
 * from it as from its own states; and nothing may change it afterwards, nor the state it started from.
 */
import {
  applyProjected,
  type EventEnvelope,
  initialState,
  type ProjectedState,
  ReplayError,
  replayProjected,
  replayProjectedTo,
  stepProjected,
} from "@strata/core";
import { FsFold, type FsState, fsProjection, initialFsState, MemoryBlobStore } from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { deep, genLife, genNameRunLife, live, textOf } from "./support/life.js";

const RUNS = Number(process.env.STRATA_FS_RUNS ?? 300);
const projection = fsProjection({ blobs: new MemoryBlobStore() });

/** The persistent fold: the states after every prefix of `events` (index k: after the first k). */
function stepByStep(events: readonly EventEnvelope[]): ProjectedState<FsState>[] {
  const states: ProjectedState<FsState>[] = [{ core: initialState(), projection: initialFsState() }];
  for (const e of events)
    states.push(stepProjected(projection, states[states.length - 1] as ProjectedState<FsState>, e));
  return states;
}

/** The persistent fold of `events` from `from` (default: the empty log's states). */
function foldStepByStep(
  events: readonly EventEnvelope[],
  from: ProjectedState<FsState> = { core: initialState(), projection: initialFsState() },
): ProjectedState<FsState> {
  let s = from;
  for (const e of events) s = stepProjected(projection, s, e);
  return s;
}

/**
 * Everything later operations can observe of both states: every field and map order (`deep`), and
 * the snapshot text (which also says which places hold the same object).
 */
function observed(s: ProjectedState<FsState>) {
  return { core: s.core, fs: deep(s.projection), text: textOf(s.projection) };
}

/** The same error, or the same state. */
function outcome(f: () => ProjectedState<FsState>): unknown {
  try {
    return observed(f());
  } catch (e) {
    if (e instanceof ReplayError) return { seq: e.seq, reason: e.reason, message: e.message };
    throw e;
  }
}

/** The transient fold of every prefix of a life's log is the persistent fold's state after it. */
function equalOnEveryPrefix(layers: Parameters<typeof live>[0], ops: Parameters<typeof live>[1]): void {
  const { engine } = live(layers, ops);
  const events = engine.log.read();
  const persistent = stepByStep(events);
  for (let k = 0; k <= events.length; k++) {
    const transient = replayProjectedTo(projection, events, k);
    expect(observed(transient), `after ${k} of ${events.length} events`).toEqual(
      observed(persistent[k] as ProjectedState<FsState>),
    );
  }
  // And the live engine (which folds each command's events transiently) is the same state.
  expect(deep(engine.projected)).toEqual(deep(persistent[events.length]?.projection));
}

describe("transient replay of the fs projection", () => {
  test("equals the persistent fold on every prefix of random lives", () => {
    fc.assert(
      fc.property(genLife, ([layers, ops]) => equalOnEveryPrefix(layers, ops)),
      { numRuns: Math.max(20, Math.floor(RUNS / 3)) },
    );
  });

  test("equals it on every prefix of lives made of runs of writes: new names in directories the write cache holds (over whiteouts, in opaque directories, beside names below that are copied up instead), names written again, broken by removals, links, renames, mkdir, chmod and xattrs", () => {
    fc.assert(
      fc.property(genNameRunLife, ([layers, ops]) => equalOnEveryPrefix(layers, ops)),
      { numRuns: Math.max(20, Math.floor(RUNS / 3)) },
    );
  });

  test("held directories settle whatever their order: a new name in /e, then one in / (the parent settled last must not put back its /e as it was)", () => {
    const root = { type: "dir", path: "/", mode: 0o755, uid: 0, gid: 0, mtime: 1e12, xattrs: {} } as const;
    const write = (path: string) =>
      ({ op: "write", path, content: "", append: false, create: true, mode: 0o644 }) as const;
    equalOnEveryPrefix(
      [[root]],
      [
        [],
        [
          { op: "mkdirp", path: "/e", mode: 0o755 },
          write("/e/a"),
          write("/！"),
          { op: "chmod", path: "/e/a", mode: 0o600, follow: false },
          // Any other event forgets the cache; then / and /e are held again, in that order.
          { op: "link", path: "/e/e", target: "/e/a" },
          write("/！"),
          write("/e/a"),
          write("/e/d"),
          write("/a"),
        ],
        [{ op: "move", from: "/e", to: "/e" }],
      ],
    );
  });

  test("a transient result is a normal state: the persistent and the transient fold go on from it as from the persistent state, and neither changes it, nor the state a fold started from", () => {
    fc.assert(
      fc.property(genLife, ([layers, ops, cut]) => {
        const { engine } = live(layers, ops);
        const events = engine.log.read();
        const k = cut % (events.length + 1);
        const head = events.slice(0, k);
        const tail = events.slice(k);
        const fromPersistent = foldStepByStep(head);
        const full = observed(foldStepByStep(tail, fromPersistent));
        const atK = replayProjected(projection, head);
        const before = observed(atK);
        // Going on: step by step (evolve all the way), transiently, and transiently from the persistent state.
        let stepped = atK;
        for (const e of tail) stepped = stepProjected(projection, stepped, e);
        expect(observed(stepped)).toEqual(full);
        expect(observed(applyProjected(projection, atK, tail))).toEqual(full);
        const persistentBefore = observed(fromPersistent);
        expect(observed(applyProjected(projection, fromPersistent, tail))).toEqual(full);
        // Twice from the same result, in pieces: the first fold changed nothing the second sees.
        const half = Math.floor(tail.length / 2);
        const again = applyProjected(
          projection,
          applyProjected(projection, atK, tail.slice(0, half)),
          tail.slice(half),
        );
        expect(observed(again)).toEqual(full);
        // Nothing changed the transient result, nor the persistent state the folds started from.
        expect(observed(atK)).toEqual(before);
        expect(observed(fromPersistent)).toEqual(persistentBefore);
      }),
      { numRuns: Math.max(20, Math.floor(RUNS / 2)) },
    );
  });

  test("a log the fold cannot apply fails alike: the same ReplayError (seq, reason, message) as the persistent fold", () => {
    const broken = (e: EventEnvelope): EventEnvelope => {
      const data = { ...(e.data as Record<string, unknown>) };
      if (e.type === "fs.dirCreated")
        data.path = "/"; // EEXIST
      else if ("from" in data)
        data.from = "/no-such-dir/x"; // ENOENT
      else if (e.type === "fs.hardLinked") data.target = "/no-such-dir/x";
      else data.path = "/no-such-dir/x";
      return { ...e, data } as EventEnvelope;
    };
    fc.assert(
      fc.property(genLife, fc.nat(), fc.boolean(), ([layers, ops], pick, foreign) => {
        const { engine } = live(layers, ops);
        const events = engine.log.read();
        const fsAt = events.flatMap((e, i) => (e.type.startsWith("fs.") ? [i] : []));
        if (fsAt.length === 0) return;
        const i = fsAt[pick % fsAt.length] as number;
        const e = events[i] as EventEnvelope;
        // An event of a stream with no read-write layer, or one whose path does not resolve.
        const bad = foreign ? ({ ...e, streamId: "f".repeat(64) } as EventEnvelope) : broken(e);
        const log = [...events.slice(0, i), bad, ...events.slice(i + 1)];
        const expected = outcome(() => foldStepByStep(log));
        expect(outcome(() => replayProjected(projection, log))).toEqual(expected);
      }),
      { numRuns: Math.max(20, Math.floor(RUNS / 2)) },
    );
  });

  test("a fold is over after its result or a failure: it refuses more events", () => {
    const root = { type: "dir", path: "/", mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: {} } as const;
    const { engine } = live([[root]], [[{ op: "mkdir", path: "/a", mode: 0o755 }]]);
    const events = engine.log.read();
    const fold = new FsFold(initialFsState());
    for (const e of events) fold.add(e);
    fold.result();
    expect(() => fold.add(events[0] as EventEnvelope)).toThrow(/over/);
    expect(() => fold.result()).toThrow(/over/);
    const failing = new FsFold(initialFsState());
    const write = events.find((e) => e.type.startsWith("fs.")) as EventEnvelope;
    expect(() => failing.add(write)).toThrow(ReplayError);
    expect(() => failing.add(events[0] as EventEnvelope)).toThrow(/over/);
  });
});

test("a run of writes through both names of a hard link: each write starts from the inode the last one left", () => {
  const root = { type: "dir", path: "/", mode: 0o755, uid: 0, gid: 0, mtime: 0, xattrs: {} } as const;
  const write = (path: string, content: string) =>
    ({ op: "write", path, content, append: false, create: true, mode: 0o644 }) as const;
  const { engine } = live(
    [[root]],
    [
      [
        write("/a", "1"),
        { op: "link", path: "/b", target: "/a" },
        write("/a", "2"),
        write("/a", "3"),
        write("/b", "4"),
        write("/a", "5"),
      ],
    ],
  );
  const events = engine.log.read();
  expect(events.filter((e) => e.type === "fs.hardLinked")).toHaveLength(1);
  const persistent = stepByStep(events);
  for (let k = 0; k <= events.length; k++)
    expect(observed(replayProjectedTo(projection, events, k))).toEqual(
      observed(persistent[k] as ProjectedState<FsState>),
    );
});
