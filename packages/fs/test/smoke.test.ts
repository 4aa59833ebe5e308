import { sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine } from "@strata/fs";
import { expect, test } from "vitest";

test("smoke", () => {
  const e = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("fs") });
  const d = e.putBlob("hello\n");
  const L = `sha256:${"1".repeat(64)}`;
  const ok = (c: Parameters<typeof e.execute>[0]) => {
    const r = e.execute(c);
    if (!r.ok) throw r.error;
    return r.events;
  };
  ok({
    type: "layer.create",
    layerId: L,
    entries: [
      { type: "dir", path: "/etc", mode: 0o755, uid: 0, gid: 0, mtime: 0 },
      { type: "file", path: "/etc/motd", mode: 0o644, uid: 0, gid: 0, mtime: 0, digest: d, size: 6 },
      { type: "symlink", path: "/motd", target: "etc/motd", uid: 0, gid: 0, mtime: 0 },
    ],
  });
  ok({ type: "image.create", layers: [{ id: L, parent: null }], tags: ["base"] });
  ok({ type: "container.create", image: "base", name: "web" });
  ok({ type: "fs.writeFile", container: "web", path: "/motd", content: "more\n", append: true });
  expect(Buffer.from(e.view("web").readFile("/etc/motd")).toString()).toBe("hello\nmore\n");
  expect(Buffer.from(e.view("base").readFile("/etc/motd")).toString()).toBe("hello\n");
  const r = e.execute({ type: "fs.rename", container: "web", from: "/etc", to: "/etc2" });
  expect(!r.ok && r.error.code).toBe("EXDEV");
  ok({ type: "fs.move", container: "web", from: "/etc", to: "/etc2" });
  expect(e.view("web").readdir("/")).toEqual(["etc2", "motd"]);
  expect(e.view("web").lookup("/motd")?.type).toBe("symlink");
  expect(() => e.view("web").readFile("/motd")).toThrow(/ENOENT/);
  console.log([...e.view("web").walk()].map((w) => `${w.path} ${w.type} ${w.layer}`));
  console.log(
    e.log
      .read()
      .slice(-3)
      .map((x) => [x.type, JSON.stringify(x.data)]),
  );
});
