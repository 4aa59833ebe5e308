/**
 * Collects the layers of an image being imported, checks each against the union of the layers below it
 * (writes through symlinks resolved inside the root), and appends nothing until `append`: then one
 * `layer.create` per new layer and the `image.create`. Shared by the layout and archive importers.
 */
import type { Readable } from "node:stream";
import type { LayerEntry } from "@strata/core";
import { emptyTree, IMPLIED_DIR, stackLayer, type Tree } from "@strata/fs";
import { DIGEST_PATTERN } from "./digest.js";
import type { OciEngine } from "./OciEngine.js";
import { OciError } from "./OciError.js";
import { checkLayerEntries, readLayerTar } from "./readLayerTar.js";
import { resolveLayerPaths } from "./resolveLayerPaths.js";

export interface AssembledImage {
  readonly imageId: string;
  readonly layerIds: readonly string[];
}

export class ImageAssembler {
  readonly #engine: OciEngine;
  readonly #layers: { id: string; entries: LayerEntry[] | null }[] = [];
  readonly #trees = new Map<string, Tree>();
  #below: Tree = emptyTree(IMPLIED_DIR);

  constructor(engine: OciEngine) {
    this.#engine = engine;
  }

  /**
   * If layer `diffId` is already known (to the engine, or earlier in this image), stacks it and returns
   * true: its content need not be read again.
   */
  known(diffId: string, index: number): boolean {
    if (!DIGEST_PATTERN.test(diffId))
      throw new OciError("InvalidLayout", `diff_id ${index} is not sha256:<64 lowercase hex>`);
    const tree = this.#engine.projected.layers.get(diffId) ?? this.#trees.get(diffId);
    if (!tree) return false;
    this.#layers.push({ id: diffId, entries: null });
    this.#below = stackLayer(this.#below, tree);
    return true;
  }

  /** Reads layer `diffId` from its uncompressed tar stream, checks it, and stacks it. */
  async add(diffId: string, tarStream: Readable, name: string): Promise<void> {
    const raw = await readLayerTar(tarStream, this.#engine.blobs, { layer: name, check: false });
    const entries = resolveLayerPaths(this.#below, raw, name);
    const tree = checkLayerEntries(name, entries);
    this.#below = stackLayer(this.#below, tree);
    this.#trees.set(diffId, tree);
    this.#layers.push({ id: diffId, entries });
  }

  /** Appends the new layers and the image. */
  async append(imageId: string, tag: string | undefined, cmd: unknown): Promise<AssembledImage> {
    for (const l of this.#layers) {
      if (l.entries === null) continue;
      const r = await this.#engine.execute({ type: "layer.create", layerId: l.id, entries: l.entries });
      if (!r.ok) throw r.error;
    }
    const layers = this.#layers;
    const r = await this.#engine.execute({
      type: "image.create",
      imageId,
      layers: layers.map((l, i) => ({
        id: l.id,
        parent: i === 0 ? null : (layers[i - 1] as { id: string }).id,
      })),
      ...(tag ? { tags: [tag] } : {}),
      cmd: Array.isArray(cmd) ? cmd.filter((c): c is string => typeof c === "string") : [],
    });
    if (!r.ok) throw r.error;
    return { imageId, layerIds: layers.map((l) => l.id) };
  }
}
