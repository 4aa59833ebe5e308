/**
 * Names are bytes (issue 19.7): a string that cannot become bytes (a lone surrogate has no UTF-8 form,
 * NUL ends a C string) is refused with a typed error naming the path, never stored as U+FFFD; any
 * other name is stored exactly. And a file larger than the model holds is EFBIG.
 */
import { type Command, type LayerEntry, sequentialIds, simulatedClock, ValidationError } from "@strata/core";
import { createFsEngine, type FsEngine, FsError, LayerError, MAX_FILE_BYTES } from "@strata/fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

const RUNS = Number(process.env.STRATA_FS_RUNS ?? 300);

function engine(): FsEngine {
  const e = createFsEngine({ clock: simulatedClock(), ids: sequentialIds("names") });
  for (const c of [
    { type: "image.create", layers: [], tags: ["base:1"] },
    { type: "container.create", image: "base:1", name: "box" },
  ] as Command[]) {
    const r = e.execute(c);
    if (!r.ok) throw r.error;
  }
  return e;
}

const LONE = "a\uD800b";

describe("names are bytes", () => {
  const refusals: [string, Command][] = [
    [
      "a path with a lone surrogate",
      { type: "fs.writeFile", container: "box", path: `/${LONE}`, content: "x" },
    ],
    ["mkdir -p of one", { type: "fs.mkdir", container: "box", path: `/d/${LONE}`, parents: true }],
    ["a symlink target with one", { type: "fs.symlink", container: "box", path: "/l", target: LONE }],
    [
      "an xattr value given as text with one",
      { type: "fs.setxattr", container: "box", path: "/", name: "user.a", value: LONE },
    ],
    [
      "an xattr name with one",
      { type: "fs.setxattr", container: "box", path: "/", name: `user.${LONE}`, value: "v" },
    ],
  ];
  for (const [what, command] of refusals) {
    test(`${what} is EINVAL, naming the path, and appends nothing`, () => {
      const e = engine();
      const seq = e.log.lastSeq;
      const r = e.execute(command);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error).toBeInstanceOf(FsError);
      expect((r.error as FsError).errno).toBe("EINVAL");
      expect(r.error.message).not.toContain("\uFFFD");
      expect(e.log.lastSeq).toBe(seq);
    });
  }

  test("content given as text with one is refused before deciding (the command catalogue's check), naming the field", () => {
    const e = engine();
    const seq = e.log.lastSeq;
    const r = e.execute({ type: "fs.writeFile", container: "box", path: "/f", content: LONE });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(ValidationError);
    expect(r.error.message).toMatch(/field content must be well-formed text/);
    expect(e.log.lastSeq).toBe(seq);
  });

  test("the error shows a lone surrogate escaped, so the message itself is valid text", () => {
    const r = engine().execute(refusals[0]?.[1] as Command);
    expect(!r.ok && r.error.message).toContain("a\\ud800b");
  });

  test("the union view refuses such a path too (stat), and NUL", () => {
    const view = engine().view("box");
    expect(() => view.stat(`/${LONE}`)).toThrow(FsError);
    expect(() => view.stat("/a\0b")).toThrow(/NUL/);
  });

  test("a layer entry with such a name is refused, naming the entry", () => {
    const e = engine();
    const entries: LayerEntry[] = [{ type: "dir", path: `/${LONE}`, mode: 0o755, uid: 0, gid: 0, mtime: 0 }];
    const r = e.execute({ type: "layer.create", layerId: `sha256:${"1".repeat(64)}`, entries });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toBeInstanceOf(LayerError);
  });

  test("property: any name is either stored exactly (readdir gives back the same string) or refused, never changed", () => {
    const unit = fc.oneof(
      fc.integer({ min: 0x20, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom("é", "😀", "\uDC00"),
    );
    fc.assert(
      fc.property(
        fc.array(unit, { minLength: 1, maxLength: 12 }).map((u) => u.join("")),
        (name) => {
          const e = engine();
          const r = e.execute({ type: "fs.writeFile", container: "box", path: `/${name}`, content: "x" });
          const listed = e.view("box").readdir("/");
          if (r.ok) {
            const expected = name.split("/").filter((c) => c !== "" && c !== "." && c !== "..");
            if (expected.length === 1) expect(listed).toEqual(expected);
            expect(listed.every((n) => !n.includes("\uFFFD") || name.includes("\uFFFD"))).toBe(true);
          } else {
            expect(listed).toEqual([]);
            expect(r.error).toBeInstanceOf(FsError);
          }
          // A name that cannot be bytes never gets through.
          if (/\p{Cs}/u.test(name)) expect(r.ok).toBe(false);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe("file sizes", () => {
  test("a truncate past the model's largest file is EFBIG, naming the path, and appends nothing", () => {
    const e = engine();
    const seq = e.log.lastSeq;
    for (const size of [MAX_FILE_BYTES + 1, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
      const r = e.execute({ type: "fs.truncate", container: "box", path: "/f", size });
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.error).toBeInstanceOf(FsError);
      expect((r.error as FsError).errno).toBe("EFBIG");
      expect(r.error.message).toContain("'/f'");
    }
    expect(e.log.lastSeq).toBe(seq);
    const small = e.execute({ type: "fs.truncate", container: "box", path: "/g", size: 4096 });
    expect(small.ok, !small.ok ? small.error.message : "").toBe(false); // /g does not exist: ENOENT
    const w = e.execute({ type: "fs.writeFile", container: "box", path: "/g", content: "x" });
    expect(w.ok).toBe(true);
    expect(e.execute({ type: "fs.truncate", container: "box", path: "/g", size: 4096 }).ok).toBe(true);
  });
});
