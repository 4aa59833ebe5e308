/**
 * The keys of the engine's state, for append conditions across writers (see the store's
 * `AppendCondition`): what a decision read, and what an event changed, named the same way.
 *
 * - a container, image or layer: its id (which is also its stream id);
 * - a container name: `name:<name>`; an image tag: `tag:<repo:tag>`;
 * - the set of containers, images, layers, names or tags as a whole (enumerated by a decision, or
 *   changed in membership by an event): `containers:*`, `images:*`, `layers:*`, `names:*`, `tags:*`.
 *
 * A decision that read key K, made at position P, stays right as long as no event after P changed K:
 * that is the condition the engine appends under. `readTracking` finds what `decide` read without
 * `decide` knowing; `changedKeys` finds what an event changed by comparing the states around it.
 */
import type { EngineState } from "./EngineState.js";

type Index = "containers" | "images" | "layers" | "names" | "tags";
const INDEXES: readonly Index[] = ["containers", "images", "layers", "names", "tags"];

/** The key of one entry of an index. */
function keyOf(index: Index, key: string): string {
  if (index === "names") return `name:${key}`;
  if (index === "tags") return `tag:${key}`;
  return key;
}

/**
 * A view of `state` that records, in `reads`, every key a reader looks up: an entry read or tested,
 * or a whole index enumerated. The view returns the same values as `state`.
 */
export function readTracking(state: EngineState): { state: EngineState; reads: Set<string> } {
  const reads = new Set<string>();
  const view: Record<string, unknown> = { ...state };
  for (const index of INDEXES) {
    view[index] = new Proxy(state[index], {
      get(target, key, receiver) {
        if (typeof key === "string") reads.add(keyOf(index, key));
        return Reflect.get(target, key, receiver);
      },
      has(target, key) {
        if (typeof key === "string") reads.add(keyOf(index, key));
        return Reflect.has(target, key);
      },
      ownKeys(target) {
        reads.add(`${index}:*`);
        return Reflect.ownKeys(target);
      },
      getOwnPropertyDescriptor(target, key) {
        if (typeof key === "string") reads.add(keyOf(index, key));
        return Reflect.getOwnPropertyDescriptor(target, key);
      },
    });
  }
  return { state: view as unknown as EngineState, reads };
}

/**
 * The keys an event changed, from the states before and after it: the entries of the names and tags
 * indexes it added, removed or moved, and the membership of any index it changed. (Its own stream is
 * always a key.) An event changes no container, image or layer record but its own stream's — checked
 * by `changedKeysFully` in the tests — so those indexes are looked at only under that id; the names
 * and tags indexes, which few events change, are compared entry by entry.
 */
export function changedKeys(before: EngineState, after: EngineState, streamId: string): string[] {
  const keys = new Set<string>();
  for (const index of ["containers", "images", "layers"] as const) {
    if (before[index] !== after[index] && streamId in before[index] !== streamId in after[index])
      keys.add(`${index}:*`);
  }
  for (const index of ["names", "tags"] as const) diffIndex(index, before[index], after[index], keys);
  keys.delete(streamId);
  return [...keys].sort();
}

/** `changedKeys` by comparing every index entry by entry (for tests: it must give the same keys). */
export function changedKeysFully(before: EngineState, after: EngineState, streamId: string): string[] {
  const keys = new Set<string>();
  for (const index of INDEXES) diffIndex(index, before[index], after[index], keys);
  keys.delete(streamId);
  return [...keys].sort();
}

function diffIndex(
  index: Index,
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
  keys: Set<string>,
): void {
  if (before === after) return;
  let membership = false;
  for (const k of Object.keys(after)) {
    if (!(k in before)) membership = true;
    if (before[k] !== after[k]) keys.add(keyOf(index, k));
  }
  for (const k of Object.keys(before)) {
    if (!(k in after)) {
      membership = true;
      keys.add(keyOf(index, k));
    }
  }
  if (membership) keys.add(`${index}:*`);
}
