/**
 * The transient fold of the fs projection: the state after a run of events when only the last one is
 * wanted (a replay, a catch-up, a snapshot's tail). It gives exactly the states {@link evolveFs} gives
 * (the same trees, the same maps in the same order), with far less copying:
 *
 * - the containers a run of filesystem events changes are kept open, each with its union, and put
 *   back into the containers map once (when another kind of event comes, and at the end);
 * - their read-write layers change under one {@link Edit}: the directories and inode tables the fold
 *   made are changed in place, and anything it did not make (the state it started from, the images'
 *   trees) is copied once and then owned (see `changesInPlace` for the rules that may);
 * - while only writes come for a container, a write to a path it wrote before goes straight to the
 *   file's inode, and the inode table gets its last value once ({@link OpenContainer});
 * - every other event goes through `evolveFs` itself, and so does a link, a rename or a copy; after
 *   each of those the fold closes its edit and opens another, so that nothing those persistent steps
 *   share can change later.
 *
 * `result()` closes the last edit: the state it returns is an ordinary persistent state, which the
 * persistent path can go on from and which nothing changes any more. Deterministic: no clock, no ids.
 * Contract: docs/fs-model.md#transient-replay · laws: test/replay.transient.test.ts
 */
import type { EngineState, EventEnvelope, FsEvent, ProjectionFold } from "@strata/core";
import { changesInPlace } from "./applyFsEvent.js";
import { Edit } from "./Edit.js";
import { changesFsState, evolveFs, isFsEvent, upperAfter } from "./evolveFs.js";
import type { Tree } from "./FsNode.js";
import type { ContainerFs, FsState, ImageFs } from "./FsState.js";
import { OpenContainer } from "./OpenContainer.js";
import type { PersistentMap } from "./PersistentMap.js";

export class FsFold implements ProjectionFold<FsState> {
  /** null once the result was taken or an event failed: the fold is over. */
  #edit: Edit | null = new Edit();
  #seq: number;
  #layers: PersistentMap<Tree>;
  #images: PersistentMap<ImageFs>;
  #containers: PersistentMap<ContainerFs>;
  /** The containers filesystem events changed since the last flush. */
  readonly #open = new Map<string, OpenContainer>();
  /** The last one used (runs of events on one container are the common case). */
  #lastId: string | undefined;
  #last: OpenContainer | undefined;

  constructor(state: FsState) {
    this.#seq = state.seq;
    this.#layers = state.layers;
    this.#images = state.images;
    this.#containers = state.containers;
  }

  /** Folds one more event in; throws what `evolveFs` throws, and the fold is over then. */
  add(event: EventEnvelope, _core?: () => EngineState): void {
    const edit = this.#edit;
    if (edit === null) throw new Error("FsFold: the fold is over (its result was taken, or an event failed)");
    try {
      if (event.type === "fs.fileWritten") {
        this.#opened(event, edit).write(event, edit);
        this.#seq = event.seq;
        return;
      }
      if (isFsEvent(event)) {
        this.#opened(event, edit).change(event, edit);
        this.#seq = event.seq;
        if (!changesInPlace(event.type)) this.#reopen(edit);
        return;
      }
      if (!changesFsState(event.type)) {
        this.#seq = event.seq;
        return;
      }
      const next = evolveFs(this.#flush(edit), event);
      this.#seq = next.seq;
      this.#layers = next.layers;
      this.#images = next.images;
      this.#containers = next.containers;
      this.#reopen(edit);
    } catch (e) {
      this.#end();
      throw e;
    }
  }

  /** The state after the last event: frozen, an ordinary persistent state. Ends the fold. */
  result(): FsState {
    const edit = this.#edit;
    if (edit === null) throw new Error("FsFold: the fold is over (its result was taken, or an event failed)");
    const state = this.#flush(edit);
    this.#end();
    return state;
  }

  /** The open container of a filesystem event's stream (opened now if need be). */
  #opened(event: EventEnvelope & FsEvent, edit: Edit): OpenContainer {
    if (event.streamId === this.#lastId && this.#last !== undefined) return this.#last;
    let open = this.#open.get(event.streamId);
    if (open === undefined) {
      const record = this.#containers.get(event.streamId);
      if (record === undefined) upperAfter(record, event, edit); // throws: no read-write layer
      open = new OpenContainer(record as ContainerFs);
      this.#open.set(event.streamId, open);
    }
    this.#lastId = event.streamId;
    this.#last = open;
    return open;
  }

  /** Puts the open containers back into the map: the state as of the last event. */
  #flush(edit: Edit): FsState {
    for (const [id, open] of this.#open) {
      open.settle(edit);
      if (open.upper !== open.record.upper)
        this.#containers = this.#containers.setIn(edit, id, { ...open.record, upper: open.upper });
    }
    this.#open.clear();
    this.#last = undefined;
    return { seq: this.#seq, layers: this.#layers, images: this.#images, containers: this.#containers };
  }

  /** After a persistent step: what it may share is frozen, and later changes copy it first. */
  #reopen(edit: Edit): void {
    edit.close();
    this.#edit = new Edit();
  }

  #end(): void {
    this.#edit?.close();
    this.#edit = null;
    this.#open.clear();
    this.#last = undefined;
  }
}
