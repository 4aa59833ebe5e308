/**
 * `image.remove` in the containerd image store (Docker 29's default), where it differs from the classic
 * store (moby daemon/containerd/image_delete.go, soft_delete.go; the team's lifecycle reference §3.1).
 */
import { type Command, type CommandResult, Engine, sequentialIds, simulatedClock } from "@strata/core";
import { describe, expect, test } from "vitest";
import { BASE_LAYER, baseImage } from "./support/scenario.js";

function engine(...given: Command[]) {
  const e = new Engine({ clock: simulatedClock(), ids: sequentialIds("c8d"), imageStore: "containerd" });
  for (const c of [baseImage, ...given]) {
    const r = e.execute(c);
    if (!r.ok) throw new Error(`${c.type}: ${r.error.message}`);
  }
  return e;
}
const rmi = (image: string, force = false) => ({ type: "image.remove", image, force }) as const;
const types = (r: CommandResult) => (r.ok ? r.events.map((e) => e.type) : []);
const baseId = (e: Engine) => e.state.tags["base:1"] ?? "";
const createWeb = { type: "container.create", image: "base:1", name: "web" } as const;

describe("the containerd image store", () => {
  test("rmi T used by a container: the conflict names the tag (must be forced)", () => {
    const e = engine(createWeb);
    const r = e.execute(rmi("base:1"));
    expect(!r.ok && r.error.message).toMatch(
      /^conflict: unable to delete base:1 \(must be forced\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}$/,
    );
  });

  test("rmi -f T used by a stopped container only untags: the image stays, dangling (classic deletes it)", () => {
    const e = engine(createWeb);
    const id = baseId(e);
    expect(types(e.execute(rmi("base:1", true)))).toEqual(["image.untagged"]);
    expect(e.state.images[id]).toMatchObject({ status: "present", tags: [] });
  });

  test("rmi <id> of an image with a child image is no conflict: without force it stays dangling, with -f it goes", () => {
    const child = [createWeb, { type: "container.commit", container: "web", tag: "child:1" }] as Command[];
    const e = engine(...child, { type: "container.remove", container: "web" });
    const id = baseId(e);
    expect(types(e.execute(rmi(id)))).toEqual(["image.untagged"]);
    expect(e.state.images[id]?.status).toBe("present");
    const f = engine(...child, { type: "container.remove", container: "web" });
    expect(types(f.execute(rmi(baseId(f), true)))).toEqual(["image.untagged", "image.deleted"]);
  });

  test("rmi <id> checks running containers (cannot be forced), stopped ones, then several tags", () => {
    const e = engine(createWeb, { type: "image.tag", image: "base:1", tag: "base:2" });
    const id = baseId(e);
    const stopped = e.execute(rmi(id));
    expect(!stopped.ok && stopped.error.message).toMatch(
      /\(must be forced\) - image is being used by stopped container/,
    );
    e.execute({ type: "container.start", container: "web" });
    const running = e.execute(rmi(id, true));
    expect(!running.ok && running.error.message).toMatch(
      /\(cannot be forced\) - image is being used by running container/,
    );
    e.execute({ type: "container.remove", container: "web", force: true });
    const multiple = e.execute(rmi(id));
    expect(!multiple.ok && multiple.error.reason).toBe("image-multiple-references");
    expect(types(e.execute(rmi(id, true)))).toEqual(["image.untagged", "image.untagged", "image.deleted"]);
  });

  test("deleting an image prunes its dangling parents even when they have other children (classic keeps them)", () => {
    const e = engine(
      createWeb,
      { type: "container.commit", container: "web", tag: "one:1" },
      { type: "container.commit", container: "web", tag: "two:1" },
      { type: "container.remove", container: "web" },
      { type: "image.remove", image: "base:1" }, // the parent has children: untagged, kept dangling
    );
    const parent = Object.values(e.state.images).find((i) => i.status === "present" && i.tags.length === 0);
    expect(parent).toBeDefined();
    e.execute(rmi("one:1"));
    expect(e.state.images[parent?.id ?? ""]?.status).toBe("deleted");
    expect(e.state.tags["two:1"]).toBeDefined();
  });

  test("the layers an image is made of are not part of the store's rules", () => {
    const e = engine({ type: "image.create", layers: [{ id: BASE_LAYER, parent: null }], tags: ["x:1"] });
    expect(types(e.execute(rmi("x:1")))).toEqual(["image.untagged", "image.deleted"]);
  });
});
