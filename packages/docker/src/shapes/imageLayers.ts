/**
 * An image's layers as dockerd's graphdriver store counts them: each layer's size (`DiffSize`: what its
 * diff directory holds, as moby's `directory.Size` measures it: regular files once per inode, symlinks
 * by the length of their target, directories and whiteouts nothing), an image's `Size` (the sum over its
 * layers) and the layer chain ids (`ChainID`) its rmi and prune answers list. Strata's layer ids stand
 * for the DiffIDs: an imported layer's id is its DiffID; a committed one's comes from the engine's id
 * source (its DiffID is known only when the layer is written out, by `docker save`).
 */
import type { ContainerRecord, EngineState, ImageRecord } from "@strata/core";
import type { FsNode, FsState, Tree } from "@strata/fs";
import { chainIds } from "@strata/oci";

const sizes = new WeakMap<Tree, number>();

/** The bytes of the symlink targets under `root` (a stack of its own: a path may have 2,000 components). */
function symlinkBytes(root: FsNode): number {
  let total = 0;
  const stack = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.kind === "symlink") total += Buffer.byteLength(node.target);
    else if (node.kind === "dir") for (const [, child] of node.children.entries()) stack.push(child);
  }
  return total;
}

/** The size of layer `layerId` (0 for a layer the projection does not hold). */
export function layerSize(projection: FsState, layerId: string): number {
  const tree = projection.layers.get(layerId);
  if (!tree) return 0;
  const known = sizes.get(tree);
  if (known !== undefined) return known;
  let total = symlinkBytes(tree.root);
  for (const [, inode] of tree.inodes.entries()) total += inode.size;
  sizes.set(tree, total);
  return total;
}

/** An image's size: the sum of its layers' sizes (dockerd's `Size` of the top layer chain). */
export function imageSize(projection: FsState, image: ImageRecord): number {
  return image.layers.reduce((n, l) => n + layerSize(projection, l.id), 0);
}

/** The image's layer chain ids, bottom first. */
export function layerChainIds(image: ImageRecord): string[] {
  return chainIds(image.layers.map((l) => l.id));
}

/**
 * The layer chains still held in `state`: by a present image (its chain and every chain below), or by
 * a container (its read-write layer sits on its image's chain, even once that image is deleted).
 */
export function heldChains(state: EngineState): Set<string> {
  const held = new Set<string>();
  const hold = (image: ImageRecord | undefined) => {
    if (image) for (const c of layerChainIds(image)) held.add(c);
  };
  for (const image of Object.values(state.images)) if (image.status === "present") hold(image);
  for (const c of Object.values(state.containers) as ContainerRecord[]) hold(state.images[c.context.imageId]);
  return held;
}

/**
 * The layers a deleted image releases, as the graphdriver's layer store does: from its top chain down,
 * each chain nothing else holds; with each one's size (what prune reclaims).
 */
export function releasedChains(
  image: ImageRecord,
  held: ReadonlySet<string>,
  projection: FsState,
): { chainId: string; size: number }[] {
  const chains = layerChainIds(image);
  const out: { chainId: string; size: number }[] = [];
  for (let i = chains.length - 1; i >= 0; i--) {
    const chainId = chains[i] as string;
    if (held.has(chainId)) break;
    out.push({ chainId, size: layerSize(projection, (image.layers[i] as { id: string }).id) });
  }
  return out;
}
