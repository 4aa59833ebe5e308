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
 */

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

type Node<V> = Branch<V> | Leaf<V> | Collision<V>;
interface Branch<V> {
  readonly t: 0;
  readonly bitmap: number;
  readonly children: readonly Node<V>[];
}
interface Leaf<V> {
  readonly t: 1;
  readonly hash: number;
  readonly key: string;
  readonly value: V;
}
interface Collision<V> {
  readonly t: 2;
  readonly hash: number;
  readonly leaves: readonly Leaf<V>[];
}

/** FNV-1a, 32 bits. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function popcount(x: number): number {
  let n = x - ((x >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

const EMPTY_BRANCH: Branch<never> = Object.freeze({
  t: 0,
  bitmap: 0,
  children: Object.freeze([]) as readonly never[],
});

function getNode<V>(node: Node<V>, hash: number, key: string, depth: number): V | undefined {
  let n: Node<V> = node;
  let d = depth;
  for (;;) {
    if (n.t === 1) return n.hash === hash && n.key === key ? n.value : undefined;
    if (n.t === 2) return n.hash === hash ? n.leaves.find((l) => l.key === key)?.value : undefined;
    const bit = 1 << ((hash >>> (d * BITS)) & MASK);
    if ((n.bitmap & bit) === 0) return undefined;
    const child: Node<V> | undefined = n.children[popcount(n.bitmap & (bit - 1))];
    if (child === undefined) return undefined;
    n = child;
    d++;
  }
}

const byKey = <V>(a: Leaf<V>, b: Leaf<V>): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Joins two nodes (leaves or collision nodes) under new branches, or into one collision node. */
function merge<V>(a: Leaf<V> | Collision<V>, b: Leaf<V> | Collision<V>, depth: number): Node<V> {
  if (a.hash === b.hash) {
    const leaves = [...(a.t === 1 ? [a] : a.leaves), ...(b.t === 1 ? [b] : b.leaves)].sort(byKey);
    return { t: 2, hash: a.hash, leaves };
  }
  const ia = (a.hash >>> (depth * BITS)) & MASK;
  const ib = (b.hash >>> (depth * BITS)) & MASK;
  if (ia === ib) return { t: 0, bitmap: 1 << ia, children: [merge(a, b, depth + 1)] };
  return ia < ib
    ? { t: 0, bitmap: (1 << ia) | (1 << ib), children: [a, b] }
    : { t: 0, bitmap: (1 << ia) | (1 << ib), children: [b, a] };
}

/** Returns [newNode, sizeDelta]. */
function setNode<V>(node: Node<V>, leaf: Leaf<V>, depth: number): [Node<V>, number] {
  if (node.t === 1) {
    if (node.key === leaf.key) return node.value === leaf.value ? [node, 0] : [leaf, 0];
    return [merge(node, leaf, depth), 1];
  }
  if (node.t === 2) {
    if (node.hash !== leaf.hash) return [merge(node, leaf, depth), 1];
    const i = node.leaves.findIndex((l) => l.key === leaf.key);
    if (i >= 0) {
      const leaves = node.leaves.slice();
      leaves[i] = leaf;
      return [{ t: 2, hash: node.hash, leaves }, 0];
    }
    return [{ t: 2, hash: node.hash, leaves: [...node.leaves, leaf].sort(byKey) }, 1];
  }
  const bit = 1 << ((leaf.hash >>> (depth * BITS)) & MASK);
  const idx = popcount(node.bitmap & (bit - 1));
  if ((node.bitmap & bit) === 0) {
    const children = node.children.slice();
    children.splice(idx, 0, leaf);
    return [{ t: 0, bitmap: node.bitmap | bit, children }, 1];
  }
  const child = node.children[idx] as Node<V>;
  const [next, delta] = setNode(child, leaf, depth + 1);
  if (next === child) return [node, 0];
  const children = node.children.slice();
  children[idx] = next;
  return [{ t: 0, bitmap: node.bitmap, children }, delta];
}

/** Returns the new node (undefined when it became empty), or the same node if the key was absent. */
function deleteNode<V>(node: Node<V>, hash: number, key: string, depth: number): Node<V> | undefined {
  if (node.t === 1) return node.key === key ? undefined : node;
  if (node.t === 2) {
    const leaves = node.leaves.filter((l) => l.key !== key);
    if (leaves.length === node.leaves.length) return node;
    return leaves.length === 1 ? leaves[0] : { t: 2, hash: node.hash, leaves };
  }
  const bit = 1 << ((hash >>> (depth * BITS)) & MASK);
  if ((node.bitmap & bit) === 0) return node;
  const idx = popcount(node.bitmap & (bit - 1));
  const child = node.children[idx] as Node<V>;
  const next = deleteNode(child, hash, key, depth + 1);
  if (next === child) return node;
  if (next === undefined) {
    const bitmap = node.bitmap & ~bit;
    if (bitmap === 0) return undefined;
    const children = node.children.slice();
    children.splice(idx, 1);
    // A branch left with a single leaf collapses into it (keeps lookups short and shapes canonical).
    if (children.length === 1 && (children[0] as Node<V>).t !== 0) return children[0];
    return { t: 0, bitmap, children };
  }
  const children = node.children.slice();
  children[idx] = next;
  if (children.length === 1 && next.t !== 0) return next;
  return { t: 0, bitmap: node.bitmap, children };
}

/**
 * The trie of distinct leaves, in the shape `set` gives them (see the file header): one leaf as
 * itself, leaves of one hash as a collision node, others split by the 5 bits of their hash at `depth`.
 */
function build<V>(leaves: Leaf<V>[], depth: number): Node<V> {
  const first = leaves[0] as Leaf<V>;
  if (leaves.length === 1) return first;
  const buckets: (Leaf<V>[] | undefined)[] = new Array(WIDTH);
  let bitmap = 0;
  for (const l of leaves) {
    const bit = (l.hash >>> (depth * BITS)) & MASK;
    const bucket = buckets[bit];
    if (bucket) bucket.push(l);
    else {
      buckets[bit] = [l];
      bitmap |= 1 << bit;
    }
  }
  // Equal hashes fall in one bucket at every depth: stop there with a collision node.
  if (bitmap === (bitmap & -bitmap) && leaves.every((l) => l.hash === first.hash))
    return { t: 2, hash: first.hash, leaves: leaves.sort(byKey) };
  const children: Node<V>[] = [];
  for (const bucket of buckets) if (bucket) children.push(build(bucket, depth + 1));
  return { t: 0, bitmap, children };
}

function* iterate<V>(node: Node<V>): Generator<[string, V]> {
  if (node.t === 1) {
    yield [node.key, node.value];
    return;
  }
  if (node.t === 2) {
    for (const l of node.leaves) yield [l.key, l.value];
    return;
  }
  for (const c of node.children) yield* iterate(c);
}

/**
 * Counts map operations while set: tests use it to show that a command's cost grows linearly with its
 * path's depth, by counting rather than timing. Off (undefined) in normal use.
 * @internal
 */
export const mapProbe: { counter: { gets: number; sets: number } | undefined } = { counter: undefined };

/** Every leaf under `node`, in iteration order, into `out` (faster than the generator when all are wanted). */
function collect<V>(node: Node<V>, out: Leaf<V>[]): Leaf<V>[] {
  if (node.t === 1) out.push(node);
  else if (node.t === 2) for (const l of node.leaves) out.push(l);
  else for (const c of node.children) collect(c, out);
  return out;
}

/** An immutable map from strings to `V`. */
export class PersistentMap<V> {
  readonly #root: Node<V>;
  /** Number of keys. */
  readonly size: number;

  private constructor(root: Node<V>, size: number) {
    this.#root = root;
    this.size = size;
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
    return new PersistentMap(build(leaves, 0), leaves.length);
  }

  get(key: string): V | undefined {
    if (mapProbe.counter) mapProbe.counter.gets++;
    return getNode(this.#root, hashOf(key), key, 0);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** A map with `key` set to `value` (the same map if nothing changes). `value` must not be undefined. */
  set(key: string, value: V): PersistentMap<V> {
    if (mapProbe.counter) mapProbe.counter.sets++;
    const root = this.#root;
    const leaf: Leaf<V> = { t: 1, hash: hashOf(key), key, value };
    if (root.t === 0 && root.bitmap === 0) return new PersistentMap<V>(leaf, 1);
    const [next, delta] = setNode(root, leaf, 0);
    return next === root ? this : new PersistentMap(next, this.size + delta);
  }

  /** A map without `key` (the same map if it was absent). */
  delete(key: string): PersistentMap<V> {
    if (mapProbe.counter) mapProbe.counter.sets++;
    const next = deleteNode(this.#root, hashOf(key), key, 0);
    if (next === this.#root) return this;
    return next === undefined ? PersistentMap.empty<V>() : new PersistentMap(next, this.size - 1);
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
  const Ctor = PersistentMap as unknown as new (root: Node<never>, size: number) => PersistentMap<never>;
  return new Ctor(EMPTY_BRANCH, 0);
})();
