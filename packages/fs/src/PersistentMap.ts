/**
 * A persistent (immutable, structure-sharing) map from strings to values: a hash array mapped trie
 * (HAMT) with 32-way branching. `set` and `delete` return a new map that shares every untouched
 * node with the old one, so a change costs O(log32 n) new nodes whatever the size of the map, and an
 * old version stays valid for ever (that is what makes snapshots O(1)).
 *
 * Directories of the layer trees keep their children in these maps: a directory with 100,000
 * entries is updated by copying a handful of small nodes, never the whole listing.
 *
 * The shape of the trie is a function of its contents alone, whatever the order of the `set`s and
 * `delete`s that built it: a key sits at the shallowest depth where its hash differs from every other
 * key's, a branch left with one leaf collapses into it, and the keys of a collision node (equal
 * hashes) are kept sorted. So two maps with the same entries iterate in the same order, and a map
 * rebuilt from its entries (`from`, e.g. when a snapshot is read back) behaves exactly like the
 * original under every later operation.
 *
 * A transient change (`setIn`/`deleteIn` under an open {@link Edit}) runs the same algorithm but
 * changes in place the nodes made under that edit, so a fold of many changes copies each node once
 * instead of once per change; the shape is the same as the persistent changes would give.
 */

import type { Edit } from "./Edit.js";
import {
  build,
  collect,
  deleteNode,
  EMPTY_BRANCH,
  getNode,
  hashOf,
  iterate,
  type Leaf,
  lastChange,
  mapNode,
  type Node,
  setNode,
} from "./hamt.js";

/**
 * Counts map operations while set: tests use it to show that a command's cost grows linearly with its
 * path's depth, by counting rather than timing. Off (undefined) in normal use.
 * @internal
 */
export const mapProbe: { counter: { gets: number; sets: number } | undefined } = { counter: undefined };

/**
 * An immutable map from strings to `V`. Under an open {@link Edit} it can also be changed in place
 * (`setIn`, `deleteIn`): only the parts created under that edit change, so every map built before it,
 * or under another edit, stays as it was.
 */
export class PersistentMap<V> {
  #root: Node<V>;
  #size: number;
  /** The edit under which this map object itself may change (null: never). */
  readonly #edit: Edit | null;

  private constructor(root: Node<V>, size: number, edit: Edit | null) {
    this.#root = root;
    this.#size = size;
    this.#edit = edit;
  }

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  static empty<V>(): PersistentMap<V> {
    return EMPTY as PersistentMap<V>;
  }

  /**
   * The map of `entries` (a later entry of the same key wins), built in one pass that creates each
   * node of the trie once, where n `set`s would copy O(n log32 n) nodes on the way. The result is the
   * very map those `set`s would give (same shape, same iteration order).
   *
   * @example
   * const m = PersistentMap.from([["b", 2], ["a", 1]]);
   * m.get("a"); // 1
   */
  static from<V>(entries: Iterable<readonly [string, V]>): PersistentMap<V> {
    const values = new Map<string, V>();
    for (const [k, v] of entries) values.set(k, v);
    if (values.size === 0) return PersistentMap.empty<V>();
    const leaves = Array.from(values, ([key, value]): Leaf<V> => ({ t: 1, hash: hashOf(key), key, value }));
    return new PersistentMap(build(leaves, 0), leaves.length, null);
  }

  get(key: string): V | undefined {
    if (mapProbe.counter) mapProbe.counter.gets++;
    return getNode(this.#root, hashOf(key), key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** A map with `key` set to `value` (the same map if nothing changes). `value` must not be undefined. */
  set(key: string, value: V): PersistentMap<V> {
    return this.#set(key, value, null);
  }

  /** A map without `key` (the same map if it was absent). */
  delete(key: string): PersistentMap<V> {
    return this.#delete(key, null);
  }

  /**
   * Transient `set` under `edit` (which must be open): changes this map in place and returns it when
   * it was made under `edit`, else returns a new map made under `edit` (this one unchanged), as `set`
   * would. Either way, use the map it returns; the one it was called on may have changed.
   *
   * @example
   * const edit = new Edit();
   * let m = PersistentMap.empty<number>();
   * for (let i = 0; i < 1000; i++) m = m.setIn(edit, `k${i}`, i); // the first call copies, the rest change m in place
   * edit.close(); // m is an ordinary persistent map from here on
   */
  setIn(edit: Edit, key: string, value: V): PersistentMap<V> {
    edit.check();
    return this.#set(key, value, edit);
  }

  /**
   * {@link setIn} for a caller that has the key's hash already (`hashOf(key)`, e.g. continued from a
   * prefix's with `hashOn`): the same map, without hashing the key again. A wrong hash makes a wrong
   * map: only for keys whose hash is known exactly.
   * @internal
   */
  setHashedIn(edit: Edit, key: string, hash: number, value: V): PersistentMap<V> {
    edit.check();
    return this.#set(key, value, edit, hash);
  }

  /** Transient `delete` under `edit`: see {@link setIn}. */
  deleteIn(edit: Edit, key: string): PersistentMap<V> {
    edit.check();
    return this.#delete(key, edit);
  }

  #set(key: string, value: V, edit: Edit | null, hash: number = hashOf(key)): PersistentMap<V> {
    if (mapProbe.counter) mapProbe.counter.sets++;
    const root = this.#root;
    const leaf: Leaf<V> = { t: 1, hash, key, value };
    let next: Node<V>;
    let size: number;
    if (root.t === 0 && root.bitmap === 0) {
      next = leaf;
      size = 1;
    } else {
      next = setNode(root, leaf, 0, edit);
      size = this.#size + lastChange.delta;
    }
    if (edit !== null && this.#edit === edit) {
      this.#root = next;
      this.#size = size;
      return this;
    }
    // The same root and size: nothing changed, or a value was replaced in a node this edit owns.
    if (next === root && size === this.#size) return this;
    return new PersistentMap(next, size, edit);
  }

  #delete(key: string, edit: Edit | null): PersistentMap<V> {
    if (mapProbe.counter) mapProbe.counter.sets++;
    const root = this.#root;
    const next = deleteNode(root, hashOf(key), key, 0, edit);
    if (lastChange.delta === 0) return this;
    if (next === undefined) return PersistentMap.empty<V>();
    if (edit !== null && this.#edit === edit) {
      this.#root = next;
      this.#size -= 1;
      return this;
    }
    return new PersistentMap(next, this.#size - 1, edit);
  }

  /**
   * The map with each value replaced by `f(value, key)`, built in one pass over the trie (no key is
   * hashed or looked up: the result has the same keys, so the same shape); undefined when `f` answers
   * undefined for any entry. The parts of the trie whose values `f` keeps are shared (as `set`'s
   * result shares what it does not change), and when it keeps every value the result is this map.
   *
   * @example
   * PersistentMap.from([["a", 1]]).mapValues((v) => v * 2)?.get("a"); // 2
   */
  mapValues<W>(f: (value: V, key: string) => W | undefined): PersistentMap<W> | undefined {
    if (this.#size === 0) return PersistentMap.empty<W>();
    const root = mapNode(this.#root, f);
    if (root === undefined) return undefined;
    if ((root as unknown) === this.#root && (this.#edit === null || !this.#edit.open))
      return this as unknown as PersistentMap<W>;
    return new PersistentMap(root, this.#size, null);
  }

  /** Entries in hash order: no meaningful order, but the same for any two maps with the same entries. */
  entries(): IterableIterator<[string, V]> {
    return iterate(this.#root);
  }

  keys(): string[] {
    return collect(this.#root, []).map((l) => l.key);
  }

  /** Keys in the byte order of their UTF-8 encodings ({@link compareNames}). */
  sortedKeys(): string[] {
    return sortNames(this.keys());
  }

  /** Entries sorted by key, in the byte order of their UTF-8 encodings ({@link compareNames}). */
  sortedEntries(): [string, V][] {
    const entries = collect(this.#root, []).map((l): [string, V] => [l.key, l.value]);
    return sortByName(entries, ([k]) => k);
  }
}

/**
 * Compares two names in the byte order of their UTF-8 encodings (the order `ls` and `LC_ALL=C sort`
 * give), which is the order of their code points. It is the order of UTF-16 code units (JavaScript's
 * `<`) except for one range: a surrogate (half of a code point above U+FFFF, 4 bytes in UTF-8) comes
 * before U+E000..U+FFFF in UTF-16 but after them in UTF-8, so those two groups swap ranks here, at
 * the first unit where the names differ, without encoding either.
 *
 * Fast where it matters: the orders can part only where both names hold a unit ≥ U+D800, so any
 * other pair (nearly every real name) is compared by the engine's own `<`. To sort many names, use
 * {@link sortByName}, which scans them once instead of at every comparison.
 *
 * @example
 * ["！", "😀", "a"].sort(compareNames) // ["a", "！", "😀"] (61 < EF BC 81 < F0 9F 98 80)
 */
export function compareNames(a: string, b: string): number {
  if (!BEYOND_D7FF.test(a) || !BEYOND_D7FF.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return utf8Order(a, b);
}

const BEYOND_D7FF = /[\ud800-\uffff]/;

/** The UTF-8 byte order of two names, unit by unit (correct for any pair; {@link compareNames} gates it). */
function utf8Order(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

/**
 * `items` sorted in place by name, in the order of {@link compareNames}: one scan decides whether the
 * engine's own compare is enough (no name holds a unit ≥ U+D800) or every comparison needs the fix-up.
 * @internal
 */
export function sortByName<T>(items: T[], nameOf: (item: T) => string): T[] {
  if (items.some((item) => BEYOND_D7FF.test(nameOf(item))))
    return items.sort((a, b) => utf8Order(nameOf(a), nameOf(b)));
  return items.sort((a, b) => {
    const x = nameOf(a);
    const y = nameOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** `names` sorted in place in byte order ({@link compareNames}). @internal */
export const sortNames = (names: string[]): string[] => sortByName(names, (n) => n);

const EMPTY: PersistentMap<never> = (() => {
  const Ctor = PersistentMap as unknown as new (
    root: Node<never>,
    size: number,
    edit: Edit | null,
  ) => PersistentMap<never>;
  return new Ctor(EMPTY_BRANCH, 0, null);
})();
