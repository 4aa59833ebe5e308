/**
 * The engine's states at one moment (now, or right after some event): the lifecycle state and the fs
 * projection together, with the union views and `docker diff` of that moment. Read-only.
 */
import { type EngineState, findContainer, NotFoundError } from "@strata/core";
import {
  type BlobStore,
  type Change,
  changes,
  type FsState,
  stackLayer,
  type UnionView,
  viewOf,
} from "@strata/fs";

export class EngineMoment {
  /** The seq of the last event folded in (0: before the first). */
  readonly seq: number;
  readonly core: EngineState;
  readonly projection: FsState;
  readonly #blobs: BlobStore;

  constructor(core: EngineState, projection: FsState, blobs: BlobStore) {
    this.seq = core.seq;
    this.core = core;
    this.projection = projection;
    this.#blobs = blobs;
  }

  /**
   * The union view of an image or a container (a name, id or tag).
   *
   * @example
   * moment.view("web").readdir("/etc");
   */
  view(ref: string): UnionView {
    return viewOf(this.core, this.projection, ref, this.#blobs);
  }

  /** Docker's change list for a container (`docker diff`): its union view against its image's. */
  diff(ref: string): Change[] {
    const record = findContainer(this.core, ref);
    const c = record ? this.projection.containers.get(record.context.id) : undefined;
    if (!record || !c) throw new NotFoundError("no-such-container", `No such container: ${ref}`);
    return changes(c.lower, stackLayer(c.lower, c.upper));
  }
}
