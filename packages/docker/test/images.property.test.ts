/**
 * Random sequences of image and container calls over the API (tag, rmi with and without force and
 * pruning, by tag, by a fully-qualified name or by id prefix, image prune [-a], container create,
 * start, rm, commit): after every call, `docker images` (with and without `all`) is what the engine's
 * state implies, and every rmi and prune answer is what the engine's events say: one Untagged per
 * untag event, one Deleted per image deleted, in order, each followed (graphdriver store) by exactly the
 * layer chains that no image or container holds any more, and prune's SpaceReclaimed their sizes. Both
 * image stores. The oracles here are written independently of the shapes they check.
 */
import { createHash } from "node:crypto";
import type { EngineState, ImageRecord, ImageStore } from "@strata/core";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { api } from "./support/api.js";
import { seedImageOf, seedLayer } from "./support/images.js";
import { type Served, serve } from "./support/served.js";

const RUNS = Number(process.env.STRATA_DOCKER_IMAGE_RUNS ?? 120);

const TAGS = ["a:1", "a:2", "b:1", "me/c:1", "docker.io/library/b:2", "localhost:5000/d:1"] as const;
const NAMED = [...TAGS, "a", "docker.io/library/a:1", "nosuch"] as const;

type Ref = { kind: "name"; name: string } | { kind: "id"; index: number; length: 12 | 64 };
type Op =
  | { op: "tag"; src: Ref; dst: string }
  | { op: "rmi"; ref: Ref; force: boolean; noprune: boolean }
  | { op: "prune"; all: boolean }
  | { op: "create"; ref: Ref; start: boolean }
  | { op: "rm"; index: number }
  | { op: "commit"; index: number; tag: string | null };

const ref: fc.Arbitrary<Ref> = fc.oneof(
  fc.constantFrom(...NAMED).map((name) => ({ kind: "name" as const, name })),
  fc.record({
    kind: fc.constant("id" as const),
    index: fc.nat(5),
    length: fc.constantFrom(12 as const, 64 as const),
  }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("tag" as const), src: ref, dst: fc.constantFrom(...TAGS) }),
  fc.record({ op: fc.constant("rmi" as const), ref, force: fc.boolean(), noprune: fc.boolean() }),
  fc.record({ op: fc.constant("prune" as const), all: fc.boolean() }),
  fc.record({ op: fc.constant("create" as const), ref, start: fc.boolean() }),
  fc.record({ op: fc.constant("rm" as const), index: fc.nat(3) }),
  fc.record({
    op: fc.constant("commit" as const),
    index: fc.nat(3),
    tag: fc.option(fc.constantFrom(...TAGS)),
  }),
);

/** How dockerd sorts references: by their fully-qualified form. */
function qualified(tag: string): string {
  const first = tag.split("/")[0] as string;
  if (tag.includes("/") && (first === "localhost" || /[.:]/.test(first))) return tag;
  return tag.includes("/") ? `docker.io/${tag}` : `docker.io/library/${tag}`;
}
const sortTags = (tags: readonly string[]) =>
  [...tags].sort((a, b) => (qualified(a) < qualified(b) ? -1 : 1));

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;
function chains(image: ImageRecord): string[] {
  const out: string[] = [];
  for (const l of image.layers) out.push(out.length === 0 ? l.id : sha(`${out.at(-1)} ${l.id}`));
  return out;
}
function held(state: EngineState): Set<string> {
  const out = new Set<string>();
  for (const i of Object.values(state.images))
    if (i.status === "present") for (const c of chains(i)) out.add(c);
  for (const c of Object.values(state.containers)) {
    const image = state.images[c.context.imageId];
    if (image) for (const ch of chains(image)) out.add(ch);
  }
  return out;
}

interface World {
  readonly d: Served;
  readonly store: ImageStore;
  readonly sizes: Map<string, number>;
  readonly containers: string[];
}

const present = (state: EngineState) =>
  Object.values(state.images)
    .filter((i) => i.status === "present")
    .sort((a, b) => (a.id < b.id ? -1 : 1));

function refText(state: EngineState, r: Ref): string {
  if (r.kind === "name") return r.name;
  const images = present(state);
  const image = images[r.index % Math.max(1, images.length)];
  if (!image) return "sha256:0";
  return r.length === 64 ? image.id : image.id.slice(7, 19);
}

const query = (params: Record<string, string>) => new URLSearchParams(params).toString();
function repoAndTag(tag: string): { repo: string; tag: string } {
  const at = tag.lastIndexOf(":");
  return at > tag.lastIndexOf("/")
    ? { repo: tag.slice(0, at), tag: tag.slice(at + 1) }
    : { repo: tag, tag: "" };
}

/** `docker images` (with and without all) is what the state implies. */
async function checkList(w: World): Promise<void> {
  const state = w.d.engine.state;
  for (const all of [true, false]) {
    const r = await api(w.d.socket, "GET", `/images/json${all ? "?all=1" : ""}`);
    expect(r.status).toBe(200);
    const got = new Map(
      (r.json as { Id: string; RepoTags: string[] }[]).map((row) => [row.Id, row.RepoTags]),
    );
    const expected = new Map(
      present(state)
        .filter(
          (i) =>
            all ||
            i.tags.length > 0 ||
            !Object.values(state.images).some((c) => c.status === "present" && c.parentId === i.id),
        )
        .map((i) => [i.id, sortTags(i.tags)]),
    );
    expect(got).toEqual(expected);
    const created = (r.json as { Created: number }[]).map((row) => row.Created);
    expect(created).toEqual([...created].sort((a, b) => b - a));
  }
}

/** An rmi or prune answer against the events the engine appended for it. */
function checkDeleteAnswer(
  w: World,
  items: ({ Untagged: string } | { Deleted: string })[],
  events: { type: string; streamId: string; data: unknown }[],
): number {
  const after = w.d.engine.state;
  const untagEvents = events
    .filter((e) => e.type === "image.untagged")
    .map((e) => (e.data as { tag: string }).tag);
  const deletedImages = events.filter((e) => e.type === "image.deleted").map((e) => e.streamId);
  const untagged = items.flatMap((i) => ("Untagged" in i ? [i.Untagged] : []));
  expect([...untagged].sort()).toEqual([...untagEvents].sort());
  const deleted = items.flatMap((i) => ("Deleted" in i ? [i.Deleted] : []));
  expect(deleted.filter((id) => deletedImages.includes(id))).toEqual(deletedImages);
  // Every chain a deleted image had and nothing holds now, once, after its image (the last to go).
  const stillHeld = held(after);
  const released = new Set<string>();
  for (const id of deletedImages)
    for (const c of chains(after.images[id] as ImageRecord)) if (!stillHeld.has(c)) released.add(c);
  const listedChains = deleted.filter((id) => !deletedImages.includes(id));
  const sizeOf = (chain: string) => {
    for (const id of deletedImages) {
      const image = after.images[id] as ImageRecord;
      const at = chains(image).indexOf(chain);
      if (at >= 0) return w.sizes.get(image.layers[at]?.id as string) ?? 0;
    }
    return 0;
  };
  const reclaimed = [...released].reduce((n, c) => n + sizeOf(c), 0);
  // The containerd store lists no layers.
  if (w.store === "containerd") {
    expect(listedChains).toEqual([]);
    return reclaimed;
  }
  expect([...listedChains].sort()).toEqual([...released].sort());
  let owner: ImageRecord | undefined;
  for (const id of deleted) {
    if (deletedImages.includes(id)) owner = after.images[id];
    else {
      const at = owner ? chains(owner).indexOf(id) : -1;
      expect(at, `${id} listed after an image that does not have it`).toBeGreaterThanOrEqual(0);
      // Released by the last image to go that had it: none deleted after holds it.
      const later = deletedImages.slice(deletedImages.indexOf((owner as ImageRecord).id) + 1);
      expect(later.filter((other) => chains(after.images[other] as ImageRecord).includes(id))).toEqual([]);
    }
  }
  return reclaimed;
}

async function step(w: World, o: Op): Promise<void> {
  const { d } = w;
  await d.engine.catchUp();
  const state = d.engine.state;
  const before = d.engine.seq;
  const container = (index: number) => w.containers[index % Math.max(1, w.containers.length)] ?? "nosuch";
  switch (o.op) {
    case "tag": {
      const r = await api(
        d.socket,
        "POST",
        `/images/${refText(state, o.src)}/tag?${query(repoAndTag(o.dst))}`,
      );
      expect([201, 404]).toContain(r.status);
      break;
    }
    case "rmi": {
      const name = refText(state, o.ref);
      const r = await api(
        d.socket,
        "DELETE",
        `/images/${name}?${query({ force: o.force ? "1" : "0", noprune: o.noprune ? "1" : "0" })}`,
      );
      const events = await d.engine.log.read(before + 1);
      if (r.status === 200) checkDeleteAnswer(w, r.json, events);
      else {
        expect([404, 409]).toContain(r.status);
        expect(r.json.message).toMatch(/^(No such image: |conflict: unable to )/);
        expect(events.filter((e) => e.type.startsWith("image."))).toEqual([]);
      }
      break;
    }
    case "prune": {
      const filters = JSON.stringify({ dangling: { [String(!o.all)]: true } });
      const r = await api(d.socket, "POST", `/images/prune?${query({ filters })}`);
      expect(r.status).toBe(200);
      const events = await d.engine.log.read(before + 1);
      const reclaimed = checkDeleteAnswer(w, r.json.ImagesDeleted ?? [], events);
      expect(r.json.SpaceReclaimed).toBe(reclaimed);
      if (r.json.ImagesDeleted !== null) expect(r.json.ImagesDeleted.length).toBeGreaterThan(0);
      break;
    }
    case "create": {
      const r = await api(d.socket, "POST", "/containers/create", {
        Image: refText(state, o.ref),
        Cmd: ["sleep", "9"],
      });
      expect([201, 404]).toContain(r.status);
      if (r.status === 201) {
        w.containers.push(r.json.Id);
        if (o.start) expect((await api(d.socket, "POST", `/containers/${r.json.Id}/start`)).status).toBe(204);
      }
      break;
    }
    case "rm": {
      const id = w.containers.splice(o.index % Math.max(1, w.containers.length), 1)[0];
      if (id) expect((await api(d.socket, "DELETE", `/containers/${id}?force=1`)).status).toBe(204);
      break;
    }
    case "commit": {
      const tag = o.tag === null ? { repo: "", tag: "" } : repoAndTag(o.tag);
      const r = await api(d.socket, "POST", `/commit?${query({ container: container(o.index), ...tag })}`);
      expect([201, 404]).toContain(r.status);
      break;
    }
  }
  await checkList(w);
}

describe("images over the API, against the engine's state and events", () => {
  test.each(["classic", "containerd"] as const)(
    "random tag, rmi, prune, create, rm and commit sequences (%s store)",
    async (store) => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
          const d = await serve({ location: "memory:" });
          try {
            if (store === "containerd") {
              const r = await d.engine.execute({ type: "daemon.configure", imageStore: store });
              if (!r.ok) throw r.error;
            }
            const l1 = await seedLayer(d.engine, "l1", { f: "0123456789" });
            const l2 = await seedLayer(d.engine, "l2", { f: "x".repeat(100) });
            const l3 = await seedLayer(d.engine, "l3", { f: "y".repeat(1000) });
            await seedImageOf(d.engine, [l1], ["a:1"]);
            await seedImageOf(d.engine, [l1, l2], ["a:2", "b:1"]);
            await seedImageOf(d.engine, [l3], []);
            const sizes = new Map([
              [l1, 10],
              [l2, 100],
              [l3, 1000],
            ]);
            const w: World = { d, store, sizes, containers: [] };
            for (const o of ops) await step(w, o);
          } finally {
            await d.stop();
            d.remove();
          }
        }),
        { numRuns: RUNS },
      );
    },
    300_000,
  );
});
