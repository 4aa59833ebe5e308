/**
 * The engine as it was right after one event of its log: what the standard routes read (the state, the
 * fs projection, the union views, the clock) frozen at that seq, so `GET /strata/at/{seq}/…` answers any
 * read of the Docker API as dockerd would have answered it then. Its clock stands at that event's time.
 * Everything that would change the log is refused: the past is read-only.
 */
import {
  type Clock,
  type Command,
  type EngineState,
  type EventEnvelope,
  StrataError,
  type WaitCondition,
  type WaitResult,
} from "@strata/core";
import {
  type DurableEngine,
  type EngineMoment,
  type ExecuteResult,
  ReplicatedBlobStore,
} from "@strata/engine";
import type { BlobStore, FsState, UnionView } from "@strata/fs";
import type { EventLog } from "@strata/store";

/** 405: a request under `/strata/at/{seq}` tried to change something. */
export class ReadOnlyPastError extends StrataError {
  constructor(seq: number) {
    super(
      "ReadOnly",
      405,
      "past-is-read-only",
      `the log's past is read-only: /strata/at/${seq}/… serves reads (GET and HEAD) only`,
    );
  }
}

export class PastEngine {
  readonly log: EventLog;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  /** The past only reads. */
  readonly readOnly = true;
  readonly #moment: EngineMoment;
  readonly #engine: DurableEngine;

  /** `moment` is the engine's states after some event; `time` that event's `recordedAt`. */
  constructor(engine: DurableEngine, moment: EngineMoment, time: number) {
    this.#engine = engine;
    this.#moment = moment;
    this.log = engine.log;
    this.blobs = engine.blobs;
    this.clock = { now: () => time };
  }

  get state(): EngineState {
    return this.#moment.core;
  }

  get projected(): FsState {
    return this.#moment.projection;
  }

  get seq(): number {
    return this.#moment.seq;
  }

  now(): EngineMoment {
    return this.#moment;
  }

  view(ref: string): UnionView {
    return this.#moment.view(ref);
  }

  at(seq: number): Promise<EngineMoment> {
    return this.#engine.at(seq);
  }

  async readFile(ref: string, path: string, options: { at?: number } = {}): Promise<Uint8Array> {
    if (options.at !== undefined) return this.#engine.readFile(ref, path, options);
    const view = this.#moment.view(ref);
    const digest = view.stat(path).digest;
    if (digest && this.blobs instanceof ReplicatedBlobStore) await this.blobs.fetch([digest]);
    return view.readFile(path);
  }

  /** Nothing to catch up with: the past does not grow. */
  async catchUp(): Promise<number> {
    return 0;
  }

  /** No event will ever be folded into the past. */
  onEvents(_listener: (events: readonly EventEnvelope[]) => void): () => void {
    return () => {};
  }

  execute(_command: Command): Promise<ExecuteResult> {
    return Promise.reject(new ReadOnlyPastError(this.seq));
  }

  tick(): Promise<readonly EventEnvelope[]> {
    return Promise.reject(new ReadOnlyPastError(this.seq));
  }

  wait(_ref: string, _condition?: WaitCondition): Promise<WaitResult> {
    return Promise.reject(new ReadOnlyPastError(this.seq));
  }

  snapshot(): Promise<number | null> {
    return Promise.reject(new ReadOnlyPastError(this.seq));
  }

  /** The engine it reads from stays open. */
  async close(): Promise<void> {}

  /**
   * This, where a route expects the engine. It has every public member of `DurableEngine` with the
   * same types (checked here at compile time); only the engine's private fields differ.
   */
  asEngine(): DurableEngine {
    return this satisfies Pick<DurableEngine, keyof DurableEngine> as unknown as DurableEngine;
  }
}
