/**
 * The DiffIDs of an image's layers as an export writes them, read from what the log keeps: a layer
 * with a tar layout is written as its layout gives it back (its DiffID is in the layout); a layer
 * without one (older logs, layers made by `layer.create` without one) is written afresh from its tree,
 * and that tar is hashed (remembered per tree: a tree never changes). An image whose config the log
 * keeps names its DiffIDs in it, so a commit on top of it hashes no layer below.
 */
import type { EngineState, ImageRecord, Layer } from "@strata/core";
import type { BlobStore, FsState, Tree } from "@strata/fs";
import { encodeLayerTar } from "./layerTarSync.js";
import { readTarLayout, TarLayoutError } from "./tarLayout.js";

/**
 * The tar layout the log names for layer `id` of an image: the image's record of it, or the layer's (an
 * import's), or that of any image that holds the layer with one (the commit that made it, when an image
 * loaded later names it too).
 */
export function layerTarOf(core: EngineState, layer: Layer | undefined, id: string): string | undefined {
  const named = layer?.tar ?? core.layers[id]?.tar;
  if (named !== undefined) return named;
  for (const image of Object.values(core.images))
    for (const l of image.layers) if (l.id === id && l.tar !== undefined) return l.tar;
  return undefined;
}

/** The `rootfs.diff_ids` a config JSON names (undefined when it does not read as one). */
export function configDiffIds(bytes: Uint8Array): string[] | undefined {
  try {
    const json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
    const ids = json?.rootfs?.diff_ids;
    return Array.isArray(ids) && ids.every((d) => typeof d === "string") ? ids : undefined;
  } catch {
    return undefined;
  }
}

/** DiffIDs of layers, those of trees written afresh remembered. */
export class DiffIds {
  readonly #blobs: BlobStore;
  readonly #fresh = new WeakMap<Tree, string>();

  constructor(blobs: BlobStore) {
    this.#blobs = blobs;
  }

  /** The DiffIDs of `image`'s layers: from its kept config when it has one, else layer by layer. */
  ofImage(core: EngineState, fs: FsState, image: ImageRecord): string[] {
    const kept = image.configBlob === undefined ? undefined : this.#blobs.get(image.configBlob);
    const named = kept === undefined ? undefined : configDiffIds(kept);
    if (named !== undefined && named.length === image.layers.length) return named;
    return image.layers.map((l) => this.ofLayer(core, fs, l, l.id));
  }

  /** The DiffID of layer `id` (`layer`: an image's record of it, if known). */
  ofLayer(core: EngineState, fs: FsState, layer: Layer | undefined, id: string): string {
    const tar = layerTarOf(core, layer, id);
    const layout = tar === undefined ? undefined : this.#blobs.get(tar);
    if (layout !== undefined) {
      try {
        return readTarLayout(layout).diffId;
      } catch (e) {
        if (!(e instanceof TarLayoutError)) throw e;
      }
    }
    const tree = fs.layers.get(id);
    return tree === undefined ? EMPTY_LAYER_DIFF_ID : this.ofTree(tree);
  }

  /** The DiffID of `tree` written afresh. */
  ofTree(tree: Tree): string {
    let d = this.#fresh.get(tree);
    if (d === undefined) {
      d = encodeLayerTar(tree, this.#blobs).diffId;
      this.#fresh.set(tree, d);
    }
    return d;
  }
}

/** An empty layer (1,024 zero bytes): what an export writes for a layer the fs projection lacks. */
const EMPTY_LAYER_DIFF_ID = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
