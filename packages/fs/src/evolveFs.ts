/**
 * `evolveFs(state, event)`: the fs projection's state after one more event. Pure: it never changes
 * its input, and every past state stays valid (time travel). `layer.created` builds a layer tree,
 * `image.created` flattens the image (a commit's layer comes from its container's read-write layer),
 * `container.created`/`destroyed` add and drop a container's union, and `fs.*` events change a
 * container's read-write layer with overlayfs's rules ({@link applyFsEvent}). Other events change
 * nothing but the seq. {@link FsFold} gives the same states for a run of events, transiently.
 */
import { type EventEnvelope, type FsEvent, ReplayError } from "@strata/core";
import { applyFsEvent } from "./applyFsEvent.js";
import { commitLayer } from "./commitLayer.js";
import type { InodeIds } from "./copyUp.js";
import type { Edit } from "./Edit.js";
import { FsError } from "./FsError.js";
import { emptyTree, type Tree } from "./FsNode.js";
import { type ContainerFs, emptyUpper, type FsState } from "./FsState.js";
import { flatten, IMPLIED_DIR, layerTree, stackLayers } from "./layerTree.js";
import type { Overlay } from "./Overlay.js";

export const isFsEvent = (e: { type: string }): e is FsEvent => e.type.startsWith("fs.");

/** Whether an event of `type` changes more of the fs state than its seq. */
export function changesFsState(type: string): boolean {
  return (
    type.startsWith("fs.") ||
    type === "layer.created" ||
    type === "image.created" ||
    type === "container.created" ||
    type === "container.destroyed"
  );
}

/** The inode ids of the files an event makes: `<seq>.0`, `<seq>.1`… (deterministic). */
function inoIds(seq: number): InodeIds {
  let n = 0;
  return () => `${seq}.${n++}`;
}

/**
 * The read-write layer of `container` (undefined: the event's stream has none) after filesystem
 * `event`, under `edit` when a transient fold gives one (see applyFsEvent). A change that does not
 * apply is a {@link ReplayError} naming the event's seq.
 */
export function upperAfter(
  container: Overlay | undefined,
  event: EventEnvelope & FsEvent,
  edit: Edit | null,
): Tree {
  if (!container)
    throw new ReplayError(
      event.seq,
      "no-rw-layer",
      `${event.type}: container ${event.streamId} has no read-write layer`,
    );
  try {
    return applyFsEvent(container, event, event.recordedAt, inoIds(event.seq), edit);
  } catch (e) {
    if (e instanceof FsError) throw new ReplayError(event.seq, "fs-not-applicable", e.message);
    throw e;
  }
}

/** The layer trees of `layerIds` (an unknown id counts as an empty layer: metadata-only images). */
function treesOf(state: FsState, layerIds: readonly string[]): Tree[] {
  return layerIds.map((id) => state.layers.get(id) ?? emptyTree(IMPLIED_DIR));
}

/** The state after one event. Pure. */
export function evolveFs(state: FsState, event: EventEnvelope): FsState {
  const next = { ...state, seq: event.seq };
  switch (event.type) {
    case "layer.created": {
      const tree = layerTree(event.data.layerId, event.data.entries);
      return { ...next, layers: state.layers.set(event.data.layerId, tree) };
    }
    case "image.created": {
      const { imageId, layers, parentId, containerId } = event.data;
      let layerTrees = state.layers;
      const top = layers[layers.length - 1];
      if (containerId !== null && top !== undefined && !layerTrees.has(top.id)) {
        const c = state.containers.get(containerId);
        if (c) layerTrees = layerTrees.set(top.id, commitLayer(c.lower, c.upper));
      }
      const withLayers = { ...next, layers: layerTrees };
      const ids = layers.map((l) => l.id);
      const parent = parentId === null ? undefined : state.images.get(parentId);
      const flattened =
        parent?.layerIds.every((id, i) => ids[i] === id) === true
          ? stackLayers(parent.flattened, treesOf(withLayers, ids.slice(parent.layerIds.length)))
          : flatten(treesOf(withLayers, ids));
      return { ...withLayers, images: state.images.set(imageId, { layerIds: ids, flattened }) };
    }
    case "container.created": {
      const image = state.images.get(event.data.imageId);
      const lower = image?.flattened ?? emptyTree(IMPLIED_DIR);
      const container: ContainerFs = { imageId: event.data.imageId, lower, upper: emptyUpper(lower) };
      return { ...next, containers: state.containers.set(event.streamId, container) };
    }
    case "container.destroyed":
      return { ...next, containers: state.containers.delete(event.streamId) };
    default:
      break;
  }
  if (isFsEvent(event)) {
    const c = state.containers.get(event.streamId);
    const upper = upperAfter(c, event, null);
    return { ...next, containers: state.containers.set(event.streamId, { ...(c as ContainerFs), upper }) };
  }
  return next;
}
