/**
 * The answer of `DELETE /images/{name}` and the `ImagesDeleted` of `POST /images/prune`, from the events
 * the engine appended for them: `{"Untagged": <familiar ref>}` per tag removed and `{"Deleted": <id>}`
 * per image deleted, in dockerd's order (moby daemon/images/image_delete.go): the tags of one image
 * sorted by their fully-qualified form, then each deleted image followed, on the graphdriver store, by
 * the layer chains it released (from its top down, each one no other image or container holds), then
 * its pruned parents the same way. The layers released are what prune reclaims (on the containerd store
 * too, which lists no layers).
 */
import { type EngineState, type EventEnvelope, imageStoreOf } from "@strata/core";
import type { FsState } from "@strata/fs";
import { heldChains, layerChainIds, releasedChains } from "./imageLayers.js";
import { sortedTags } from "./imageShapes.js";

export type DeleteItem = { readonly Untagged: string } | { readonly Deleted: string };

export interface DeleteAnswer {
  readonly items: DeleteItem[];
  /** Bytes of the layers released (prune's `SpaceReclaimed`). */
  readonly reclaimed: number;
}

/** The answer for `events` (those of one rmi, or of one prune), given the state after them. */
export function deleteAnswer(
  events: readonly EventEnvelope[],
  after: EngineState,
  projection: FsState,
): DeleteAnswer {
  const relevant = events.filter((e) => e.type === "image.untagged" || e.type === "image.deleted");
  const classic = imageStoreOf(after) === "classic";
  const held = heldChains(after);
  const items: DeleteItem[] = [];
  let reclaimed = 0;
  for (let i = 0; i < relevant.length; i++) {
    const e = relevant[i] as EventEnvelope;
    if (e.type === "image.untagged") {
      // A run of one image's untags: dockerd removes an image's references in sorted order.
      let j = i;
      while (relevant[j + 1]?.type === "image.untagged" && relevant[j + 1]?.streamId === e.streamId) j++;
      const tags = relevant.slice(i, j + 1).map((u) => (u.data as { tag: string }).tag);
      for (const tag of sortedTags(tags)) items.push({ Untagged: tag });
      i = j;
      continue;
    }
    items.push({ Deleted: e.streamId });
    const image = after.images[e.streamId];
    if (!image) continue;
    // Images deleted later in these events were still there (holding their layers) when this one went.
    const stillHeld = new Set(held);
    for (const later of relevant.slice(i + 1))
      if (later.type === "image.deleted") {
        const other = after.images[later.streamId];
        if (other) for (const c of layerChainIds(other)) stillHeld.add(c);
      }
    for (const released of releasedChains(image, stillHeld, projection)) {
      if (classic) items.push({ Deleted: released.chainId });
      reclaimed += released.size;
      held.add(released.chainId);
    }
  }
  return { items, reclaimed };
}
