/**
 * The fs projection's state: every read-only layer's tree, every image's flattened stack, and every
 * container's read-write layer over its image. All of it is persistent and shared: a container holds
 * its image's flattened tree by reference, and each past state stays valid, so a snapshot (a
 * time-travel point) costs nothing.
 */
import { emptyDir, type Tree } from "./FsNode.js";
import { PersistentMap } from "./PersistentMap.js";

export interface ImageFs {
  readonly layerIds: readonly string[];
  /** The image's layers flattened into one tree (the lower side of its containers' union views). */
  readonly flattened: Tree;
}

export interface ContainerFs {
  readonly imageId: string;
  /** The image's flattened tree when the container was created. */
  readonly lower: Tree;
  /** The read-write layer: what overlayfs's upperdir holds. */
  readonly upper: Tree;
}

export interface FsState {
  /** The seq of the last event folded in. */
  readonly seq: number;
  readonly layers: PersistentMap<Tree>;
  readonly images: PersistentMap<ImageFs>;
  readonly containers: PersistentMap<ContainerFs>;
}

export function initialFsState(): FsState {
  return {
    seq: 0,
    layers: PersistentMap.empty(),
    images: PersistentMap.empty(),
    containers: PersistentMap.empty(),
  };
}

/** A fresh read-write layer over `lower`: an empty directory with the lower root's metadata. */
export function emptyUpper(lower: Tree): Tree {
  return { root: emptyDir(lower.root), inodes: PersistentMap.empty() };
}
