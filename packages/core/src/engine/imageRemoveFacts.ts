/**
 * The facts `image.remove` needs about an image: which containers use it (containers pin images by
 * id), whether it has child images (a commit's parent link) and which of its ancestors go with it.
 * Ancestor pruning differs between the stores: the classic store prunes untagged parents that nothing
 * else needs (no container, no other child); the containerd store prunes dangling parents that no
 * container uses, whatever other children they have, and none when the image had several references
 * (moby daemon/images/image_delete.go `imageDeleteHelper`, daemon/containerd/image_delete.go
 * `deleteAll`).
 */
import type { CommandOfType } from "../commands/commands.js";
import type { ImageMachineCommand } from "../machines/imageCommands.js";
import { type EngineState, type ImageRecord, imageStoreOf } from "./EngineState.js";

const usersOf = (state: EngineState, imageId: string) =>
  Object.values(state.containers).filter((c) => c.context.imageId === imageId);

const childrenOf = (state: EngineState, imageId: string) =>
  Object.values(state.images).filter((i) => i.status === "present" && i.parentId === imageId);

function prunableParents(state: EngineState, image: ImageRecord): string[] {
  const store = imageStoreOf(state);
  if (store === "containerd" && image.tags.length > 1) return [];
  const out: string[] = [];
  let gone = new Set([image.id]);
  let parentId = image.parentId;
  while (parentId !== null) {
    const parent = state.images[parentId];
    if (parent?.status !== "present" || parent.tags.length > 0) break;
    if (usersOf(state, parent.id).length > 0) break;
    if (store === "classic" && childrenOf(state, parent.id).some((c) => !gone.has(c.id))) break;
    out.push(parent.id);
    gone = new Set([...gone, parent.id]);
    parentId = parent.parentId;
  }
  return out;
}

/** The image machine's input for removing `image`, named by `byTag` (or by id when null). */
export function imageRemoveInput(
  state: EngineState,
  image: ImageRecord,
  byTag: string | null,
  command: CommandOfType<"image.remove">,
  now: number,
): ImageMachineCommand {
  return {
    type: "image.remove",
    now,
    ref: command.image,
    store: imageStoreOf(state),
    byTag,
    force: command.force ?? false,
    usedBy: usersOf(state, image.id).map((c) => ({
      containerId: c.context.id,
      running: c.status === "running" || c.status === "paused" || c.status === "restarting",
    })),
    hasChildren: childrenOf(state, image.id).length > 0,
    prunableParents: command.noPrune ? [] : prunableParents(state, image),
  };
}
