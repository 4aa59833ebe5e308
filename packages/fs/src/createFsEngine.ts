/**
 * An engine with the fs projection plugged in, and the views it offers: any image or container, now
 * or at any position of the log.
 */
import {
  type Clock,
  Engine,
  findContainer,
  findImage,
  type IdSource,
  type ImageNamer,
  type InMemoryEventLog,
  NotFoundError,
  replayProjectedTo,
} from "@strata/core";
import type { BlobStore } from "./BlobStore.js";
import { type Change, changes } from "./diff.js";
import { emptyUpper, type FsState } from "./FsState.js";
import { fsProjection } from "./fsProjection.js";
import { stackLayer } from "./layerTree.js";
import { MemoryBlobStore } from "./MemoryBlobStore.js";
import { UnionView } from "./UnionView.js";

export interface FsEngineOptions {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly blobs?: BlobStore;
  readonly log?: InMemoryEventLog;
  /** Told how far the replay of the log's existing events has got (see `EngineOptions.onReplay`). */
  readonly onReplay?: (done: number, total: number) => void;
  /**
   * Names the images the engine makes by their content, given the engine's blob store (the oci
   * package's `imageNamer`); without one, they get ids from the id source (see `EngineOptions.namer`).
   */
  readonly namer?: (blobs: BlobStore) => ImageNamer<FsState>;
}

/** The union view of `ref` (a container name or id, or an image tag or id) in the given states. */
export function viewOf(
  core: Engine<FsState>["state"],
  fs: FsState,
  ref: string,
  blobs?: BlobStore,
): UnionView {
  const container = findContainer(core, ref);
  if (container) {
    const c = fs.containers.get(container.context.id);
    if (c) return new UnionView({ lower: c.lower, upper: c.upper }, blobs);
  }
  const image = findImage(core, ref);
  const imageFs = image ? fs.images.get(image.image.id) : undefined;
  if (imageFs)
    return new UnionView({ lower: imageFs.flattened, upper: emptyUpper(imageFs.flattened) }, blobs);
  throw new NotFoundError("no-such-object", `No such container or image: ${ref}`);
}

/** An Engine with the fs projection, plus views. */
export class FsEngine extends Engine<FsState> {
  readonly blobs: BlobStore;

  constructor(options: FsEngineOptions) {
    const blobs = options.blobs ?? new MemoryBlobStore();
    super({
      clock: options.clock,
      ids: options.ids,
      projection: fsProjection({ blobs }),
      ...(options.log ? { log: options.log } : {}),
      ...(options.onReplay ? { onReplay: options.onReplay } : {}),
      ...(options.namer ? { namer: options.namer(blobs) } : {}),
    });
    this.blobs = blobs;
  }

  /**
   * The union view of an image or a container, now or right after event `at` (time travel).
   *
   * @example
   * engine.view("web").readdir("/etc");
   * engine.view("web", { at: 12 }).lookup("/etc/motd"); // as it was after event 12
   */
  view(ref: string, options: { at?: number } = {}): UnionView {
    if (options.at === undefined) return viewOf(this.state, this.projected, ref, this.blobs);
    const past = this.statesAt(options.at);
    return viewOf(past.core, past.projection, ref, this.blobs);
  }

  /**
   * The engine's state and the fs projection as they were right after event `at` (0: before the
   * first); a seq the log does not have is a `NotFoundError`.
   */
  statesAt(at: number): { readonly core: Engine<FsState>["state"]; readonly projection: FsState } {
    if (!Number.isSafeInteger(at) || at < 0 || at > this.log.lastSeq)
      throw new NotFoundError(
        "no-such-event",
        `No such event: ${at} (the log has events 1 to ${this.log.lastSeq}; 0 is before the first)`,
      );
    return replayProjectedTo(fsProjection({ blobs: this.blobs }), this.log.read(), at);
  }

  /**
   * Docker's change list for a container (`docker diff`): its union view against its image's, with
   * moby's rules (see `changes`). Optionally as it was right after event `at`.
   *
   * @example
   * engine.diff("web"); // [{ kind: "C", path: "/etc" }, { kind: "A", path: "/etc/motd" }]
   */
  diff(ref: string, options: { at?: number } = {}): Change[] {
    const states =
      options.at === undefined ? { core: this.state, projection: this.projected } : this.statesAt(options.at);
    const record = findContainer(states.core, ref);
    const c = record ? states.projection.containers.get(record.context.id) : undefined;
    if (!record || !c) throw new NotFoundError("no-such-container", `No such container: ${ref}`);
    return changes(c.lower, stackLayer(c.lower, c.upper));
  }

  /** Stores bytes in the blob store and returns their digest (for `layer.create` entries). */
  putBlob(bytes: Uint8Array | string): string {
    return this.blobs.put(typeof bytes === "string" ? Buffer.from(bytes) : bytes);
  }
}

/** Convenience: an {@link FsEngine}. */
export function createFsEngine(options: FsEngineOptions): FsEngine {
  return new FsEngine(options);
}
