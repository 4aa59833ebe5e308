/**
 * The Go behaviours the API reproduces, as properties: `filepath.Clean`/`Join`/`Base` against Node's
 * POSIX path functions (which implement the same lexical rules), `os.FileMode` bits, tar headers read
 * back by Strata's tar reader and by GNU tar, and which programs end at once.
 */
import { execFileSync } from "node:child_process";
import { posix } from "node:path";
import { Readable } from "node:stream";
import {
  goBase,
  goClean,
  goFileMode,
  goJoin,
  goTarHeader,
  preserveTrailingDotOrSeparator,
  programExitCode,
  TAR_END,
  tarPadding,
} from "@strata/docker";
import { readTar } from "@strata/oci";
import fc from "fast-check";
import { describe, expect, test } from "vitest";

const RUNS = Number(process.env.STRATA_DOCKER_RUNS ?? 100) * 3;
const pathLike = fc
  .array(fc.constantFrom("a", "b", "..", ".", "", "é", "x y"), { maxLength: 6 })
  .chain((parts) => fc.boolean().map((abs) => `${abs ? "/" : ""}${parts.join("/")}`));

describe("Go's path functions", () => {
  test("Clean is POSIX normalisation without the trailing slash; Join and Base follow", () => {
    fc.assert(
      fc.property(pathLike, pathLike, (p, q) => {
        const normal = posix.normalize(p);
        expect(goClean(p)).toBe(normal.length > 1 ? normal.replace(/\/$/, "") : normal);
        expect(goJoin(p, q)).toBe(p === "" && q === "" ? "" : goClean(posix.join(p, q)));
        const base = posix.basename(p);
        expect(goBase(p)).toBe(p === "" ? "." : /^\/+$/.test(p) ? "/" : base === "" ? "." : base);
      }),
      { numRuns: RUNS },
    );
  });

  test("a trailing / or /. is put back after cleaning", () => {
    expect(preserveTrailingDotOrSeparator("/tmp", "/tmp/")).toBe("/tmp/");
    expect(preserveTrailingDotOrSeparator("/tmp", "/tmp/.")).toBe("/tmp/.");
    expect(preserveTrailingDotOrSeparator("/", "/.")).toBe("/.");
    expect(preserveTrailingDotOrSeparator("/etc/hostname", "etc/hostname")).toBe("/etc/hostname");
  });
});

describe("os.FileMode", () => {
  test("an unsigned 32-bit number: permission bits, Go's type bits and Go's setuid/setgid/sticky", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("file", "dir", "symlink") as fc.Arbitrary<"file" | "dir" | "symlink">,
        fc.integer({ min: 0, max: 0o7777 }),
        (type, mode) => {
          const m = goFileMode({ type, mode });
          expect(Number.isInteger(m) && m >= 0 && m < 2 ** 32).toBe(true);
          expect(m % 0o1000).toBe(mode & 0o777);
          expect(Math.floor(m / 2 ** 31) === 1).toBe(type === "dir");
          expect(Math.floor(m / 2 ** 27) % 2 === 1).toBe(type === "symlink");
          expect(Math.floor(m / 2 ** 23) % 2 === 1).toBe((mode & 0o4000) !== 0);
          expect(Math.floor(m / 2 ** 22) % 2 === 1).toBe((mode & 0o2000) !== 0);
          expect(Math.floor(m / 2 ** 20) % 2 === 1).toBe((mode & 0o1000) !== 0);
        },
      ),
      { numRuns: RUNS },
    );
    expect(goFileMode({ type: "dir", mode: 0o755 })).toBe(2147484141);
  });
});

describe("tar headers as dockerd writes them", () => {
  const name = fc
    .array(fc.constantFrom("a", "bb", "é", "x".repeat(60), "ü".repeat(30), "c d"), {
      minLength: 1,
      maxLength: 5,
    })
    .map((parts) => parts.join("/"));
  const entry = fc.record({
    name,
    type: fc.constantFrom("file", "dir", "symlink", "link") as fc.Arbitrary<
      "file" | "dir" | "symlink" | "link"
    >,
    mode: fc.integer({ min: 0, max: 0o7777 }),
    uid: fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.constant(0xfffffff0)),
    gid: fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.constant(4_000_000)),
    mtime: fc.integer({ min: 0, max: 8_000_000_000 }).map((s) => s * 1000),
    content: fc.uint8Array({ maxLength: 700 }),
    linkname: name,
    capability: fc.option(fc.uint8Array({ minLength: 1, maxLength: 24 }), { nil: undefined }),
  });

  test("Strata's tar reader and GNU tar read back every field", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 4 }), async (entries) => {
        const parts: Buffer[] = [];
        const expected = entries.map((e) => {
          const content = e.type === "file" ? Buffer.from(e.content) : Buffer.alloc(0);
          const header = {
            name: e.type === "dir" ? `${e.name}/` : e.name,
            type: e.type,
            mode: e.mode,
            uid: e.uid,
            gid: e.gid,
            size: content.length,
            mtime: e.mtime,
            ...(e.type === "symlink" || e.type === "link" ? { linkname: e.linkname } : {}),
            ...(e.capability
              ? { xattrs: new Map([["security.capability", Buffer.from(e.capability)]]) }
              : {}),
          };
          parts.push(goTarHeader(header), content, tarPadding(content.length));
          return { ...header, content: content.toString("base64") };
        });
        parts.push(TAR_END);
        const tar = Buffer.concat(parts);
        const read = [];
        for await (const { header: h, body } of readTar(Readable.from([tar]))) {
          const chunks: Buffer[] = [];
          for await (const c of body) chunks.push(c);
          read.push({
            name: h.name,
            type: { file: "file", directory: "dir", symlink: "symlink", link: "link" }[h.type as "file"],
            mode: h.mode,
            uid: h.uid,
            gid: h.gid,
            size: h.size,
            mtime: h.mtime,
            ...(h.type === "symlink" || h.type === "link" ? { linkname: h.linkname } : {}),
            ...(h.xattrs.size > 0 ? { xattrs: h.xattrs } : {}),
            content: Buffer.concat(chunks).toString("base64"),
          });
        }
        expect(read).toEqual(expected);
        const listed = execFileSync("tar", ["-tf", "-"], { input: tar })
          .toString()
          .split("\n")
          .filter(Boolean);
        expect(listed).toEqual(expected.map((e) => e.name));
      }),
      { numRuns: RUNS / 3 },
    );
  });
});

describe("programs that end at once", () => {
  test("true, false and one-command shell scripts exit with their status; anything else runs", () => {
    expect(programExitCode(["true"])).toBe(0);
    expect(programExitCode(["/bin/false"])).toBe(1);
    expect(programExitCode(["busybox", "true"])).toBe(0);
    expect(programExitCode(["sh", "-c", "exit"])).toBe(0);
    expect(programExitCode(["/bin/sh", "-c", ":"])).toBe(0);
    for (const program of ["sleep", "echo", "cat", "/bin/sh", "nginx"])
      expect(programExitCode([program, "1"])).toBeNull();
    expect(programExitCode(["sh", "-c", "exit 256"])).toBeNull();
    expect(programExitCode(["sh", "-c", "echo hi; exit 1"])).toBeNull();
    fc.assert(
      fc.property(
        fc.constantFrom("sh", "/bin/bash", "ash", "dash"),
        fc.integer({ min: 0, max: 255 }),
        (shell, n) => {
          expect(programExitCode([shell, "-c", `exit ${n}`])).toBe(n);
          expect(programExitCode([shell, "-c", ` exit\t${n} `])).toBe(n);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
