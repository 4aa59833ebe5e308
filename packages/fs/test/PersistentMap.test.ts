import fc from "fast-check";
import { expect, test } from "vitest";
import { compareNames, PersistentMap } from "../src/PersistentMap.js";

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

// Pairs of keys with equal FNV-1a 32 hashes (a common suffix keeps them equal): collision nodes.
const COLLIDING = ["costarring", "liquid", "declinate", "macallums", "k4uzx", "kf2ad", "k4uzxé", "kf2adé"];
const anyKey = fc.oneof(key, fc.constantFrom(...COLLIDING));
const anyOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key: anyKey, value: fc.integer() }),
  fc.record({ kind: fc.constant("delete" as const), key: anyKey }),
);

function play(ops: readonly Op[]): PersistentMap<number> {
  let m = PersistentMap.empty<number>();
  for (const o of ops) m = o.kind === "set" ? m.set(o.key, o.value) : m.delete(o.key);
  return m;
}

test("the shape is a function of the contents: any history, and `from` of the entries, iterate alike", () => {
  fc.assert(
    fc.property(fc.array(anyOp, { maxLength: 200 }), fc.nat(), (ops, seed) => {
      const m = play(ops);
      const entries = [...m.entries()];
      // The same entries set in another order (a seeded shuffle), and built in one pass.
      const shuffled = entries
        .map((e, i) => [e, (i * 7919 + seed) % 1009] as const)
        .sort((a, b) => a[1] - b[1])
        .map(([e]) => e);
      const again = play(shuffled.map(([k, v]) => ({ kind: "set", key: k, value: v })));
      const built = PersistentMap.from(shuffled);
      for (const other of [again, built]) {
        expect([...other.entries()]).toEqual(entries);
        expect(other.size).toBe(m.size);
      }
      // And they go on alike: the same later operations give the same maps.
      const more = ops.slice(0, 20);
      let a = m;
      let b = built;
      for (const o of more) {
        a = o.kind === "set" ? a.set(o.key, o.value) : a.delete(o.key);
        b = o.kind === "set" ? b.set(o.key, o.value) : b.delete(o.key);
        expect([...b.entries()]).toEqual([...a.entries()]);
        expect(b.size).toBe(a.size);
      }
      if (m.size === 0) expect(built).toBe(PersistentMap.empty());
    }),
    { numRuns: 300 },
  );
});

test("from: a later entry of the same key wins, and colliding keys iterate sorted", () => {
  const m = PersistentMap.from([
    ["liquid", 1],
    ["x", 2],
    ["costarring", 3],
    ["liquid", 4],
  ]);
  expect(m.size).toBe(3);
  expect(m.get("liquid")).toBe(4);
  const order = m.keys().filter((k) => k !== "x");
  expect(order).toEqual(["costarring", "liquid"]);
  expect(PersistentMap.empty<number>().set("liquid", 1).set("costarring", 2).keys()).toEqual([
    "costarring",
    "liquid",
  ]);
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

test("compareNames is the byte order of UTF-8 (astral names after U+E000..U+FFFF)", () => {
  // Units near the ranges where UTF-16 and UTF-8 orders part: ASCII, U+D7FF, U+E000, U+FFFF, astral.
  const unit = fc.oneof(
    fc.constantFrom(
      "a",
      "\u00e9",
      "\ud7ff",
      "\ue000",
      "\uff01",
      "\uffff",
      "\u{10000}",
      "\u{1f600}",
      "\u{10ffff}",
    ),
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
  );
  const name = fc.array(unit, { maxLength: 4 }).map((u) => u.join(""));
  fc.assert(
    fc.property(name, name, (a, b) => {
      const bytes = Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
      expect(Math.sign(compareNames(a, b))).toBe(bytes);
    }),
    { numRuns: 1000 },
  );
  expect(
    PersistentMap.from([
      ["\u{1f600}", 1],
      ["\uff01", 2],
      ["z", 3],
    ]).sortedKeys(),
  ).toEqual(["z", "\uff01", "\u{1f600}"]);
});

test("sortedKeys and sortedEntries are in UTF-8 byte order, with or without names beyond U+D7FF", () => {
  const name = fc.oneof(
    key,
    fc.string({ unit: "binary", maxLength: 3 }),
    fc.constantFrom("\uff01", "\u{1f600}", "\ue000x"),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(name, fc.integer()), { maxLength: 60 }), (entries) => {
      const m = PersistentMap.from(entries);
      const expected = [...new Map(entries)].sort((a, b) =>
        Buffer.compare(Buffer.from(a[0], "utf8"), Buffer.from(b[0], "utf8")),
      );
      expect(m.sortedEntries()).toEqual(expected);
      expect(m.sortedKeys()).toEqual(expected.map(([k]) => k));
    }),
    { numRuns: 300 },
  );
});
