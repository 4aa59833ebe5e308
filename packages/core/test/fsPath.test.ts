import fc from "fast-check";
import { expect, test } from "vitest";
import { normalizeFsPath, pathComponents } from "../src/index.js";

test("pathComponents is slice(1).split('/') for any string but '/', and joins back into a canonical path", () => {
  const text = fc.string({ unit: fc.constantFrom("/", "/", "a", "é", ".", "😀") });
  fc.assert(
    fc.property(text, (s) => {
      expect(pathComponents(s)).toEqual(s === "/" ? [] : s.slice(1).split("/"));
      const canonical = normalizeFsPath(s);
      const comps = pathComponents(canonical);
      expect(`/${comps.join("/")}`).toBe(canonical);
      expect(comps.every((c) => c !== "" && c !== "." && c !== "..")).toBe(true);
    }),
    { numRuns: 1000 },
  );
  expect(pathComponents("/")).toEqual([]);
  expect(pathComponents("/a")).toEqual(["a"]);
  expect(pathComponents("/a/b/")).toEqual(["a", "b", ""]);
});
