/**
 * Image references as distribution/reference (vendored by moby 28.2) reads them: normalization to
 * Docker Hub, the familiar form, the errors in its words (cases from its normalize_test.go and
 * reference_test.go), `path.Match` globs, and filter times (`GetTimestamp`).
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { dockerTimestampMs } from "../src/shapes/dockerTimestamp.js";
import {
  familiarMatch,
  familiarName,
  familiarString,
  fullString,
  globRegExp,
  parseAnyReference,
  parseNormalizedNamed,
  repoTagReference,
  tagNameOnly,
} from "../src/shapes/imageReference.js";

const HEX = "a".repeat(64);

describe("ParseNormalizedNamed and the familiar form", () => {
  test.each([
    ["ubuntu", "docker.io/library/ubuntu", "ubuntu"],
    ["ubuntu:18.04", "docker.io/library/ubuntu:18.04", "ubuntu:18.04"],
    ["library/ubuntu", "docker.io/library/ubuntu", "ubuntu"],
    ["docker.io/library/ubuntu", "docker.io/library/ubuntu", "ubuntu"],
    ["index.docker.io/library/ubuntu", "docker.io/library/ubuntu", "ubuntu"],
    ["docker.io/ubuntu", "docker.io/library/ubuntu", "ubuntu"],
    ["dmcgowan/myapp", "docker.io/dmcgowan/myapp", "dmcgowan/myapp"],
    ["dmcgowan/myapp/ab:1", "docker.io/dmcgowan/myapp/ab:1", "dmcgowan/myapp/ab:1"],
    ["docker.io/library/a/b", "docker.io/library/a/b", "library/a/b"],
    ["localhost/x", "localhost/x", "localhost/x"],
    ["localhost:5000/a/b:c", "localhost:5000/a/b:c", "localhost:5000/a/b:c"],
    [`example.com/x@sha256:${HEX}`, `example.com/x@sha256:${HEX}`, `example.com/x@sha256:${HEX}`],
    ["[::1]:5000/x", "[::1]:5000/x", "[::1]:5000/x"],
    ["Registry.io/x", "Registry.io/x", "Registry.io/x"],
  ])("%s is %s, shown %s", (text, full, familiar) => {
    const ref = parseNormalizedNamed(text);
    expect(fullString(ref)).toBe(full);
    expect(familiarString(ref)).toBe(familiar);
  });

  test.each([
    ["", "invalid reference format"],
    ["Ubuntu", "invalid reference format: repository name (library/Ubuntu) must be lowercase"],
    ["me/App:1", "invalid reference format: repository name (me/App) must be lowercase"],
    [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
    ["a:b:c", "invalid reference format"],
    ["a/", "invalid reference format"],
    ["-a", "invalid reference format"],
    ["a@sha256:abc", "invalid reference format"],
    [`a@sha256:${"a".repeat(63)}g`, "invalid reference format"],
    [`a@sha512:${"a".repeat(64)}`, "invalid checksum digest length"],
    [`a@md5:${"a".repeat(32)}`, "unsupported digest algorithm"],
    [`a:${"t".repeat(129)}`, "invalid reference format"],
    [`${"a".repeat(256)}`, "repository name must not be more than 255 characters"],
  ])("%j is refused: %s", (text, message) => {
    expect(() => parseNormalizedNamed(text)).toThrow(expect.objectContaining({ status: 400, message }));
  });

  test("ParseAnyReference: a full id or a digest is an id; anything else a name", () => {
    expect(parseAnyReference(HEX)).toEqual({ kind: "digest", digest: `sha256:${HEX}` });
    expect(parseAnyReference(`sha256:${HEX}`)).toEqual({ kind: "digest", digest: `sha256:${HEX}` });
    expect(parseAnyReference("sha256:abc")).toMatchObject({
      kind: "named",
      path: "library/sha256",
      tag: "abc",
    });
    expect(parseAnyReference("abc")).toMatchObject({ kind: "named", path: "library/abc", tag: null });
  });

  test("RepoTagReference: the repo and tag of tag and commit; the default tag; bad tags and digests", () => {
    expect(familiarString(repoTagReference("docker.io/library/web", "") as never)).toBe("web:latest");
    expect(familiarString(repoTagReference("docker.io/me/web", "v1.2") as never)).toBe("me/web:v1.2");
    expect(repoTagReference("", "x")).toBeNull();
    expect(() => repoTagReference("web", "bad tag")).toThrow("invalid tag format");
    expect(() => repoTagReference(`web@sha256:${HEX}`, "")).toThrow("cannot import digest reference");
  });

  const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,4})?$/);
  const name = fc.array(component, { minLength: 1, maxLength: 3 }).map((c) => c.join("/"));
  const tag = fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/), { nil: null });

  test("every way of writing a Docker Hub name reads as one reference, shown the same", () => {
    fc.assert(
      fc.property(name, tag, (n, t) => {
        const suffix = t === null ? "" : `:${t}`;
        const familiar = familiarString(parseNormalizedNamed(`${n}${suffix}`));
        const path = n.includes("/") ? n : `library/${n}`;
        for (const written of [`docker.io/${path}${suffix}`, `index.docker.io/${path}${suffix}`]) {
          const ref = parseNormalizedNamed(written);
          expect(familiarString(ref)).toBe(familiar);
          expect(familiarString(parseNormalizedNamed(familiarString(ref)))).toBe(familiar);
        }
        expect(familiarString(tagNameOnly(parseNormalizedNamed(familiar)))).toBe(
          t === null ? `${familiar}:latest` : familiar,
        );
      }),
      { numRuns: 300 },
    );
  });

  test("a repository with an uppercase letter is refused, as lowercase", () => {
    fc.assert(
      fc.property(name, fc.nat(), (n, at) => {
        // In the last component: an uppercase first component of several is a registry's name.
        const from = n.lastIndexOf("/") + 1;
        const i = from + (at % (n.length - from));
        if (!/[a-z]/.test(n[i] as string)) return;
        const upper = `${n.slice(0, i)}${(n[i] as string).toUpperCase()}${n.slice(i + 1)}`;
        expect(() => parseNormalizedNamed(upper)).toThrow(/must be lowercase/);
      }),
      { numRuns: 300 },
    );
  });
});

describe("path.Match globs of --filter reference", () => {
  test.each([
    ["*", "alpine", true],
    ["*", "me/app", false],
    ["*/*", "me/app", true],
    ["a?p*", "alpine", true],
    ["[a-c]*", "busybox", true],
    ["[^a-c]*", "busybox", false],
    ["[!a]*", "!x", true],
    ["alp\\ine", "alpine", true],
    ["alpine:3.*", "alpine:3.19", true],
    ["alpine:3.*", "alpine:edge", false],
  ])("%s matches %s: %s", (pattern, text, matches) => {
    expect(globRegExp(pattern).test(text)).toBe(matches);
  });

  test.each(["[", "[]", "[a-", "x\\", "[z-a]"])("%s is a syntax error in pattern", (pattern) => {
    expect(() => globRegExp(pattern)).toThrow("syntax error in pattern");
  });

  test("FamiliarMatch: the familiar string, then the familiar name", () => {
    const ref = parseNormalizedNamed("docker.io/library/alpine:3.19");
    expect(familiarName(ref)).toBe("alpine");
    expect(familiarMatch("alpine", ref)).toBe(true);
    expect(familiarMatch("alpine:3*", ref)).toBe(true);
    expect(familiarMatch("library/alpine", ref)).toBe(false);
  });
});

describe("GetTimestamp of filter times", () => {
  const now = Date.UTC(2026, 5, 10, 12, 0, 0, 500);
  test.each([
    ["10m", Date.UTC(2026, 5, 10, 11, 50, 0)],
    ["1h30m", Date.UTC(2026, 5, 10, 10, 30, 0)],
    ["1500ms", Date.UTC(2026, 5, 10, 11, 59, 59)],
    ["1718013600", 1718013600_000],
    ["1718013600.25", 1718013600_250],
    // Without a zone, the server's own (GetTimestamp parses in time.Local).
    ["2026-01-02", new Date(2026, 0, 2).getTime()],
    ["2026-01-02T03", new Date(2026, 0, 2, 3).getTime()],
    ["2026-01-02T03:04", new Date(2026, 0, 2, 3, 4).getTime()],
    ["2026-01-02T03:04:05Z", Date.UTC(2026, 0, 2, 3, 4, 5)],
    ["2026-01-02T03:04:05.123+01:00", Date.UTC(2026, 0, 2, 2, 4, 5, 123)],
  ])("%s", (value, ms) => {
    expect(dockerTimestampMs(value, now)).toBe(ms);
  });

  test("anything else is 400 in dockerd's words", () => {
    expect(() => dockerTimestampMs("soon", now)).toThrow('failed to parse value as time or duration: "soon"');
    expect(() => dockerTimestampMs("2026-13-45", now)).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => dockerTimestampMs("1.x", now)).toThrow('failed to parse value as time or duration: "1.x"');
    expect(() => dockerTimestampMs("", now)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
