/**
 * The layer stack of an image or a container at one moment, as the explorer draws it: the image's
 * read-only layers bottom first, each with its id, size, counts and history entry, and for a container
 * its read-write layer on top. `stackTrees` gives the raw trees the provenance reads.
 */
import {
  findContainer,
  findImage,
  type HistoryEntry,
  NotFoundError,
  type ProjectedState,
} from "@strata/core";
import type { FsNode, FsState, Tree } from "@strata/fs";

export interface LayerSummary {
  /** Position in the stack, bottom = 0. */
  readonly index: number;
  /** The layer's id, or `rw` for a container's read-write layer. */
  readonly id: string;
  readonly readWrite: boolean;
  /** Bytes of file contents in the layer (each inode once). */
  readonly size: number;
  /** Entries in the layer (files, directories, links, devices, whiteouts). */
  readonly entries: number;
  readonly whiteouts: number;
  readonly opaqueDirectories: number;
  /** The image history entry that made the layer (read-only layers). */
  readonly history: HistoryEntry | null;
  readonly createdBy: string;
}

export interface StackSummary {
  readonly kind: "image" | "container";
  readonly id: string;
  /** A container's name, or an image's first tag ("" for none). */
  readonly name: string;
  readonly imageId: string;
  readonly tags: readonly string[];
  readonly status: string;
  readonly layers: readonly LayerSummary[];
}

export interface Stack {
  readonly summary: StackSummary;
  /** The raw trees, bottom first. */
  readonly trees: readonly Tree[];
}

const counted = new WeakMap<Tree, { size: number; entries: number; whiteouts: number; opaque: number }>();

function countTree(tree: Tree): { size: number; entries: number; whiteouts: number; opaque: number } {
  const known = counted.get(tree);
  if (known) return known;
  let entries = 0;
  let whiteouts = 0;
  let opaque = 0;
  const stack: FsNode[] = [tree.root]; // a stack of its own: a path may have 2,000 components
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node.kind === "whiteout") whiteouts += 1;
    if (node.kind !== "dir") continue;
    if (node.opaque) opaque += 1;
    for (const [, child] of node.children.entries()) {
      entries += 1;
      stack.push(child);
    }
  }
  let size = 0;
  for (const [, inode] of tree.inodes.entries()) size += inode.size;
  const result = { size, entries, whiteouts, opaque };
  counted.set(tree, result);
  return result;
}

/** The stack of `ref` (a container's name or id, an image's tag or id) in `state`; NotFoundError if none. */
export function stackOf(state: ProjectedState<FsState>, ref: string): Stack {
  const { core, projection } = state;
  const container = findContainer(core, ref);
  const imageId = container ? container.context.imageId : findImage(core, ref)?.image.id;
  const image = imageId ? core.images[imageId] : undefined;
  const imageFs = imageId ? projection.images.get(imageId) : undefined;
  if (!image || !imageFs) throw new NotFoundError("no-such-object", `No such container or image: ${ref}`);
  const made = image.history.filter((h) => !h.emptyLayer);
  const trees: Tree[] = [];
  const layers: LayerSummary[] = imageFs.layerIds.map((id, index) => {
    const tree = projection.layers.get(id);
    if (!tree) throw new NotFoundError("no-such-layer", `No such layer: ${id}`);
    trees.push(tree);
    const c = countTree(tree);
    const layer = image.layers[index];
    return {
      index,
      id,
      readWrite: false,
      size: c.size,
      entries: c.entries,
      whiteouts: c.whiteouts,
      opaqueDirectories: c.opaque,
      history: made[index] ?? null,
      createdBy: made[index]?.createdBy ?? layer?.createdBy ?? "",
    };
  });
  const containerFs = container ? projection.containers.get(container.context.id) : undefined;
  if (container && containerFs) {
    trees.push(containerFs.upper);
    const c = countTree(containerFs.upper);
    layers.push({
      index: layers.length,
      id: "rw",
      readWrite: true,
      size: c.size,
      entries: c.entries,
      whiteouts: c.whiteouts,
      opaqueDirectories: c.opaque,
      history: null,
      createdBy: "",
    });
  }
  return {
    summary: {
      kind: container ? "container" : "image",
      id: container ? container.context.id : image.id,
      name: container ? container.context.name : (image.tags[0] ?? ""),
      imageId: image.id,
      tags: image.tags,
      status: container ? container.status : image.status,
      layers,
    },
    trees,
  };
}
