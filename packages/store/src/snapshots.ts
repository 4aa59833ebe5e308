/**
 * Snapshots: a state serialised at a log position, so that loading the latest snapshot and replaying
 * only the events after it gives the same state as replaying everything.
 *
 * Format (version 1), one JSON file per snapshot, `<dir>/<position, 16 digits>.snapshot.json`:
 * `{ "format": "strata.snapshot", "version": 1, "position": n, "kind": "...", "sha256": "...", "state": ... }`
 * where `sha256` is the hash of the JSON text of `state`. Files are written to a temporary name, fsynced
 * and renamed, so a crash never leaves half a snapshot. A snapshot that fails its checks is skipped
 * (and reported): snapshots are a cache, the log is the truth.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

export const SNAPSHOT_FORMAT = "strata.snapshot";
export const SNAPSHOT_VERSION = 1;

export interface Snapshot<S> {
  readonly position: number;
  /** What the state is, e.g. `strata.engine/1`: a reader refuses kinds it does not know. */
  readonly kind: string;
  readonly state: S;
}

export interface LoadedSnapshot<S> {
  readonly snapshot: Snapshot<S> | null;
  /** Snapshot files that were skipped, with the reason. */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const fileName = (position: number) => `${String(position).padStart(16, "0")}.snapshot.json`;

export class SnapshotStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  /** Saves `state` as the snapshot at `position` (atomically). */
  save<S>(snapshot: Snapshot<S>): string {
    const stateText = JSON.stringify(snapshot.state);
    const body = `{"format":${JSON.stringify(SNAPSHOT_FORMAT)},"version":${SNAPSHOT_VERSION},"position":${snapshot.position},"kind":${JSON.stringify(snapshot.kind)},"sha256":"${sha(stateText)}","state":${stateText}}\n`;
    const path = join(this.dir, fileName(snapshot.position));
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, body);
    const fd = openSync(tmp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    const dirFd = openSync(this.dir, "r");
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    return path;
  }

  /** The latest valid snapshot of `kind` at or before `maxPosition` (default: any). */
  load<S>(kind: string, maxPosition = Number.POSITIVE_INFINITY): LoadedSnapshot<S> {
    const skipped: { file: string; reason: string }[] = [];
    const files = readdirSync(this.dir)
      .filter((f) => /^\d{16}\.snapshot\.json$/.test(f) && Number(f.slice(0, 16)) <= maxPosition)
      .sort()
      .reverse();
    for (const f of files) {
      const file = join(this.dir, f);
      try {
        const text = readFileSync(file, "utf8");
        const parsed = JSON.parse(text) as Record<string, unknown>;
        if (parsed.format !== SNAPSHOT_FORMAT) throw new Error("not a Strata snapshot");
        if (parsed.version !== SNAPSHOT_VERSION)
          throw new Error(`snapshot format version ${String(parsed.version)} is not supported`);
        if (parsed.kind !== kind) throw new Error(`kind ${String(parsed.kind)}, wanted ${kind}`);
        if (parsed.position !== Number(f.slice(0, 16)))
          throw new Error("position does not match the file name");
        if (sha(JSON.stringify(parsed.state)) !== parsed.sha256)
          throw new Error("state does not match its sha256");
        return { snapshot: { position: parsed.position as number, kind, state: parsed.state as S }, skipped };
      } catch (e) {
        skipped.push({ file, reason: (e as Error).message });
      }
    }
    return { snapshot: null, skipped };
  }
}
