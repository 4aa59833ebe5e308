/**
 * `container prune` and `image prune [-a]` in both image stores (moby daemon/prune.go,
 * daemon/images/image_prune.go, daemon/containerd/image_prune.go).
 */
import { type Command, Engine, type ImageStore, sequentialIds, simulatedClock } from "@strata/core";
import { describe, expect, test } from "vitest";
import { baseImage, Scenario, types } from "./support/scenario.js";

const layer = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const image = (id: number, tags: string[] = [], labels: Record<string, string> = {}): Command => ({
  type: "image.create",
  imageId: layer(id),
  layers: [],
  tags,
  config: { labels },
});

describe("container prune", () => {
  test("removes created, exited and dead containers; keeps running, paused, restarting and those being removed", () => {
    const s = new Scenario().given(
      baseImage,
      ...["made", "ended", "deadc", "run", "frozen", "looping", "going"].map(
        (name) =>
          ({
            type: "container.create",
            image: "base:1",
            name,
            ...(name === "looping" ? { restartPolicy: { name: "always", maximumRetryCount: 0 } } : {}),
          }) as const,
      ),
      ...["ended", "run", "frozen", "looping"].map(
        (c) => ({ type: "container.start", container: c }) as const,
      ),
      { type: "container.kill", container: "ended" },
      { type: "container.pause", container: "frozen" },
      { type: "process.exit", container: "looping", pid: 1, exitCode: 1 },
      { type: "container.remove", container: "deadc", fault: { fail: true } },
      { type: "container.remove", container: "going", fault: { delayMs: 1_000 } },
    );
    const r = s.when({ type: "container.prune" });
    expect(r.ok).toBe(true);
    const last = r.ok ? r.events.at(-1) : undefined;
    expect(last?.type).toBe("daemon.containersPruned");
    expect(last?.type === "daemon.containersPruned" && last.data.containerIds).toHaveLength(3);
    for (const gone of ["made", "ended", "deadc"]) expect(s.status(gone)).toBe("gone");
    expect(["run", "frozen", "looping", "going"].map((n) => s.status(n))).toEqual([
      "running",
      "paused",
      "restarting",
      "removing",
    ]);
  });

  test("the until and label filters select what goes", () => {
    const s = new Scenario().given(baseImage, {
      type: "container.create",
      image: "base:1",
      name: "old",
      labels: { keep: "yes" },
    });
    s.clock.advance(10_000);
    s.given({ type: "container.create", image: "base:1", name: "new" });
    s.given({ type: "container.prune", until: s.clock.now() - 5_000, notLabels: ["keep=yes"] });
    expect([s.status("old"), s.status("new")]).toEqual(["created", "created"]);
    s.given({ type: "container.prune", labels: ["keep"] });
    expect([s.status("old"), s.status("new")]).toEqual(["gone", "created"]);
  });
});

function engineWith(store: ImageStore) {
  return new Engine({ clock: simulatedClock(), ids: sequentialIds("prune"), imageStore: store });
}

describe.each<ImageStore>(["classic", "containerd"])("image prune, %s store", (store) => {
  test("by default only dangling images no container uses go; tagged ones stay", () => {
    const e = engineWith(store);
    for (const c of [image(1, ["keep:1"]), image(2), image(3)]) e.execute(c);
    e.execute({ type: "container.create", image: layer(3), name: "user" });
    const r = e.execute({ type: "image.prune" });
    expect(r.ok && r.events.map((x) => x.type)).toEqual(["image.deleted", "daemon.imagesPruned"]);
    expect(e.state.images[layer(2)]?.status).toBe("deleted");
    expect(e.state.images[layer(1)]?.status).toBe("present");
    expect(e.state.images[layer(3)]?.status).toBe("present");
  });

  test("-a removes every image no container uses", () => {
    const e = engineWith(store);
    for (const c of [image(1, ["a:1"]), image(2, ["b:1"])]) e.execute(c);
    e.execute({ type: "container.create", image: "a:1", name: "user" });
    e.execute({ type: "image.prune", all: true });
    expect(e.state.images[layer(1)]?.status).toBe("present");
    expect(e.state.images[layer(2)]?.status).toBe("deleted");
    expect(e.state.tags["b:1"]).toBeUndefined();
  });

  test("label filters (label, label!) choose by the image's labels", () => {
    const e = engineWith(store);
    for (const c of [image(1, [], { tier: "cache" }), image(2, [], { tier: "db" })]) e.execute(c);
    e.execute({ type: "image.prune", labels: ["tier=cache"] });
    expect(e.state.images[layer(1)]?.status).toBe("deleted");
    expect(e.state.images[layer(2)]?.status).toBe("present");
  });
});

describe("image prune: the stores differ", () => {
  test("a dangling parent with a child: classic keeps it (not a head), containerd deletes it", () => {
    for (const [store, parent] of [
      ["classic", "present"],
      ["containerd", "deleted"],
    ] as const) {
      const e = engineWith(store);
      e.execute(image(1, ["base:1"]));
      e.execute({ type: "container.create", image: "base:1", name: "c1" });
      e.execute({ type: "container.commit", container: "c1", tag: "child:1" });
      e.execute({ type: "container.remove", container: "c1" });
      e.execute({ type: "image.tag", image: "child:1", tag: "base:1" }); // the parent is now dangling
      e.execute({ type: "image.prune" });
      expect(e.state.images[layer(1)]?.status, store).toBe(parent);
    }
  });

  test("-a with a container created by tag: containerd keeps that name and deletes the image's other tags; classic untags them too", () => {
    for (const store of ["classic", "containerd"] as const) {
      const e = engineWith(store);
      e.execute(image(1, ["a:1", "a:2"]));
      e.execute({ type: "container.create", image: "a:2", name: "user" });
      const r = e.execute({ type: "image.prune", all: true });
      expect(r.ok && r.events.map((x) => x.type), store).toEqual(["image.untagged", "daemon.imagesPruned"]);
      expect(e.state.images[layer(1)]?.tags, store).toEqual(["a:2"]);
    }
  });

  test("the prune event lists the deleted images", () => {
    const s = new Scenario().given(baseImage, image(7));
    const r = s.when({ type: "image.prune" });
    const last = r.ok ? r.events.at(-1) : undefined;
    expect(last?.type === "daemon.imagesPruned" && last.data.imageIds).toEqual([layer(7)]);
    expect(types(r)).toEqual(["image.deleted", "daemon.imagesPruned"]);
  });
});
