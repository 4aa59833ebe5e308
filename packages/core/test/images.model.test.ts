/**
 * Model-based property test of the two image stores: random sequences of image create, tag, commit,
 * rmi (by tag or id, with and without force and pruning), image prune [-a] and the container commands
 * that pin images, against the independent ImageReferenceModel, once per store. Every outcome must
 * agree, every image must be present or deleted with the same tags, and the log must replay to the
 * engine's state (with the store recorded in it).
 */
import {
  type Command,
  type CommandResult,
  Engine,
  type ImageStore,
  parseEvent,
  replay,
  sequentialIds,
  simulatedClock,
} from "@strata/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { ImageReferenceModel } from "./model/ImageReferenceModel.js";
import type { Outcome } from "./model/ReferenceModel.js";

const BASE_IDS = [1, 2, 3].map((d) => `sha256:${String(d).repeat(64)}`);
const TAGS = ["a:1", "a:2", "b:1"] as const;
const NAMES = ["c1", "c2"] as const;

interface Real {
  engine: Engine;
  committed: string[];
  layer: number;
}
class World extends ImageReferenceModel {
  readonly committed: string[] = [];
}

const outcomeOf = (r: CommandResult): Outcome =>
  r.ok ? { ok: true } : { ok: false, code: r.error.code, reason: r.error.reason };

function compare(model: World, real: Real): void {
  const { state } = real.engine;
  for (const [id, m] of model.images) {
    const r = state.images[id];
    expect(r?.status ?? "absent", `image ${id.slice(7, 15)}`).toBe(m.present ? "present" : "deleted");
    expect([...(r?.tags ?? [])].sort(), `tags of ${id.slice(7, 15)}`).toEqual([...m.tags].sort());
    expect(r?.history.length, `history of ${id.slice(7, 15)}`).toBe(m.history);
    expect(r?.config.env, `env of ${id.slice(7, 15)}`).toEqual(m.env);
  }
  for (const tag of TAGS) {
    const owner = [...model.images.values()].find((i) => i.present && i.tags.includes(tag));
    expect(state.tags[tag], `owner of ${tag}`).toBe(owner?.id);
  }
}

class Step implements fc.Command<World, Real> {
  constructor(
    readonly label: string,
    readonly onModel: (m: World, k: Command) => Outcome,
    readonly command: (m: World, real: Real) => Command,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: World, real: Real): void {
    const command = this.command(model, real);
    const { message, ...expected } = this.onModel(model, command) as Outcome & { message?: string };
    const r = real.engine.execute(command);
    expect(outcomeOf(r), `${this.label}: outcome`).toEqual(expected);
    if (message !== undefined) expect(!r.ok && r.error.message, `${this.label}: message`).toBe(message);
    compare(model, real);
  }
  toString(): string {
    return this.label;
  }
}

/** A reference: a tag, a base or committed image id, a missing name or a blank one. */
const ref = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<string>(...TAGS) },
  { weight: 3, arbitrary: fc.nat({ max: 5 }).map((i) => `#${i}`) },
  { weight: 1, arbitrary: fc.constantFrom("nosuch:1", "nosuch", " ") },
);
/** `#n` stands for the n-th known id (base ids, then committed ones). */
const idOf = (m: World, r: string) => {
  if (!r.startsWith("#")) return r;
  const ids = [...BASE_IDS, ...m.committed];
  return ids[Number(r.slice(1)) % ids.length] as string;
};
const name = fc.constantFrom(...NAMES);

const commands = [
  fc.tuple(fc.nat({ max: 2 }), fc.subarray([...TAGS], { maxLength: 2 })).map(
    ([i, tags]) =>
      new Step(
        `createImage(${i}, ${tags})`,
        (m) => m.createImage(BASE_IDS[i] as string, tags),
        () => ({ type: "image.create", imageId: BASE_IDS[i], layers: [], tags }),
      ),
  ),
  fc.tuple(ref, fc.constantFrom(...TAGS)).map(
    ([r, tag]) =>
      new Step(
        `tag(${r}, ${tag})`,
        (m, k) => m.tag((k as { image: string }).image, tag),
        (m) => ({ type: "image.tag", image: idOf(m, r), tag }),
      ),
  ),
  fc.tuple(name, ref).map(
    ([n, r]) =>
      new Step(
        `createContainer(${n}, ${r})`,
        (m, k) => m.createContainer(n, (k as { image: string }).image),
        (m) => ({ type: "container.create", name: n, image: idOf(m, r) }),
      ),
  ),
  name.map(
    (n) =>
      new Step(
        `start(${n})`,
        (m) => {
          const c = m.containers.get(n);
          if (!c) return { ok: false, code: "NotFound", reason: "no-such-container" };
          if (c.running) return { ok: false, code: "NotModified", reason: "already-running" };
          c.running = true;
          return { ok: true };
        },
        () => ({ type: "container.start", container: n }),
      ),
  ),
  name.map(
    (n) =>
      new Step(
        `kill(${n})`,
        (m) => {
          const c = m.containers.get(n);
          if (!c) return { ok: false, code: "NotFound", reason: "no-such-container" };
          if (!c.running) return { ok: false, code: "Conflict", reason: "not-running" };
          c.running = false;
          return { ok: true };
        },
        () => ({ type: "container.kill", container: n }),
      ),
  ),
  name.map(
    (n) =>
      new Step(
        `rm -f(${n})`,
        (m) => {
          if (!m.containers.delete(n)) return { ok: false, code: "NotFound", reason: "no-such-container" };
          return { ok: true };
        },
        () => ({ type: "container.remove", container: n, force: true }),
      ),
  ),
  fc
    .tuple(name, fc.option(fc.constantFrom(...TAGS)), fc.constantFrom(null, "ENV X=1", "ENV X=2", "RUN make"))
    .map(
      ([n, tag, change]) =>
        new Step(
          `commit(${n}, ${tag}, ${change})`,
          (m, k) => {
            const id = (k as { imageId: string }).imageId;
            const r = m.commit(n, id, tag, change);
            if (r.ok) m.committed.push(id);
            return r;
          },
          (m, real) => {
            real.layer += 1;
            const imageId = `sha256:${`c${m.committed.length}`.padStart(64, "0")}`;
            return {
              type: "container.commit",
              container: n,
              imageId,
              layerId: `sha256:${real.layer.toString(16).padStart(64, "0")}`,
              ...(tag === null ? {} : { tag }),
              ...(change === null ? {} : { changes: [change] }),
            };
          },
        ),
    ),
  fc.record({ r: ref, force: fc.boolean(), noPrune: fc.boolean() }).map(
    ({ r, force, noPrune }) =>
      new Step(
        `rmi(${r}, force=${force}, noPrune=${noPrune})`,
        (m, k) => m.rmi((k as { image: string }).image, force, noPrune),
        (m) => ({ type: "image.remove", image: idOf(m, r), force, noPrune }),
      ),
  ),
  fc.boolean().map(
    (all) =>
      new Step(
        `prune(all=${all})`,
        (m) => m.prune(all),
        () => ({ type: "image.prune", all }),
      ),
  ),
];

const RUNS = Number(process.env.STRATA_IMAGE_MODEL_RUNS ?? 200);

describe.each<ImageStore>(["classic", "containerd"])("the %s image store", (store) => {
  test(`agrees with the reference model on random image command sequences (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 40, size: "large" }), (cmds) => {
        const engine = new Engine({
          clock: simulatedClock(),
          ids: sequentialIds("images"),
          imageStore: store,
        });
        const model = new World(store);
        const real: Real = { engine, committed: model.committed, layer: 0 };
        for (const [i, id] of BASE_IDS.entries()) {
          expect(
            engine.execute({ type: "image.create", imageId: id, layers: [], tags: i === 0 ? ["a:1"] : [] })
              .ok,
          ).toBe(true);
          model.createImage(id, i === 0 ? ["a:1"] : []);
        }
        fc.modelRun(() => ({ model, real }), cmds);
        expect(replay(engine.log.read())).toEqual(engine.state);
        // Every event reads back from JSON through parseEvent exactly as it was written (schema, key order).
        for (const e of engine.log.read())
          expect(JSON.stringify(parseEvent(JSON.parse(JSON.stringify(e)), `seq ${e.seq}`).data), e.type).toBe(
            JSON.stringify(e.data),
          );
        expect(engine.state.daemon?.imageStore ?? "classic").toBe(store);
      }),
      { numRuns: RUNS },
    );
  });
});
