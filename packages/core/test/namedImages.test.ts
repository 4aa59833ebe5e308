/**
 * Images named by their content (ImageNamer.ts): an engine composed with a namer decides a commit or an
 * `image.create` given no id, asks the namer, and decides again with the names it gives; an image named
 * by content that is held already is that image (not created again; the tags move to it), and its
 * `configBlob` must be its id. The namer here names an image by the sha256 of what its `image.created`
 * says but its ids (the oci package's names it by its exported config).
 */
import { createHash } from "node:crypto";
import {
  type Command,
  type CommandOfType,
  Engine,
  type ImageNamer,
  type NewEvent,
  namesImage,
  sequentialIds,
  simulatedClock,
} from "@strata/core";
import { describe, expect, test } from "vitest";
import { baseImage, Scenario, types } from "./support/scenario.js";

const digest = (value: unknown) =>
  `sha256:${createHash("sha256").update(JSON.stringify(value)).digest("hex")}`;

/** Names an image by what it is (its ids left out), a commit's layer by what it adds. */
const namer: ImageNamer<undefined> = {
  name(_projected, _core, _command, events) {
    const created = events.find(
      (e): e is Extract<NewEvent, { type: "image.created" }> => e.type === "image.created",
    );
    if (created === undefined) return null;
    const { imageId: _id, layers, ...rest } = created.data;
    const top = created.data.containerId !== null ? layers.at(-1) : undefined;
    const layerId =
      top === undefined ? undefined : digest({ from: created.data.containerId, at: created.recordedAt });
    const named = {
      ...rest,
      layers: layers.map((l) => (l === top ? layerId : l.id)),
      at: created.recordedAt,
    };
    const id = digest(named);
    return { imageId: id, configBlob: id, ...(layerId !== undefined ? { layerId } : {}) };
  },
};

function engine() {
  const clock = simulatedClock();
  const e = new Engine({ clock, ids: sequentialIds("named"), namer });
  const must = (c: Command) => {
    const r = e.execute(c);
    if (!r.ok) throw r.error;
    return r;
  };
  return { e, clock, must };
}

describe("an engine with a namer", () => {
  test("names a commit's image and layer, and an image.create's given no id; an id given is kept", () => {
    const { e, must } = engine();
    const base = must({ ...baseImage });
    const baseId = e.state.tags["base:1"] as string;
    expect(base.command).toMatchObject({ imageId: baseId, configBlob: baseId });
    must({ type: "container.create", image: "base:1", name: "web" });
    const commit = must({ type: "container.commit", container: "web", tag: "app:1" });
    const id = e.state.tags["app:1"] as string;
    expect(commit.events.find((x) => x.type === "image.created")?.data).toMatchObject({
      imageId: id,
      configBlob: id,
    });
    expect(e.state.images[id]?.configBlob).toBe(id);
    const given = `sha256:${"e".repeat(64)}`;
    const kept = must({ type: "image.create", imageId: given, layers: [], tags: ["given:1"] });
    expect(kept.command).not.toHaveProperty("configBlob");
    expect(e.state.tags["given:1"]).toBe(given);
  });

  test("namesImage: a commit or image.create without an id, and nothing else", () => {
    expect(namesImage({ type: "container.commit", container: "web" })).toBe(true);
    expect(namesImage({ type: "image.create", layers: [] })).toBe(true);
    expect(namesImage({ type: "image.create", imageId: `sha256:${"e".repeat(64)}`, layers: [] })).toBe(false);
    expect(namesImage({ type: "container.start", container: "web" })).toBe(false);
  });

  test("the same image made twice is that image: not created again, the tags move to it", () => {
    const { e, must } = engine();
    must({ ...baseImage });
    const again = must({ ...(baseImage as CommandOfType<"image.create">), tags: ["base:2"] });
    expect(types(again)).toEqual(["image.tagged"]);
    expect(e.state.tags["base:2"]).toBe(e.state.tags["base:1"]);
    // Nothing to do at all: accepted, no event.
    expect(types(must({ ...baseImage }))).toEqual([]);
  });
});

describe("image.create and commit naming an image by content, without a namer", () => {
  test("a held image named by its content only gets the tags; by an id of its own, it is a conflict", () => {
    const s = new Scenario();
    const id = `sha256:${"c".repeat(64)}`;
    s.given({ type: "image.create", imageId: id, configBlob: id, layers: [], tags: ["a:1"] });
    const tagged = s.when({ type: "image.create", imageId: id, configBlob: id, layers: [], tags: ["b:1"] });
    expect(types(tagged)).toEqual(["image.tagged"]);
    const conflict = s.when({ type: "image.create", imageId: id, layers: [], tags: ["c:1"] });
    expect(!conflict.ok && conflict.error.reason).toBe("image-exists");
  });

  test("a commit naming an image held already: no image.created, its tag moves, container.committed names it", () => {
    const s = new Scenario().given(baseImage, { type: "container.create", image: "base:1", name: "web" });
    const id = `sha256:${"d".repeat(64)}`;
    s.given({ type: "image.create", imageId: id, configBlob: id, layers: [], tags: ["app:1"] });
    const other = s.state.tags["base:1"] as string;
    const r = s.when({
      type: "container.commit",
      container: "web",
      imageId: id,
      configBlob: id,
      tag: "base:1",
      pause: false,
    });
    expect(types(r)).toEqual(["image.untagged", "image.tagged", "container.committed"]);
    expect(r.ok && r.events[0]?.streamId).toBe(other);
    expect(s.state.tags["base:1"]).toBe(id);
    const again = s.when({
      type: "container.commit",
      container: "web",
      imageId: id,
      configBlob: id,
      tag: "base:1",
    });
    expect(types(again)).toEqual(["container.committed"]);
  });

  test("a configBlob that is not the image id is refused, naming both", () => {
    const s = new Scenario();
    const r = s.when({
      type: "image.create",
      imageId: `sha256:${"a".repeat(64)}`,
      configBlob: `sha256:${"b".repeat(64)}`,
      layers: [],
    });
    expect(!r.ok && r.error.reason).toBe("invalid-config-blob");
    expect(!r.ok && r.error.message).toContain(`sha256:${"b".repeat(64)}`);
  });
});
