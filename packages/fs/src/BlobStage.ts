/**
 * A stage of a blob store: the blobs one import puts before it knows whether it will be accepted, held
 * for it until it keeps them (its events name them now) or discards them (it was refused). The stages
 * of a store share its ledger, so a discard takes back only what no one else put or uses: a blob goes
 * only when every stage that put it has discarded it and nothing put it outside a stage meanwhile (two
 * imports of the same bytes run at once and one is refused; a container writes those bytes during an
 * import). A blob the store held before a stage put it is never dropped by the stage.
 * Contract: BlobStore.ts (`stage`) · laws: packages/fs/test/blobStage.test.ts
 */
import type { BlobStore, StagedBlobs } from "./BlobStore.js";

/**
 * Which stages hold which blobs, for one store. A digest is held only while it is new since the first
 * stage put it and nothing but stages put it since; a put outside any stage (`note` without a stage)
 * makes it no one's to take back. The store notes every put in the same synchronous step that decides
 * whether the bytes are new, so no other put can come between.
 */
export class StageLedger {
  /** digest → the stages holding it. */
  readonly #holders = new Map<string, Set<BlobStage>>();
  /** stage → the digests it holds. */
  readonly #held = new Map<BlobStage, Set<string>>();

  /**
   * A put of `digest` (`created`: the store did not hold these bytes before), by `stage` or, without
   * one, by anyone else (a container's write, a plain `put`): then nothing may take the blob back.
   */
  note(digest: string, created: boolean, stage?: BlobStage): void {
    if (stage === undefined) {
      if (this.#holders.size === 0) return;
      const holders = this.#holders.get(digest);
      if (holders === undefined) return;
      this.#holders.delete(digest);
      for (const s of holders) this.#held.get(s)?.delete(digest);
      return;
    }
    let holders = this.#holders.get(digest);
    if (holders === undefined) {
      // Bytes the store held before, put by someone else: not this stage's to take back.
      if (!created) return;
      holders = new Set();
      this.#holders.set(digest, holders);
    }
    holders.add(stage);
    let mine = this.#held.get(stage);
    if (mine === undefined) {
      mine = new Set();
      this.#held.set(stage, mine);
    }
    mine.add(digest);
  }

  /** `stage` keeps what it holds: events name it now, so nothing may take it back. */
  keep(stage: BlobStage): void {
    for (const digest of this.#held.get(stage) ?? []) this.#holders.delete(digest);
    this.#held.delete(stage);
  }

  /** `stage` lets go of what it holds; returns the digests no one holds any more (to drop). */
  release(stage: BlobStage): string[] {
    const free: string[] = [];
    for (const digest of this.#held.get(stage) ?? []) {
      const holders = this.#holders.get(digest);
      if (holders === undefined) continue;
      holders.delete(stage);
      if (holders.size === 0) {
        this.#holders.delete(digest);
        free.push(digest);
      }
    }
    this.#held.delete(stage);
    return free;
  }

  /** The digests `stage` holds (that it would drop if it were discarded now and no one else held them). */
  heldBy(stage: BlobStage): ReadonlySet<string> {
    return this.#held.get(stage) ?? new Set();
  }

  /** How many blobs some stage holds (0 once every stage was kept or discarded). */
  get size(): number {
    return this.#holders.size;
  }
}

/** What a stage needs of its store: puts noted for the stage, and dropping blobs no one holds. */
export interface StageBackend {
  /** Stores `bytes`, noting the put for `stage` in the ledger in the same step. */
  add(bytes: Uint8Array, stage: BlobStage): { digest: string; created: boolean };
  /** Stores a stream, noting the put for `stage` in the ledger in the step that decides `created`. */
  putStream?(
    source: AsyncIterable<Uint8Array>,
    stage: BlobStage,
  ): Promise<{ digest: string; size: number; created: boolean }>;
  /** Drops these blobs (no event names them, and no one holds them). */
  drop(digests: readonly string[]): void;
}

/**
 * A blob store whose puts are held for one import. Reads go to the store. Once kept or discarded, it
 * takes no more puts.
 *
 * @example
 * const stage = blobs.stage();
 * try { importLayers(stage); stage.keep(); } catch (e) { stage.discard(); throw e; }
 */
export class BlobStage implements StagedBlobs {
  readonly #store: BlobStore;
  readonly #ledger: StageLedger;
  readonly #backend: StageBackend;
  #closed: "kept" | "discarded" | undefined;
  readonly putStream?: BlobStore["putStream"];

  constructor(store: BlobStore, ledger: StageLedger, backend: StageBackend) {
    this.#store = store;
    this.#ledger = ledger;
    this.#backend = backend;
    const putStream = backend.putStream;
    if (putStream !== undefined) {
      this.putStream = async (source) => {
        this.#open();
        const stored = await putStream(source, this);
        // Closed while the stream was read: what it put goes the way of the rest.
        if (this.#closed === "discarded") this.#backend.drop(this.#ledger.release(this));
        else if (this.#closed === "kept") this.#ledger.keep(this);
        return stored;
      };
    }
  }

  #open(): void {
    if (this.#closed !== undefined)
      throw new Error(`this blob stage was ${this.#closed}: it takes no more puts`);
  }

  put(bytes: Uint8Array): string {
    return this.add(bytes).digest;
  }

  add(bytes: Uint8Array): { digest: string; created: boolean } {
    this.#open();
    return this.#backend.add(bytes, this);
  }

  get(digest: string): Uint8Array | undefined {
    return this.#store.get(digest);
  }

  getMany(digests: readonly string[]): Map<string, Uint8Array> {
    if (this.#store.getMany) return this.#store.getMany(digests);
    const out = new Map<string, Uint8Array>();
    for (const d of digests) {
      const bytes = this.#store.get(d);
      if (bytes !== undefined) out.set(d, bytes);
    }
    return out;
  }

  has(digest: string): boolean {
    return this.#store.has(digest);
  }

  openStream(digest: string): AsyncIterable<Uint8Array> | undefined {
    if (this.#store.openStream) return this.#store.openStream(digest);
    const bytes = this.#store.get(digest);
    return bytes === undefined
      ? undefined
      : (async function* () {
          yield bytes;
        })();
  }

  /** The blobs this stage holds (new since it put them, and put by no one but stages since). */
  get held(): ReadonlySet<string> {
    return this.#ledger.heldBy(this);
  }

  /** Events name what this stage put: none of it is taken back, whoever discards. */
  keep(): void {
    if (this.#closed !== undefined) return;
    this.#closed = "kept";
    this.#ledger.keep(this);
  }

  /** This stage's import was refused: drops what it put that no one else put or holds. */
  discard(): void {
    if (this.#closed !== undefined) return;
    this.#closed = "discarded";
    this.#backend.drop(this.#ledger.release(this));
  }
}
