/**
 * The image lifecycle: create, tag, untag, rmi with Docker's conflicts (classic image store), and
 * commit producing a child image.
 */
import { type CommandOfType, replay } from "@strata/core";
import { describe, expect, test } from "vitest";
import { BASE_LAYER, baseImage, Scenario, types } from "./support/scenario.js";

type ImageCreate = CommandOfType<"image.create">;
const rmi = (image: string, force = false) => ({ type: "image.remove", image, force }) as const;
const imageIdOf = (s: Scenario, tag: string) => s.state.tags[tag] ?? "";

describe("create and tag", () => {
  test("create with tags; tagging moves a tag from the image that had it", () => {
    const s = new Scenario().given(baseImage);
    const other = s.when({ type: "image.create", layers: [{ id: BASE_LAYER, parent: null }], tags: ["app"] });
    expect(types(other)).toEqual(["image.created", "image.tagged"]);
    const moved = s.when({ type: "image.tag", image: "base:1", tag: "app:latest" });
    expect(types(moved)).toEqual(["image.untagged", "image.tagged"]);
    expect(s.state.tags["app:latest"]).toBe(s.state.tags["base:1"]);
  });

  test("layers must form a chain, tags must be valid references", () => {
    const s = new Scenario();
    const l1 = `sha256:${"2".repeat(64)}`;
    const broken = s.when({
      type: "image.create",
      layers: [
        { id: BASE_LAYER, parent: null },
        { id: l1, parent: null },
      ],
    });
    expect(!broken.ok && broken.error.message).toMatch(/layer 1 .*parent must be sha256:1111/);
    const badTag = s.when({ type: "image.create", layers: [], tags: ["Bad Tag"] });
    expect(!badTag.ok && badTag.error.message).toBe("invalid reference format: Bad Tag");
  });

  test("an unknown image is 404 No such image, with :latest added", () => {
    const s = new Scenario();
    const r = s.when({ type: "container.create", image: "nginx" });
    expect(!r.ok && r.error.toJSON()).toMatchObject({ status: 404, message: "No such image: nginx:latest" });
    expect(!s.when(rmi("nginx")).ok).toBe(true);
  });
});

describe("an image as an archive describes it", () => {
  test("image.create keeps a given creation time, author and history (a load); replay gives the same", () => {
    const s = new Scenario();
    const history = [
      { created: 1000, createdBy: "ADD rootfs /", comment: "", author: "", emptyLayer: false },
      { created: 2000, createdBy: 'CMD ["sh"]', comment: "meta", author: "me", emptyLayer: true },
    ];
    s.given({ ...(baseImage as ImageCreate), created: 2000, author: "me", history });
    const image = s.state.images[s.state.tags["base:1"] as string];
    expect(image).toMatchObject({ createdAt: 2000, author: "me", history });
    expect(replay(s.engine.log.read())).toEqual(s.state);
    // Without them: now, no author, one entry per layer.
    s.given({ ...(baseImage as ImageCreate), tags: ["plain:1"] });
    const plain = s.state.images[s.state.tags["plain:1"] as string];
    expect(plain?.createdAt).toBeGreaterThan(2000);
    expect(plain?.history).toEqual([
      {
        created: plain?.createdAt,
        createdBy: "ADD rootfs.tar /",
        comment: "",
        author: "",
        emptyLayer: false,
      },
    ]);
  });
});

describe("rmi", () => {
  test("rmi of an unused image untags and deletes it", () => {
    const s = new Scenario().given(baseImage);
    expect(types(s.when(rmi("base:1")))).toEqual(["image.untagged", "image.deleted"]);
    expect(s.state.tags).toEqual({});
  });

  test("rmi T with several tags only untags T", () => {
    const s = new Scenario().given(baseImage, { type: "image.tag", image: "base:1", tag: "base:2" });
    expect(types(s.when(rmi("base:1")))).toEqual(["image.untagged"]);
  });

  test("rmi T used by a stopped container is a conflict; -f untags and deletes; the container keeps its image", () => {
    const s = new Scenario().given(baseImage, { type: "container.create", image: "base:1", name: "web" });
    const r = s.when(rmi("base:1"));
    expect(!r.ok && r.error.message).toMatch(
      /^conflict: unable to remove repository reference "base:1" \(must force\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}$/,
    );
    expect(types(s.when(rmi("base:1", true)))).toEqual(["image.untagged", "image.deleted"]);
    expect(s.status("web")).toBe("created");
    expect(s.when({ type: "container.commit", container: "web" }).ok).toBe(true);
  });

  test("rmi -f T used by a running container only untags", () => {
    const s = new Scenario().given(
      baseImage,
      { type: "container.create", image: "base:1", name: "web" },
      { type: "container.start", container: "web" },
    );
    expect(types(s.when(rmi("base:1", true)))).toEqual(["image.untagged"]);
  });

  test("rmi <id>: running container cannot be forced; stopped must be forced; several tags must be forced", () => {
    const s = new Scenario().given(
      baseImage,
      { type: "image.tag", image: "base:1", tag: "base:2" },
      { type: "container.create", image: "base:1", name: "web" },
    );
    const id = imageIdOf(s, "base:1");
    expect(!s.when(rmi(id)).ok && s.when(rmi(id))).toMatchObject({
      error: { reason: "image-multiple-references" },
    });
    s.given({ type: "container.start", container: "web" });
    const running = s.when(rmi(id, true));
    expect(!running.ok && running.error.message).toMatch(
      /\(cannot be forced\) - image is being used by running container/,
    );
    s.given({ type: "container.kill", container: "web" }, { type: "image.remove", image: "base:2" });
    const stopped = s.when(rmi(id.slice(7, 19)));
    expect(!stopped.ok && stopped.error.message).toMatch(
      /\(must be forced\) - image is being used by stopped container/,
    );
    expect(types(s.when(rmi(id, true)))).toEqual(["image.untagged", "image.deleted"]);
  });

  test("a committed image is a child: its parent cannot be deleted by id, even with -f", () => {
    const s = new Scenario().given(baseImage, { type: "container.create", image: "base:1", name: "web" });
    const c = s.when({ type: "container.commit", container: "web", tag: "web:snap", comment: "snapshot" });
    expect(types(c)).toEqual(["image.created", "image.tagged", "container.committed"]);
    const child = s.state.images[imageIdOf(s, "web:snap")];
    expect(child?.parentId).toBe(imageIdOf(s, "base:1"));
    expect(child?.layers).toHaveLength(2);
    expect(child?.layers[1]).toMatchObject({ parent: BASE_LAYER, comment: "snapshot", createdBy: "/bin/sh" });
    s.given({ type: "container.remove", container: "web" });
    const r = s.when(rmi(imageIdOf(s, "base:1"), true));
    expect(!r.ok && r.error.reason).toBe("image-has-children");
    // By tag the parent is only untagged, and is pruned with its last child.
    expect(types(s.when(rmi("base:1")))).toEqual(["image.untagged"]);
    expect(types(s.when(rmi("web:snap")))).toEqual(["image.untagged", "image.deleted", "image.deleted"]);
    expect(Object.values(s.state.images).every((i) => i.status === "deleted")).toBe(true);
  });
});

describe("references as Docker reads them", () => {
  test("Docker Hub's fully-qualified names are the familiar ones (what the docker client sends to tag)", () => {
    const s = new Scenario().given(baseImage);
    expect(
      s.when({ type: "image.tag", image: "docker.io/library/base:1", tag: "docker.io/library/app" }).ok,
    ).toBe(true);
    s.given({ type: "image.tag", image: "index.docker.io/library/base:1", tag: "docker.io/me/app:2" });
    s.given({ type: "image.tag", image: "base:1", tag: "library/app:3" });
    expect(Object.keys(s.state.tags).sort()).toEqual(["app:3", "app:latest", "base:1", "me/app:2"]);
    // Other registries and nested library namespaces keep their names.
    s.given({ type: "image.tag", image: "app", tag: "localhost:5000/library/x:1" });
    s.given({ type: "image.tag", image: "app", tag: "docker.io/library/a/b:1" });
    expect(s.state.tags["localhost:5000/library/x:1"]).toBeDefined();
    expect(s.state.tags["library/a/b:1"]).toBeDefined();
    expect(types(s.when(rmi("docker.io/library/app:3")))).toEqual(["image.untagged"]);
  });

  test("the repository-reference conflict names the reference as the user typed it", () => {
    const s = new Scenario().given(
      { ...(baseImage as ImageCreate), tags: ["base:latest"] },
      { type: "container.create", image: "base", name: "web" },
    );
    for (const typed of ["base", "base:latest", "docker.io/library/base"]) {
      const r = s.when(rmi(typed));
      expect(!r.ok && r.error.message).toMatch(
        new RegExp(
          `^conflict: unable to remove repository reference "${typed}" \\(must force\\) - container`,
        ),
      );
    }
  });

  test("an id prefix two images share names neither (No such image), unlike a container's", () => {
    const s = new Scenario();
    const ids = [`sha256:ab${"1".repeat(62)}`, `sha256:ab${"2".repeat(62)}`];
    for (const imageId of ids) s.given({ ...(baseImage as ImageCreate), imageId, tags: [] });
    const r = s.when(rmi("ab"));
    expect(!r.ok && r.error.toJSON()).toMatchObject({ status: 404, message: "No such image: ab:latest" });
    expect(types(s.when(rmi("ab1")))).toEqual(["image.deleted"]);
  });
});

describe("names", () => {
  test("a name in use is a conflict in Docker's words; a generated name is deterministic", () => {
    const s = new Scenario().given(baseImage, { type: "container.create", image: "base:1", name: "web" });
    const r = s.when({ type: "container.create", image: "base:1", name: "web" });
    expect(!r.ok && r.error.message).toMatch(
      /^Conflict\. The container name "\/web" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.$/,
    );
    const anon = s.when({ type: "container.create", image: "base:1" });
    // The same commands on a fresh engine with the same id seed give the same id, hence the same name.
    const again = new Scenario().given(baseImage, { type: "container.create", image: "base:1", name: "web" });
    again.when({ type: "container.create", image: "base:1", name: "web" });
    const anon2 = again.when({ type: "container.create", image: "base:1" });
    expect(anon.ok && anon.events[0]?.type === "container.created" && anon.events[0].data.name).toMatch(
      /^[a-z]+_[a-z]+$/,
    );
    expect(anon.ok && anon2.ok && anon.events[0]?.data).toEqual(anon2.ok && anon2.events[0]?.data);
  });

  test("rename: same name, empty, invalid and taken names are refused", () => {
    const s = new Scenario().given(
      baseImage,
      { type: "container.create", image: "base:1", name: "web" },
      { type: "container.create", image: "base:1", name: "db" },
    );
    const rename = (name: string) => s.when({ type: "container.rename", container: "web", name });
    expect(!rename("web").ok && rename("web")).toMatchObject({ error: { reason: "same-name", status: 400 } });
    expect(rename("")).toMatchObject({ error: { message: "Neither old nor new names may be empty" } });
    expect(rename("-x")).toMatchObject({ error: { reason: "invalid-name" } });
    expect(rename("db")).toMatchObject({ error: { reason: "name-in-use", status: 409 } });
    expect(rename("api").ok).toBe(true);
    expect(s.state.names).toMatchObject({ api: expect.any(String), db: expect.any(String) });
    expect(s.state.names.web).toBeUndefined();
  });

  test("containers are found by name, full id or unique id prefix", () => {
    const s = new Scenario().given(baseImage, { type: "container.create", image: "base:1", name: "web" });
    const id = s.state.names.web ?? "";
    const refs = ["web", "/n1", id, id.slice(0, 12)];
    refs.forEach((ref, i) => {
      expect(s.when({ type: "container.rename", container: ref, name: `n${i + 1}` }).ok).toBe(true);
    });
    expect(s.when({ type: "container.rename", container: "web", name: "x1" })).toMatchObject({
      error: { code: "NotFound" },
    });
  });
});
