/**
 * Devices and FIFOs in the layer model: a container changes them like any entry (copy-up on chmod,
 * chown, utimes and setxattr; rename and unlink), refuses what is not modelled (opening to write,
 * truncating, hard-linking, reading, user.* xattrs) with an FsError, and a commit keeps exactly what the
 * container shows: type, numbers, mode, owner, mtime and xattrs. The kernel oracle does not run these:
 * opening a device node from a chroot would reach the host's device.
 */
import { type Command, type LayerEntry, sequentialIds, simulatedClock } from "@strata/core";
import { createFsEngine, type FsEngine, FsError, layerTree } from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

const L1 = `sha256:${"1".repeat(64)}`;
const NAMES = ["null", "sda", "pipe", "dir", "file"] as const;

function given(): FsEngine {
  const e = createFsEngine({ clock: simulatedClock(Date.UTC(2026, 0, 1)), ids: sequentialIds("dev") });
  const meta = { uid: 0, gid: 0, mtime: Date.UTC(2020, 0, 1) };
  const entries: LayerEntry[] = [
    { type: "dir", path: "/d", mode: 0o755, ...meta },
    { type: "device", path: "/d/null", device: "char", major: 1, minor: 3, mode: 0o666, ...meta },
    { type: "device", path: "/d/sda", device: "block", major: 8, minor: 0, mode: 0o660, ...meta, gid: 6 },
    { type: "device", path: "/d/pipe", device: "fifo", major: 0, minor: 0, mode: 0o644, ...meta },
    { type: "dir", path: "/d/dir", mode: 0o755, ...meta },
    { type: "file", path: "/d/file", mode: 0o644, ...meta, digest: e.putBlob("f"), size: 1 },
  ];
  const run = (c: Command) => {
    const r = e.execute(c);
    if (!r.ok) throw r.error;
  };
  run({ type: "layer.create", layerId: L1, entries });
  run({ type: "image.create", layers: [{ id: L1, parent: null }], tags: ["dev:1"] });
  run({ type: "container.create", image: "dev:1", name: "box" });
  return e;
}

const path = fc.constantFrom(...NAMES).map((n) => `/d/${n}`);
const op: fc.Arbitrary<Command> = fc.oneof(
  fc
    .record({ p: path, mode: fc.constantFrom(0, 0o600, 0o4755, 0o666) })
    .map(({ p, mode }) => ({ type: "fs.chmod", container: "box", path: p, mode }) as Command),
  fc
    .record({ p: path, uid: fc.constantFrom(-1, 0, 33), gid: fc.constantFrom(-1, 0, 6) })
    .map(({ p, uid, gid }) => ({ type: "fs.chown", container: "box", path: p, uid, gid }) as Command),
  fc
    .record({ p: path, t: fc.constantFrom(1_000_000_000_000, 1_500_000_000_000) })
    .map(({ p, t }) => ({ type: "fs.utimes", container: "box", path: p, mtime: t }) as Command),
  fc
    .record({ from: path, to: path })
    .map(({ from, to }) => ({ type: "fs.rename", container: "box", from, to }) as Command),
  path.map((p) => ({ type: "fs.unlink", container: "box", path: p }) as Command),
  path.map(
    (p) => ({ type: "fs.setxattr", container: "box", path: p, name: "security.x", value: "1" }) as Command,
  ),
  path.map(
    (p) => ({ type: "fs.setxattr", container: "box", path: p, name: "user.x", value: "1" }) as Command,
  ),
  path.map((p) => ({ type: "fs.writeFile", container: "box", path: p, content: "x" }) as Command),
  path.map((p) => ({ type: "fs.truncate", container: "box", path: p, size: 0 }) as Command),
  fc
    .record({ target: path, p: path })
    .map(({ target, p }) => ({ type: "fs.link", container: "box", target, path: `${p}.2` }) as Command),
);

const listing = (e: FsEngine, ref: string) =>
  [...e.view(ref).walk()].map(({ layer: _l, ino: _i, atime: _a, nlink: _n, ...rest }) => rest);

describe("devices and FIFOs in a container", () => {
  test("property: every change is applied or refused with an FsError; a commit shows exactly the container's view", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 12 }), (ops) => {
        const e = given();
        for (const c of ops) {
          const target = "path" in c ? (c.path as string) : "";
          const before = e.view("box").lookup(target);
          const r = e.execute(c);
          if (!r.ok) expect(r.error).toBeInstanceOf(FsError);
          // What is not modelled for devices is refused, never applied.
          const device =
            before !== undefined && ["char-device", "block-device", "fifo"].includes(before.type);
          if (device && (c.type === "fs.writeFile" || c.type === "fs.truncate")) expect(r.ok).toBe(false);
        }
        const r = e.execute({ type: "container.commit", container: "box", tag: "dev:2" });
        if (!r.ok) throw r.error;
        expect(listing(e, "dev:2")).toEqual(listing(e, "box"));
      }),
      { numRuns: 300 },
    );
  });

  test("writing, truncating, hard-linking and reading a device are refused with the kernel's errno", () => {
    const e = given();
    const errno = (c: Command) => {
      const r = e.execute(c);
      return r.ok ? "ok" : (r.error as FsError).errno;
    };
    expect(errno({ type: "fs.writeFile", container: "box", path: "/d/null", content: "x" })).toBe("EPERM");
    expect(errno({ type: "fs.truncate", container: "box", path: "/d/pipe", size: 0 })).toBe("EINVAL");
    expect(errno({ type: "fs.link", container: "box", target: "/d/sda", path: "/d/sda2" })).toBe("EPERM");
    expect(
      errno({ type: "fs.setxattr", container: "box", path: "/d/null", name: "user.a", value: "1" }),
    ).toBe("EPERM");
    expect(() => e.view("box").readFile("/d/null")).toThrow(FsError);
    expect(errno({ type: "fs.chmod", container: "box", path: "/d/sda", mode: 0o4755 })).toBe("ok");
    expect(errno({ type: "fs.chown", container: "box", path: "/d/sda", uid: 5, gid: 5 })).toBe("ok");
    // chown of a non-directory clears setuid, as the kernel does.
    expect(e.view("box").stat("/d/sda")).toMatchObject({
      mode: 0o755,
      uid: 5,
      major: 8,
      minor: 0,
      layer: "upper",
    });
  });

  test("a character device 0/0 is no device: it is overlayfs's whiteout", () => {
    expect(() =>
      layerTree(L1, [
        { type: "device", path: "/x", device: "char", major: 0, minor: 0, mode: 0, uid: 0, gid: 0, mtime: 0 },
      ]),
    ).toThrow(/whiteout/);
  });
});
