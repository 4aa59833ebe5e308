/**
 * The engine's snapshot: its lifecycle state and its fs projection at one position of the log, and a
 * fingerprint of the event at that position — so a snapshot is only used on the log it was taken from
 * (a log cut back by a repair, or another log in the same place, makes it stale, and it is skipped).
 * The kind names the layout (`strata.engine/1`): a snapshot of another kind (an older layout) is skipped
 * with a warning and the log is replayed, never trusted.
 */
import { createHash } from "node:crypto";
import type { EngineState } from "@strata/core";
import { decodeFsState, encodeFsState, type FsState, type FsStateJson } from "@strata/fs";
import type { StoredEvent } from "@strata/store";

export const ENGINE_SNAPSHOT_KIND = "strata.engine/1";

export interface EngineSnapshotJson {
  /** sha256 of the event at the snapshot's position, as the log stores it. */
  readonly event: string;
  readonly core: unknown;
  readonly fs: FsStateJson;
}

/** The fingerprint of a stored event (what a snapshot records of the event it was taken after). */
export function eventFingerprint(e: StoredEvent): string {
  const { seq, streamId, type, schemaVersion, recordedAt, data } = e;
  return createHash("sha256")
    .update(JSON.stringify({ seq, streamId, type, schemaVersion, recordedAt, data }))
    .digest("hex");
}

/** What a snapshot stores of the states at the position of `last` (the event as the log stores it). */
export function encodeEngineSnapshot(core: EngineState, fs: FsState, last: StoredEvent): EngineSnapshotJson {
  return { event: eventFingerprint(last), core, fs: encodeFsState(fs) };
}

const INDEXES = ["containers", "images", "layers", "names", "tags"] as const;

/**
 * The states of a snapshot, checked: the core state's shape (its indexes rebuilt without a prototype, as
 * `initialState` makes them, and frozen, as `evolve` leaves them) and the fs state (its own codec).
 * Throws with what is wrong.
 */
export function decodeEngineSnapshot(
  json: unknown,
  position: number,
): { core: EngineState; fs: FsState; event: string } {
  const s = json as Partial<EngineSnapshotJson> | null;
  if (!s || typeof s !== "object" || typeof s.event !== "string") throw new Error("not an engine snapshot");
  const core = s.core as Record<string, unknown> | null;
  if (!core || typeof core !== "object" || core.seq !== position)
    throw new Error(`its lifecycle state is not at position ${position}`);
  const rebuilt: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(core)) rebuilt[k] = deepFreeze(v);
  for (const index of INDEXES) {
    const entries = core[index];
    if (!entries || typeof entries !== "object" || Array.isArray(entries))
      throw new Error(`its lifecycle state lacks the ${index} index`);
    const fresh = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(entries)) fresh[k] = deepFreeze(v);
    rebuilt[index] = Object.freeze(fresh);
  }
  const fs = decodeFsState(s.fs);
  if (fs.seq !== position) throw new Error(`its fs state is at ${fs.seq}, not ${position}`);
  return { core: Object.freeze(rebuilt) as unknown as EngineState, fs, event: s.event };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
