import fc from "fast-check";
import { expect, test } from "vitest";
import { PersistentMap } from "../src/PersistentMap.js";

type Op = { kind: "set"; key: string; value: number } | { kind: "delete"; key: string };

// Short keys from a small alphabet give many equal and many colliding prefixes; FNV collisions are
// forced separately below.
const key = fc.string({ unit: fc.constantFrom("a", "b", "c", "d", ".", "é"), maxLength: 4 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key, value: fc.integer() }),
  fc.record({ kind: fc.constant("delete" as const), key }),
);

test("behaves like a Map, and every old version is unchanged (persistence)", () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      let m = PersistentMap.empty<number>();
      const reference = new Map<string, number>();
      const versions: [PersistentMap<number>, Map<string, number>][] = [];
      for (const o of ops) {
        if (o.kind === "set") {
          m = m.set(o.key, o.value);
          reference.set(o.key, o.value);
        } else {
          m = m.delete(o.key);
          reference.delete(o.key);
        }
        versions.push([m, new Map(reference)]);
      }
      for (const [version, expected] of versions) {
        expect(version.size).toBe(expected.size);
        expect(new Map(version.entries())).toEqual(expected);
        for (const [k, v] of expected) expect(version.get(k)).toBe(v);
      }
    }),
    { numRuns: 300 },
  );
});

test("keys whose hashes collide are kept apart", () => {
  // "costarring" and "liquid" collide under FNV-1a 32; so do "declinate" and "macallums".
  let m = PersistentMap.empty<string>();
  for (const k of ["costarring", "liquid", "declinate", "macallums", "x"]) m = m.set(k, k.toUpperCase());
  expect(m.get("costarring")).toBe("COSTARRING");
  expect(m.get("liquid")).toBe("LIQUID");
  m = m.delete("liquid");
  expect(m.get("costarring")).toBe("COSTARRING");
  expect(m.get("liquid")).toBeUndefined();
  expect(m.size).toBe(4);
  expect(m.sortedKeys()).toEqual(["costarring", "declinate", "macallums", "x"]);
});

test("an update of a 100,000-key map shares almost everything", () => {
  let m = PersistentMap.empty<number>();
  for (let i = 0; i < 100_000; i++) m = m.set(`file-${i}`, i);
  const next = m.set("file-5", -1);
  expect(m.get("file-5")).toBe(5);
  expect(next.get("file-5")).toBe(-1);
  expect(next.size).toBe(100_000);
  expect(m.set("file-5", 5)).toBe(m);
  expect(m.delete("absent")).toBe(m);
});
