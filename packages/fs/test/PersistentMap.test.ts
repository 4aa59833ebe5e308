import fc from "fast-check";
import { expect, test } from "vitest";
import { Edit } from "../src/Edit.js";
import { hashOf, hashOn } from "../src/hamt.js";
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

/**
 * A transient run: the operations, with `seal` steps that close the edit and open a new one, and
 * persistent changes (each followed by a seal, as a transient fold does after one).
 */
type TransientOp = Op | { kind: "seal" } | { kind: "persistent"; op: Op };
const transientOp: fc.Arbitrary<TransientOp> = fc.oneof(
  { weight: 12, arbitrary: anyOp },
  { weight: 1, arbitrary: fc.constant({ kind: "seal" as const }) },
  { weight: 2, arbitrary: anyOp.map((op) => ({ kind: "persistent" as const, op })) },
);

test("transient changes (setIn/deleteIn under an edit) give the persistent map, and change nothing built before the edit or frozen by closing it", () => {
  fc.assert(
    fc.property(
      fc.array(anyOp, { maxLength: 60 }),
      fc.array(transientOp, { maxLength: 300 }),
      (before, ops) => {
        const start = play(before);
        const startEntries = [...start.entries()];
        let edit = new Edit();
        let m = start;
        const reference: Op[] = [...before];
        // Maps frozen along the way (by a close, or made by a persistent change), with their entries then.
        const frozen: [PersistentMap<number>, [string, number][]][] = [];
        const closed: Edit[] = [];
        for (const o of ops) {
          if (o.kind === "seal") {
            edit.close();
            closed.push(edit);
            frozen.push([m, [...m.entries()]]);
            edit = new Edit();
            continue;
          }
          if (o.kind === "persistent") {
            // A persistent change of a map owned by an open edit leaves that map as it was.
            const was = [...m.entries()];
            const next = o.op.kind === "set" ? m.set(o.op.key, o.op.value) : m.delete(o.op.key);
            expect([...m.entries()]).toEqual(was);
            m = next;
            reference.push(o.op);
            // It may share parts the open edit can still change: a fold closes the edit before going on.
            edit.close();
            closed.push(edit);
            frozen.push([m, [...m.entries()]]);
            edit = new Edit();
            continue;
          }
          m = o.kind === "set" ? m.setIn(edit, o.key, o.value) : m.deleteIn(edit, o.key);
          reference.push(o);
        }
        edit.close();
        const persistent = play(reference);
        // Same entries, same iteration order (the shape), same size; and it goes on like the persistent one.
        expect([...m.entries()]).toEqual([...persistent.entries()]);
        expect(m.size).toBe(persistent.size);
        for (const o of before.slice(0, 10)) {
          const a = o.kind === "set" ? m.set(o.key, o.value) : m.delete(o.key);
          const b = o.kind === "set" ? persistent.set(o.key, o.value) : persistent.delete(o.key);
          expect([...a.entries()]).toEqual([...b.entries()]);
        }
        // Nothing built before the edit, or frozen since, changed.
        expect([...start.entries()]).toEqual(startEntries);
        for (const [map, entries] of frozen) {
          expect([...map.entries()]).toEqual(entries);
          expect(map.size).toBe(entries.length);
        }
        // A closed edit changes nothing any more.
        for (const e of [...closed, edit]) expect(() => m.setIn(e, "a", 1)).toThrow(/closed/);
      },
    ),
    { numRuns: 300 },
  );
});

test("a transient fold of 100,000 keys changes the maps it made in place: one map object, not one per change", () => {
  const edit = new Edit();
  const empty = PersistentMap.empty<number>();
  const first = empty.setIn(edit, "file-0", 0);
  let m = first;
  for (let i = 1; i < 100_000; i++) m = m.setIn(edit, `file-${i}`, i);
  expect(m).toBe(first);
  expect(empty.size).toBe(0);
  edit.close();
  expect(m.size).toBe(100_000);
  const next = m.set("file-5", -1);
  expect(m.get("file-5")).toBe(5);
  expect(next.get("file-5")).toBe(-1);
  expect([...m.entries()]).toEqual([...PersistentMap.from(m.entries()).entries()]);
});

test("mapValues maps every value and keeps the order; it answers the map itself when f keeps every value, and shares the parts whose values it keeps", () => {
  fc.assert(
    fc.property(fc.array(anyOp, { maxLength: 200 }), fc.integer({ min: 0, max: 7 }), (ops, pick) => {
      const m = play(ops);
      // Change only the values of some keys (those whose value is ≡ pick mod 8), keep the others.
      const f = (v: number) => (((v % 8) + 8) % 8 === pick ? v + 1 : v);
      const mapped = m.mapValues(f) as PersistentMap<number>;
      expect(mapped.keys()).toEqual(m.keys());
      for (const [k, v] of m.entries()) expect(mapped.get(k)).toBe(f(v));
      // A map rebuilt from the mapped entries is the same map (its shape did not change).
      expect(PersistentMap.from(mapped.entries()).keys()).toEqual(mapped.keys());
      expect(m.mapValues((v) => v)).toBe(m);
      if ([...m.entries()].every(([, v]) => f(v) === v)) expect(mapped).toBe(m);
      else expect(mapped).not.toBe(m);
      // The map it was called on is unchanged, and undefined from f is still undefined.
      expect(new Map(m.entries())).toEqual(new Map(play(ops).entries()));
      if (m.size > 0) expect(m.mapValues(() => undefined)).toBeUndefined();
    }),
    { numRuns: 300 },
  );
});

test("mapValues of a map an open edit still owns is a new map, whatever f keeps", () => {
  const edit = new Edit();
  let m = PersistentMap.empty<number>();
  for (let i = 0; i < 100; i++) m = m.setIn(edit, `k${i}`, i);
  const same = m.mapValues((v) => v) as PersistentMap<number>;
  expect(same).not.toBe(m);
  expect(same.keys()).toEqual(m.keys());
  edit.close();
  expect(m.mapValues((v) => v)).toBe(m);
});

test("hashOn continues hashOf over a suffix, and setHashedIn with that hash gives the map setIn gives", () => {
  fc.assert(
    fc.property(fc.string(), fc.array(fc.string(), { maxLength: 40 }), (prefix, suffixes) => {
      const edit = new Edit();
      let a = PersistentMap.empty<number>();
      let b = PersistentMap.empty<number>();
      const start = hashOf(prefix);
      suffixes.forEach((suffix, i) => {
        expect(hashOn(start, suffix)).toBe(hashOf(prefix + suffix));
        a = a.setIn(edit, prefix + suffix, i);
        b = b.setHashedIn(edit, prefix + suffix, hashOn(start, suffix), i);
      });
      edit.close();
      expect([...b.entries()]).toEqual([...a.entries()]);
    }),
    { numRuns: 300 },
  );
});
