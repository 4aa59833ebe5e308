/**
 * The nodes of {@link PersistentMap}'s hash array mapped trie and the algorithms over them. One set
 * and one delete serve both kinds of change: without an edit token (persistent) every node on the
 * path is copied; under an open token (transient) a node stamped with that token is changed in place
 * and any other is copied and stamped. Both give the trie the same shape (see PersistentMap's header).
 * @internal
 */
import type { Edit } from "./Edit.js";

export const BITS = 5;
export const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

export type Node<V> = Branch<V> | Leaf<V> | Collision<V>;
export interface Branch<V> {
  readonly t: 0;
  bitmap: number;
  children: Node<V>[];
  /** The edit that may change this node in place (null: none ever). */
  readonly o: Edit | null;
}
export interface Leaf<V> {
  readonly t: 1;
  readonly hash: number;
  readonly key: string;
  readonly value: V;
}
export interface Collision<V> {
  readonly t: 2;
  readonly hash: number;
  leaves: Leaf<V>[];
  readonly o: Edit | null;
}

/**
 * FNV-1a, 32 bits, as a signed 32-bit integer: only its bits are used (`>>>` reads them unsigned), and
 * a value in int32 range is stored in a leaf as a small integer where an unsigned one above 2^31 would
 * need a boxed number.
 */
export function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/**
 * {@link hashOf} continued over `suffix` from `hash`, a prefix's hash: `hashOn(hashOf(a), b)` is
 * `hashOf(a + b)`, for keys that share a long prefix (a layer's inode ids) hashed once.
 */
export function hashOn(hash: number, suffix: string): number {
  let h = hash;
  for (let i = 0; i < suffix.length; i++) {
    h ^= suffix.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

function popcount(x: number): number {
  let n = x - ((x >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export const EMPTY_BRANCH: Branch<never> = Object.freeze({
  t: 0,
  bitmap: 0,
  children: Object.freeze([]) as unknown as never[],
  o: null,
});

export function getNode<V>(node: Node<V>, hash: number, key: string): V | undefined {
  let n: Node<V> = node;
  let shift = 0;
  for (;;) {
    if (n.t === 1) return n.hash === hash && n.key === key ? n.value : undefined;
    if (n.t === 2) {
      if (n.hash !== hash) return undefined;
      for (const l of n.leaves) if (l.key === key) return l.value;
      return undefined;
    }
    const bit = 1 << ((hash >>> shift) & MASK);
    if ((n.bitmap & bit) === 0) return undefined;
    const child: Node<V> | undefined = n.children[popcount(n.bitmap & (bit - 1))];
    if (child === undefined) return undefined;
    n = child;
    shift += BITS;
  }
}

const byKey = <V>(a: Leaf<V>, b: Leaf<V>): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

const owns = (edit: Edit | null, node: Branch<unknown> | Collision<unknown>): boolean =>
  edit !== null && node.o === edit;

/** Joins two nodes (leaves or collision nodes) under new branches, or into one collision node. */
function merge<V>(
  a: Leaf<V> | Collision<V>,
  b: Leaf<V> | Collision<V>,
  depth: number,
  o: Edit | null,
): Node<V> {
  if (a.hash === b.hash) {
    const leaves = [...(a.t === 1 ? [a] : a.leaves), ...(b.t === 1 ? [b] : b.leaves)].sort(byKey);
    return { t: 2, hash: a.hash, leaves, o };
  }
  const ia = (a.hash >>> (depth * BITS)) & MASK;
  const ib = (b.hash >>> (depth * BITS)) & MASK;
  if (ia === ib) return { t: 0, bitmap: 1 << ia, children: [merge(a, b, depth + 1, o)], o };
  return ia < ib
    ? { t: 0, bitmap: (1 << ia) | (1 << ib), children: [a, b], o }
    : { t: 0, bitmap: (1 << ia) | (1 << ib), children: [b, a], o };
}

/**
 * Set by {@link setNode} and {@link deleteNode}: how the number of keys changed (+1, -1 or 0). A field,
 * not a tuple: no allocation per level; and the way to tell a change made in place from none.
 */
export const lastChange: { delta: number } = { delta: 0 };

/**
 * The node with `leaf` set (the same node when nothing changed, or when it changed in place under
 * `edit`). Sets {@link lastChange}.
 */
export function setNode<V>(node: Node<V>, leaf: Leaf<V>, depth: number, edit: Edit | null): Node<V> {
  lastChange.delta = 0;
  return set(node, leaf, depth, edit);
}

function set<V>(node: Node<V>, leaf: Leaf<V>, depth: number, edit: Edit | null): Node<V> {
  if (node.t === 1) {
    if (node.key === leaf.key) return node.value === leaf.value ? node : leaf;
    lastChange.delta = 1;
    return merge(node, leaf, depth, edit);
  }
  if (node.t === 2) {
    if (node.hash !== leaf.hash) {
      lastChange.delta = 1;
      return merge(node, leaf, depth, edit);
    }
    const i = node.leaves.findIndex((l) => l.key === leaf.key);
    if (i >= 0 && (node.leaves[i] as Leaf<V>).value === leaf.value) return node;
    const leaves = owns(edit, node) ? node.leaves : node.leaves.slice();
    if (i >= 0) leaves[i] = leaf;
    else {
      lastChange.delta = 1;
      leaves.push(leaf);
      leaves.sort(byKey);
    }
    return owns(edit, node) ? node : { t: 2, hash: node.hash, leaves, o: edit };
  }
  const bit = 1 << ((leaf.hash >>> (depth * BITS)) & MASK);
  const idx = popcount(node.bitmap & (bit - 1));
  if ((node.bitmap & bit) === 0) {
    lastChange.delta = 1;
    if (owns(edit, node)) {
      insertAt(node.children, idx, leaf);
      node.bitmap |= bit;
      return node;
    }
    const children = node.children.slice();
    insertAt(children, idx, leaf);
    return { t: 0, bitmap: node.bitmap | bit, children, o: edit };
  }
  const child = node.children[idx] as Node<V>;
  const next = set(child, leaf, depth + 1, edit);
  if (next === child) return node;
  if (owns(edit, node)) {
    node.children[idx] = next;
    return node;
  }
  const children = node.children.slice();
  children[idx] = next;
  return { t: 0, bitmap: node.bitmap, children, o: edit };
}

/** `array` with `item` inserted at `i` (as `splice(i, 0, item)`, without the array splice returns). */
function insertAt<T>(array: T[], i: number, item: T): void {
  let j = array.length;
  array.push(item);
  for (; j > i; j--) array[j] = array[j - 1] as T;
  array[i] = item;
}

/**
 * The node without `key` (undefined when it became empty; the same node when the key was absent, or
 * when it changed in place under `edit`). Sets {@link lastChange}.
 */
export function deleteNode<V>(
  node: Node<V>,
  hash: number,
  key: string,
  depth: number,
  edit: Edit | null,
): Node<V> | undefined {
  lastChange.delta = 0;
  return remove(node, hash, key, depth, edit);
}

function remove<V>(
  node: Node<V>,
  hash: number,
  key: string,
  depth: number,
  edit: Edit | null,
): Node<V> | undefined {
  if (node.t === 1) {
    if (node.key !== key) return node;
    lastChange.delta = -1;
    return undefined;
  }
  if (node.t === 2) {
    const leaves = node.leaves.filter((l) => l.key !== key);
    if (leaves.length === node.leaves.length) return node;
    lastChange.delta = -1;
    if (leaves.length === 1) return leaves[0];
    if (owns(edit, node)) {
      node.leaves = leaves;
      return node;
    }
    return { t: 2, hash: node.hash, leaves, o: edit };
  }
  const bit = 1 << ((hash >>> (depth * BITS)) & MASK);
  if ((node.bitmap & bit) === 0) return node;
  const idx = popcount(node.bitmap & (bit - 1));
  const child = node.children[idx] as Node<V>;
  const next = remove(child, hash, key, depth + 1, edit);
  if (next === child) return node;
  const inPlace = owns(edit, node);
  const children = inPlace ? node.children : node.children.slice();
  if (next === undefined) {
    const bitmap = node.bitmap & ~bit;
    if (bitmap === 0) return undefined;
    children.splice(idx, 1);
    // A branch left with a single leaf collapses into it (keeps lookups short and shapes canonical).
    if (children.length === 1 && (children[0] as Node<V>).t !== 0) return children[0];
    if (inPlace) {
      node.bitmap = bitmap;
      return node;
    }
    return { t: 0, bitmap, children, o: edit };
  }
  children[idx] = next;
  if (children.length === 1 && next.t !== 0) return next;
  return inPlace ? node : { t: 0, bitmap: node.bitmap, children, o: edit };
}

/**
 * The trie of distinct leaves, in the shape `set` gives them (see PersistentMap's header): one leaf
 * as itself, leaves of one hash as a collision node, others split by the 5 bits of their hash at
 * `depth`.
 */
export function build<V>(leaves: Leaf<V>[], depth: number): Node<V> {
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
    return { t: 2, hash: first.hash, leaves: leaves.sort(byKey), o: null };
  const children: Node<V>[] = [];
  for (const bucket of buckets) if (bucket) children.push(build(bucket, depth + 1));
  return { t: 0, bitmap, children, o: null };
}

/**
 * The same trie with every value mapped by `f` (keys, hashes and shape kept: no hashing, no search),
 * or undefined as soon as `f` answers undefined for one. A node whose values `f` all keeps (answers
 * the very value) is shared, not copied.
 */
export function mapNode<V, W>(
  node: Node<V>,
  f: (value: V, key: string) => W | undefined,
): Node<W> | undefined {
  if (node.t === 1) {
    const value = f(node.value, node.key);
    if (value === undefined) return undefined;
    return (value as unknown) === node.value
      ? (node as unknown as Leaf<W>)
      : { t: 1, hash: node.hash, key: node.key, value };
  }
  if (node.t === 2) {
    const leaves: Leaf<W>[] = [];
    let same = true;
    for (const l of node.leaves) {
      const mapped = mapNode(l, f) as Leaf<W> | undefined;
      if (mapped === undefined) return undefined;
      same &&= (mapped as unknown) === l;
      leaves.push(mapped);
    }
    return same ? (node as unknown as Node<W>) : { t: 2, hash: node.hash, leaves, o: null };
  }
  const children: Node<W>[] = [];
  let same = true;
  for (const c of node.children) {
    const mapped = mapNode(c, f);
    if (mapped === undefined) return undefined;
    same &&= (mapped as unknown) === c;
    children.push(mapped);
  }
  return same ? (node as unknown as Node<W>) : { t: 0, bitmap: node.bitmap, children, o: null };
}

export function* iterate<V>(node: Node<V>): Generator<[string, V]> {
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

/** Every leaf under `node`, in iteration order, into `out` (faster than the generator when all are wanted). */
export function collect<V>(node: Node<V>, out: Leaf<V>[]): Leaf<V>[] {
  if (node.t === 1) out.push(node);
  else if (node.t === 2) for (const l of node.leaves) out.push(l);
  else for (const c of node.children) collect(c, out);
  return out;
}
