/**
 * The explorer's index of a log: one light row per event (seq, type, stream, time, a short subject),
 * the states at checkpoints every `checkpointEvery` events, and each container's status changes. The
 * state at any seq is the nearest checkpoint at or before it plus at most `checkpointEvery - 1`
 * events read back from the log, so a page over a log of 100,000 events never needs the whole log.
 *
 * The states are persistent (structures shared between moments), so a checkpoint costs only what
 * changed since the one before. The timeline folds the log itself, from seq 1, then follows what the
 * engine folds in (its own writes, and other writers' as the engine follows the log).
 */
import {
  applyProjected,
  type ContainerStatus,
  type EventEnvelope,
  initialState,
  NotFoundError,
  type ProjectedState,
  type Projection,
  parseEvent,
} from "@strata/core";
import type { DurableEngine } from "@strata/engine";
import { type FsState, fsProjection, initialFsState } from "@strata/fs";

/** One event as the timeline lists it. */
export interface TimelineRow {
  readonly seq: number;
  readonly type: string;
  readonly streamId: string;
  readonly recordedAt: number;
  /** What the event is about in a few words: a path, a name, a tag, a pid. */
  readonly subject: string;
}

/** A container's status, from its lifecycle machine, changed by the event at `seq`. */
export interface StatusChange {
  readonly seq: number;
  readonly type: string;
  readonly from: ContainerStatus | "absent";
  readonly to: ContainerStatus | "removed";
}

export interface TimelineOptions {
  /** A checkpoint of the states every this many events (default 1,000). */
  readonly checkpointEvery?: number;
}

const READ_CHUNK = 2_000;

export class Timeline {
  readonly #engine: DurableEngine;
  readonly #projection: Projection<FsState>;
  readonly #every: number;
  readonly #rows: TimelineRow[] = [];
  /** `#checkpoints[k]` is the state after event `k * every`. */
  readonly #checkpoints: ProjectedState<FsState>[] = [];
  readonly #changes = new Map<string, StatusChange[]>();
  readonly #listeners = new Set<(lastSeq: number) => void>();
  #head: ProjectedState<FsState> = { core: initialState(), projection: initialFsState() };
  #stopFollowing: (() => void) | null = null;
  /** Batches the engine folded in while the timeline was still reading the log. */
  #early: EventEnvelope[][] | null = [];

  private constructor(engine: DurableEngine, options: TimelineOptions) {
    this.#engine = engine;
    this.#projection = fsProjection({ blobs: engine.blobs });
    this.#every = Math.max(1, options.checkpointEvery ?? 1_000);
    this.#checkpoints.push(this.#head);
  }

  /** Reads and folds the engine's log from seq 1, then follows what the engine folds in. */
  static async open(engine: DurableEngine, options: TimelineOptions = {}): Promise<Timeline> {
    const t = new Timeline(engine, options);
    t.#stopFollowing = engine.onEvents((batch) => {
      if (t.#early) t.#early.push([...batch]);
      else t.#fold(batch);
    });
    const upTo = engine.seq;
    for (let from = 1; from <= upTo; from += READ_CHUNK) {
      const stored = await engine.log.read(from, Math.min(READ_CHUNK, upTo - from + 1));
      const events = stored.map((e) => parseEvent(e, `seq ${e.seq}`));
      // The engine may have opened from a snapshot: keep (and check) what these events carry inline.
      engine.blobs.learn(events);
      t.#fold(events);
    }
    const early = t.#early ?? [];
    t.#early = null;
    for (const batch of early) t.#fold(batch.filter((e) => e.seq > t.lastSeq));
    return t;
  }

  /** The seq of the last event the timeline has. */
  get lastSeq(): number {
    return this.#head.core.seq;
  }

  /** The row of event `seq`. */
  row(seq: number): TimelineRow | undefined {
    return this.#rows[seq - 1];
  }

  /** All rows, oldest first (do not change them). */
  get rows(): readonly TimelineRow[] {
    return this.#rows;
  }

  /** The status changes of container `id` up to and including `seq`. */
  statusChanges(id: string, seq: number): StatusChange[] {
    return (this.#changes.get(id) ?? []).filter((c) => c.seq <= seq);
  }

  /** Calls `listener` with the new last seq whenever events are added. */
  onAppend(listener: (lastSeq: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The states right after event `seq` (0: before the first); a seq the log does not have is a NotFoundError. */
  async at(seq: number): Promise<ProjectedState<FsState>> {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq > this.lastSeq)
      throw new NotFoundError(
        "no-such-event",
        `No such event: ${seq} (the log has events 1 to ${this.lastSeq}; 0 is before the first)`,
      );
    if (seq === this.lastSeq) return this.#head;
    const k = Math.floor(seq / this.#every);
    let state = this.#checkpoints[k] as ProjectedState<FsState>;
    const from = k * this.#every + 1;
    if (from <= seq) {
      const stored = await this.#engine.log.read(from, seq - from + 1);
      state = applyProjected(
        this.#projection,
        state,
        stored.map((e) => parseEvent(e, `seq ${e.seq}`)),
      );
    }
    return state;
  }

  close(): void {
    this.#stopFollowing?.();
    this.#stopFollowing = null;
    this.#listeners.clear();
  }

  #fold(events: readonly EventEnvelope[]): void {
    if (events.length === 0) return;
    for (const e of events) {
      if (e.seq !== this.lastSeq + 1) continue; // already folded (a batch seen twice at the start)
      const before = this.#head.core.containers[e.streamId]?.status;
      this.#head = applyProjected(this.#projection, this.#head, [e]);
      const after = this.#head.core.containers[e.streamId]?.status;
      if (before !== after && (before !== undefined || after !== undefined)) {
        const list = this.#changes.get(e.streamId) ?? [];
        list.push({ seq: e.seq, type: e.type, from: before ?? "absent", to: after ?? "removed" });
        this.#changes.set(e.streamId, list);
      }
      this.#rows.push({
        seq: e.seq,
        type: e.type,
        streamId: e.streamId,
        recordedAt: e.recordedAt,
        subject: subjectOf(e),
      });
      if (e.seq % this.#every === 0) this.#checkpoints.push(this.#head);
    }
    for (const listener of this.#listeners) listener(this.lastSeq);
  }
}

/** A few words on what an event is about, from its data. */
function subjectOf(e: EventEnvelope): string {
  const d = (e as { data?: Record<string, unknown> }).data ?? {};
  for (const key of ["path", "name", "tag", "newName", "signal", "execId"]) {
    const v = d[key];
    if (typeof v === "string") return key === "execId" ? `exec ${v.slice(0, 12)}` : v;
  }
  if (typeof d.pid === "number") return `pid ${d.pid}`;
  if (typeof d.exitCode === "number") return `exit ${d.exitCode}`;
  return "";
}
