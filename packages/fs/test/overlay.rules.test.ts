/**
 * The overlay rules, one readable case each: given an image, when the container does X, then the
 * union view and the read-write layer are Y. (The kernel oracle checks the same rules at random.)
 */

import { type Command, type FsCommand, plan, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, type FsEngine, fsProjection } from "@strata/fs";
import { describe, expect, test } from "vitest";
import { listTree } from "./support/model.js";

const L1 = `sha256:${"1".repeat(64)}`;
const L2 = `sha256:${"2".repeat(64)}`;
const meta = { uid: 0, gid: 0, mtime: 1_000 };

/** An image of two layers: /etc/{hosts,motd}, /data/{a,b}, /lib/x, /link -> etc/motd, /etc/hard = hard link of /etc/hosts. */
function given(): FsEngine {
  const e = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("rules") });
  const blob = (s: string) => ({ digest: e.putBlob(s), size: Buffer.byteLength(s) });
  const run = (c: Command) => {
    const r = e.execute(c);
    if (!r.ok) throw r.error;
  };
  run({
    type: "layer.create",
    layerId: L1,
    entries: [
      { type: "dir", path: "/etc", mode: 0o755, ...meta },
      { type: "file", path: "/etc/hosts", mode: 0o644, ...meta, ...blob("127.0.0.1 localhost\n") },
      { type: "hardlink", path: "/etc/hard", target: "/etc/hosts" },
      { type: "dir", path: "/data", mode: 0o750, uid: 33, gid: 33, mtime: 1_000 },
      { type: "file", path: "/data/a", mode: 0o600, uid: 33, gid: 33, mtime: 1_000, ...blob("a") },
      { type: "dir", path: "/lib", mode: 0o755, ...meta },
      { type: "file", path: "/lib/x", mode: 0o755, ...meta, ...blob("ELF") },
    ],
  });
  run({
    type: "layer.create",
    layerId: L2,
    entries: [
      { type: "file", path: "/etc/motd", mode: 0o644, ...meta, ...blob("welcome\n") },
      { type: "file", path: "/data/b", mode: 0o600, uid: 33, gid: 33, mtime: 2_000, ...blob("b") },
      { type: "symlink", path: "/link", target: "etc/motd", ...meta },
    ],
  });
  run({
    type: "image.create",
    layers: [
      { id: L1, parent: null },
      { id: L2, parent: L1 },
    ],
    tags: ["app:1"],
  });
  run({ type: "container.create", image: "app:1", name: "c1" });
  return e;
}

const upperOf = (e: FsEngine) =>
  listTree(e.projected.containers.get(e.state.names.c1 as string)?.upper as never);
const upperPaths = (e: FsEngine) => upperOf(e).map((x) => `${x.path}:${x.type}${x.opaque ? ":opaque" : ""}`);
type WithoutContainer<C> = C extends unknown ? Omit<C, "container"> : never;
const exec = (e: FsEngine, c: WithoutContainer<FsCommand>) => e.execute({ ...c, container: "c1" } as Command);
const text = (e: FsEngine, ref: string, path: string) => Buffer.from(e.view(ref).readFile(path)).toString();

describe("copy-up", () => {
  test("writing a lower file copies it (and its ancestors, with their metadata) up; the image is unchanged", () => {
    const e = given();
    expect(exec(e, { type: "fs.writeFile", path: "/data/a", content: "changed" }).ok).toBe(true);
    expect(text(e, "c1", "/data/a")).toBe("changed");
    expect(text(e, "app:1", "/data/a")).toBe("a");
    expect(upperPaths(e)).toEqual(["/:dir", "/data:dir", "/data/a:file"]);
    const data = upperOf(e).find((x) => x.path === "/data");
    expect(data).toMatchObject({ mode: 0o750, uid: 33, gid: 33 });
    expect(e.view("c1").stat("/data/a")).toMatchObject({ mode: 0o600, uid: 33, layer: "upper" });
  });

  test("chmod of a lower directory copies up the directory only, not its contents", () => {
    const e = given();
    exec(e, { type: "fs.chmod", path: "/data", mode: 0o700 });
    expect(upperPaths(e)).toEqual(["/:dir", "/data:dir"]);
    expect(e.view("c1").readdir("/data")).toEqual(["a", "b"]);
  });

  test("a symlink never copies up its target", () => {
    const e = given();
    exec(e, { type: "fs.symlink", path: "/etc/alias", target: "/etc/hosts" });
    expect(upperPaths(e)).toEqual(["/:dir", "/etc:dir", "/etc/alias:symlink"]);
  });

  test("copy-up breaks a lower hard link: the other name keeps the old content", () => {
    const e = given();
    exec(e, { type: "fs.writeFile", path: "/etc/hosts", content: "10.0.0.1 db\n" });
    expect(text(e, "c1", "/etc/hosts")).toBe("10.0.0.1 db\n");
    expect(text(e, "c1", "/etc/hard")).toBe("127.0.0.1 localhost\n");
  });

  test("a hard link to a lower file copies it up; then both names are one inode", () => {
    const e = given();
    exec(e, { type: "fs.link", path: "/lib/y", target: "/lib/x" });
    expect(e.view("c1").stat("/lib/x")).toMatchObject({ nlink: 2, layer: "upper" });
    exec(e, { type: "fs.writeFile", path: "/lib/y", content: "patched" });
    expect(text(e, "c1", "/lib/x")).toBe("patched");
  });
});

describe("whiteouts and opaque directories", () => {
  test("removing a lower file leaves a whiteout; removing an upper-only file leaves nothing", () => {
    const e = given();
    exec(e, { type: "fs.remove", path: "/etc/motd" });
    exec(e, { type: "fs.writeFile", path: "/tmp.txt", content: "x" });
    exec(e, { type: "fs.remove", path: "/tmp.txt" });
    expect(upperPaths(e)).toEqual(["/:dir", "/etc:dir", "/etc/motd:whiteout"]);
    expect(e.view("c1").readdir("/etc")).toEqual(["hard", "hosts"]);
  });

  test("rm -r of a lower directory leaves a single whiteout at its top", () => {
    const e = given();
    exec(e, { type: "fs.remove", path: "/data", recursive: true });
    expect(upperPaths(e)).toEqual(["/:dir", "/data:whiteout"]);
  });

  test("a non-empty directory is not removed without recursive: ENOTEMPTY, and nothing changes", () => {
    const e = given();
    const seq = e.log.lastSeq;
    const r = exec(e, { type: "fs.remove", path: "/data" });
    expect(!r.ok && r.error.message).toBe("ENOTEMPTY: Directory not empty, rmdir '/data'");
    expect(e.log.lastSeq).toBe(seq);
  });

  test("mkdir over a whiteout of the read-write layer is opaque: nothing below shows through", () => {
    const e = given();
    exec(e, { type: "fs.remove", path: "/data", recursive: true });
    exec(e, { type: "fs.mkdir", path: "/data" });
    exec(e, { type: "fs.writeFile", path: "/data/new", content: "n" });
    expect(upperPaths(e)).toEqual(["/:dir", "/data:dir:opaque", "/data/new:file"]);
    expect(e.view("c1").readdir("/data")).toEqual(["new"]);
  });
});

describe("rename", () => {
  test("renaming a lower directory is EXDEV; fs.move copies then deletes", () => {
    const e = given();
    const r = exec(e, { type: "fs.rename", from: "/data", to: "/srv" });
    expect(!r.ok && r.error.code).toBe("EXDEV");
    expect(exec(e, { type: "fs.move", from: "/data", to: "/srv" }).ok).toBe(true);
    expect(e.view("c1").readdir("/srv")).toEqual(["a", "b"]);
    expect(upperPaths(e)).toEqual(["/:dir", "/data:whiteout", "/srv:dir", "/srv/a:file", "/srv/b:file"]);
  });

  test("renaming a lower file copies it up and leaves a whiteout at the old name", () => {
    const e = given();
    exec(e, { type: "fs.rename", from: "/etc/motd", to: "/etc/motd.old" });
    expect(upperPaths(e)).toEqual(["/:dir", "/etc:dir", "/etc/motd:whiteout", "/etc/motd.old:file"]);
    expect(text(e, "c1", "/etc/motd.old")).toBe("welcome\n");
  });

  test("an upper-only directory renames freely and becomes opaque under a merge directory", () => {
    const e = given();
    exec(e, { type: "fs.mkdir", path: "/work" });
    exec(e, { type: "fs.rename", from: "/work", to: "/etc/work" });
    expect(upperPaths(e)).toContain("/etc/work:dir:opaque");
  });

  test("a rename the upper layer refuses (a non-empty upper-only target) still leaves its source opaque", () => {
    const e = given();
    exec(e, { type: "fs.mkdir", path: "/work" });
    exec(e, { type: "fs.mkdir", parents: true, path: "/full/x" });
    // A durable engine plans before it appends: the plan fails the same way, with the mark in its batch.
    const rename = { type: "fs.rename", container: "c1", from: "/work", to: "/full" } as const;
    const planned = plan(
      fsProjection({ blobs: e.blobs }),
      { core: e.state, projection: e.projected },
      rename,
      5,
    );
    expect([planned.outcome, planned.error?.code]).toEqual(["failed", "ENOTEMPTY"]);
    expect(planned.events.map((x) => x.event.type)).toEqual(["fs.xattrSet"]);
    const r = exec(e, { type: "fs.rename", from: "/work", to: "/full" });
    // overlayfs marks the source opaque (its new parent, /, is a merge directory), then the upper
    // rename answers ENOTEMPTY: the command fails, and the mark is appended and stays.
    expect(r.outcome).toBe("failed");
    expect(!r.ok && r.error.code).toBe("ENOTEMPTY");
    expect(r.ok || r.outcome !== "failed" ? [] : r.events.map((x) => x.data)).toEqual([
      { path: "/work", name: "trusted.overlay.opaque", value: "eQ==" },
    ]);
    expect(upperPaths(e)).toEqual(["/:dir", "/full:dir", "/full/x:dir", "/work:dir:opaque"]);
    expect(e.view("c1").readdir("/work")).toEqual([]);
  });

  test("no mark when the new parent has no lower part, or the target has one (overlayfs refuses that first)", () => {
    const e = given();
    exec(e, { type: "fs.mkdir", parents: true, path: "/new/a" });
    exec(e, { type: "fs.mkdir", parents: true, path: "/new/b/x" });
    const inUpperOnly = exec(e, { type: "fs.rename", from: "/new/a", to: "/new/b" });
    expect(inUpperOnly.outcome).toBe("refused");
    expect(!inUpperOnly.ok && inUpperOnly.error.code).toBe("ENOTEMPTY");
    const ontoMerged = exec(e, { type: "fs.rename", from: "/new/a", to: "/data" });
    expect(ontoMerged.outcome).toBe("refused");
    expect(!ontoMerged.ok && ontoMerged.error.code).toBe("ENOTEMPTY");
    expect(upperPaths(e)).not.toContain("/new/a:dir:opaque");
  });

  test("trusted.overlay.opaque is overlayfs's own: a command may not set it", () => {
    const e = given();
    exec(e, { type: "fs.mkdir", path: "/work" });
    const r = exec(e, { type: "fs.setxattr", path: "/work", name: "trusted.overlay.opaque", value: "y" });
    expect(!r.ok && r.error.code).toBe("ENOTSUP");
    expect(upperPaths(e)).toContain("/work:dir");
  });
});

describe("paths stay inside the container root", () => {
  test("absolute symlinks and .. resolve in the container root, never outside it", () => {
    const e = given();
    exec(e, { type: "fs.symlink", path: "/escape", target: "../../../../etc" });
    exec(e, { type: "fs.symlink", path: "/abs", target: "/etc" });
    expect(e.view("c1").readdir("/escape")).toEqual(["hard", "hosts", "motd"]);
    exec(e, {
      type: "fs.writeFile",
      path: "/abs/../../../../etc/passwd",
      content: "root:x:0:0::/root:/bin/sh\n",
    });
    expect(e.view("c1").readdir("/etc")).toContain("passwd");
    expect(text(e, "c1", "/link")).toBe("welcome\n");
  });

  test("a symlink loop is ELOOP", () => {
    const e = given();
    exec(e, { type: "fs.symlink", path: "/loop1", target: "/loop2" });
    exec(e, { type: "fs.symlink", path: "/loop2", target: "/loop1" });
    const r = exec(e, { type: "fs.writeFile", path: "/loop1", content: "x" });
    expect(!r.ok && r.error.code).toBe("ELOOP");
  });

  test("writing through a dangling symlink creates its target", () => {
    const e = given();
    exec(e, { type: "fs.symlink", path: "/etc/resolv.conf", target: "/run/resolv.conf" });
    exec(e, { type: "fs.mkdir", path: "/run" });
    exec(e, { type: "fs.writeFile", path: "/etc/resolv.conf", content: "nameserver 10.0.0.2\n" });
    expect(text(e, "c1", "/run/resolv.conf")).toBe("nameserver 10.0.0.2\n");
  });
});

describe("time travel and commit", () => {
  test("the view at any seq of the log is the view as it was then", () => {
    const e = given();
    exec(e, { type: "fs.writeFile", path: "/etc/motd", content: "v2\n" });
    const v2 = e.log.lastSeq;
    exec(e, { type: "fs.writeFile", path: "/etc/motd", content: "v3\n" });
    expect(text(e, "c1", "/etc/motd")).toBe("v3\n");
    expect(Buffer.from(e.view("c1", { at: v2 }).readFile("/etc/motd")).toString()).toBe("v2\n");
    // a seq the log does not have is an error, not the present passed off as the past
    for (const at of [e.log.lastSeq + 1, -1, 1.5])
      expect(() => e.view("c1", { at })).toThrow(/No such event/);
    expect(() => e.diff("c1", { at: e.log.lastSeq + 1 })).toThrow(/No such event/);
    expect(() => e.view("c1", { at: 0 })).toThrow(/No such container/);
  });

  test("commit of an unchanged container adds no layer; of a changed one, one layer holding only the change", () => {
    const e = given();
    const first = e.execute({ type: "container.commit", container: "c1", tag: "app:same" });
    expect(first.ok && first.events[0]?.type === "image.created" && first.events[0].data.layers.length).toBe(
      2,
    );
    exec(e, { type: "fs.chmod", path: "/etc/hosts", mode: 0o644 }); // a copy-up that changes nothing
    exec(e, { type: "fs.writeFile", path: "/etc/motd", content: "committed\n" });
    const second = e.execute({ type: "container.commit", container: "c1", tag: "app:2" });
    expect(second.ok).toBe(true);
    const image = e.state.images[e.state.tags["app:2"] as string];
    expect(image?.layers).toHaveLength(3);
    const top = e.projected.layers.get(image?.layers[2]?.id as string);
    expect(listTree(top as never).map((x) => x.path)).toEqual(["/", "/etc", "/etc/motd"]);
    expect(text(e, "app:2", "/etc/motd")).toBe("committed\n");
  });
});

describe("docker diff", () => {
  const diff = (e: FsEngine) => e.diff("c1").map((c) => `${c.kind} ${c.path}`);

  test("the cases of the reference table, with moby's rules", () => {
    const e = given();
    expect(diff(e)).toEqual([]);
    exec(e, { type: "fs.writeFile", path: "/etc/new.conf", content: "n" }); // add in an existing dir
    exec(e, { type: "fs.remove", path: "/data", recursive: true }); // delete a lower tree: D at its top only
    exec(e, { type: "fs.mkdir", path: "/opt/app", parents: true }); // new tree: every path is A
    exec(e, { type: "fs.writeFile", path: "/opt/app/run", content: "#!/bin/sh\n" });
    exec(e, { type: "fs.chmod", path: "/lib", mode: 0o700 }); // chmod of a directory: C
    exec(e, { type: "fs.symlink", path: "/link2", target: "etc/hosts" });
    expect(diff(e)).toEqual([
      "D /data",
      "C /etc",
      "A /etc/new.conf",
      "C /lib",
      "A /link2",
      "A /opt",
      "A /opt/app",
      "A /opt/app/run",
    ]);
  });

  test("a file created then deleted leaves nothing; a changed file is C; a rename is D + A", () => {
    const e = given();
    exec(e, { type: "fs.writeFile", path: "/tmp1", content: "x" });
    exec(e, { type: "fs.remove", path: "/tmp1" });
    exec(e, { type: "fs.rename", from: "/etc/motd", to: "/etc/motd2" });
    exec(e, { type: "fs.writeFile", path: "/lib/x", content: "patched ELF" });
    expect(diff(e)).toEqual(["C /etc", "D /etc/motd", "A /etc/motd2", "C /lib", "C /lib/x"]);
    // As it was before the rename (time travel).
    expect(e.diff("c1", { at: e.log.lastSeq - 2 }).map((c) => `${c.kind} ${c.path}`)).toEqual([]);
  });
});
