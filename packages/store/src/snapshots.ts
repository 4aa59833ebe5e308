/**
 * Snapshots: a state serialised at a log position, so that loading the latest snapshot and replaying
 * only the events after it gives the same state as replaying everything. Snapshots are a cache, the log
 * is the truth: a snapshot that fails any check is skipped (and reported), never trusted.
 *
 * Format (version 1): `{ "format": "strata.snapshot", "version": 1, "position": n, "kind": "...",
 * "sha256": "...", "state": ... }` where `sha256` is the hash of the JSON text of `state`, and `kind`
 * names what the state is (`strata.engine/2`): a reader refuses kinds it does not know, which is how an
 * older state layout is skipped after an upgrade.
 *
 * Two stores keep them: `SnapshotStore`, files in a directory (`<position, 16 digits>.snapshot.json`,
 * written to a temporary name, fsynced and renamed, so a crash never leaves half a snapshot), and
 * `PostgresSnapshotStore` (packages/store/src/postgres), a table beside the log. Both keep the newest
 * few of each kind and drop older ones.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

export const SNAPSHOT_FORMAT = "strata.snapshot";
export const SNAPSHOT_VERSION = 1;
/** How many snapshots of one kind a store keeps. */
export const SNAPSHOTS_KEPT = 3;

export interface Snapshot<S> {
  readonly position: number;
  /** What the state is, e.g. `strata.engine/2`: a reader refuses kinds it does not know. */
  readonly kind: string;
  readonly state: S;
}

export interface LoadedSnapshot<S> {
  readonly snapshot: Snapshot<S> | null;
  /** Snapshots that were skipped, with the reason. */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
}

/** Where snapshots are kept (a directory, a table): the contract both stores follow. */
export interface SnapshotStorage {
  /** Saves `snapshot` (atomically), then drops the oldest of its kind beyond `SNAPSHOTS_KEPT`. */
  save<S>(snapshot: Snapshot<S>): Promise<void>;
  /** The latest valid snapshot of `kind` at or before `maxPosition` (default: any). */
  load<S>(kind: string, maxPosition?: number): Promise<LoadedSnapshot<S>>;
}

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const fileName = (position: number) => `${String(position).padStart(16, "0")}.snapshot.json`;

/** The text a snapshot is stored as. */
export function encodeSnapshot<S>(snapshot: Snapshot<S>): string {
  const stateText = JSON.stringify(snapshot.state);
  return `{"format":${JSON.stringify(SNAPSHOT_FORMAT)},"version":${SNAPSHOT_VERSION},"position":${snapshot.position},"kind":${JSON.stringify(snapshot.kind)},"sha256":"${sha(stateText)}","state":${stateText}}\n`;
}

/** The snapshot a stored text holds, checked (format, version, kind, position, checksum); throws why not. */
export function decodeSnapshot<S>(text: string, kind: string, position: number): Snapshot<S> {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  if (parsed.format !== SNAPSHOT_FORMAT) throw new Error("not a Strata snapshot");
  if (parsed.version !== SNAPSHOT_VERSION)
    throw new Error(`snapshot format version ${String(parsed.version)} is not supported`);
  if (parsed.kind !== kind) throw new Error(`kind ${String(parsed.kind)}, wanted ${kind}`);
  if (parsed.position !== position) throw new Error("its position does not match where it is stored");
  if (sha(JSON.stringify(parsed.state)) !== parsed.sha256) throw new Error("state does not match its sha256");
  return { position, kind, state: parsed.state as S };
}

/** Snapshots as files in a directory (created at the first save, never by reading). */
export class SnapshotStore implements SnapshotStorage {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  async save<S>(snapshot: Snapshot<S>): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, fileName(snapshot.position));
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, encodeSnapshot(snapshot));
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
    // Keep the newest few of this kind.
    const mine = this.#files().filter((f) => {
      try {
        return (
          (JSON.parse(readFileSync(join(this.dir, f), "utf8")) as { kind?: string }).kind === snapshot.kind
        );
      } catch {
        return false;
      }
    });
    for (const old of mine.slice(SNAPSHOTS_KEPT)) rmSync(join(this.dir, old), { force: true });
  }

  /** Snapshot files, newest first. */
  #files(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => /^\d{16}\.snapshot\.json$/.test(f))
      .sort()
      .reverse();
  }

  async load<S>(kind: string, maxPosition = Number.POSITIVE_INFINITY): Promise<LoadedSnapshot<S>> {
    const skipped: { file: string; reason: string }[] = [];
    for (const f of this.#files().filter((name) => Number(name.slice(0, 16)) <= maxPosition)) {
      const file = join(this.dir, f);
      try {
        return {
          snapshot: decodeSnapshot<S>(readFileSync(file, "utf8"), kind, Number(f.slice(0, 16))),
          skipped,
        };
      } catch (e) {
        skipped.push({ file, reason: (e as Error).message });
      }
    }
    return { snapshot: null, skipped };
  }
}
