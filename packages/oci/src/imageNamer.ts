/**
 * The image namer engines are composed with (core's `ImageNamer`): an image Strata makes is named as
 * dockerd names one, by the sha256 of its config JSON, the config an export writes for it; a commit's
 * new layer by its DiffID. While the engine decides a commit, the namer writes the new layer's tar (the
 * same bytes an export writes), hashing it and recording its tar layout, builds the config from what
 * the decided `image.created` says (creation time, author, platform, runtime config, history) and the
 * layers' DiffIDs, and stores both blobs: the engine records them with the image, so an export writes
 * those very bytes and `docker load` of what `docker save` gave gets the same id back.
 *
 * Cost: the new layer's tar is written once (what changed in the container, not the image below); the
 * DiffIDs below come from the parent's kept config, or (a parent without one: older logs, images given
 * an id) from each layer's layout, or from its tar written afresh, once per tree.
 */
import type { EngineState, ImageNamer, ImageNames, NewEvent } from "@strata/core";
import { type BlobStore, commitLayer, type FsState } from "@strata/fs";
import { DiffIds } from "./diffIds.js";
import { imageConfigJson } from "./imageConfigJson.js";
import { encodeLayerTar } from "./layerTarSync.js";
import { DEFAULT_PLATFORM } from "./platform.js";

type ImageCreated = Extract<NewEvent, { type: "image.created" }>;

/**
 * A namer storing its blobs in `blobs` (the engine's store).
 *
 * @example
 * const engine = createFsEngine({ clock, ids, blobs, namer: imageNamer });
 */
export function imageNamer(blobs: BlobStore): ImageNamer<FsState> {
  const diffIds = new DiffIds(blobs);
  return {
    name(fs: FsState, core: EngineState, _command, events): ImageNames | null {
      const created = events.find((e): e is ImageCreated => e.type === "image.created");
      if (created === undefined) return null;
      const data = created.data;
      if (data.config === undefined || data.history === undefined) return null;
      const parent = data.parentId === null ? undefined : core.images[data.parentId];
      const below = parent?.layers.every((l, i) => data.layers[i]?.id === l.id)
        ? diffIds.ofImage(core, fs, parent)
        : [];
      const ids: string[] = [];
      let made: { layerId: string; layerTar: string } | undefined;
      for (const [i, layer] of data.layers.entries()) {
        const inherited = below[i];
        if (inherited !== undefined) {
          ids.push(inherited);
          continue;
        }
        if (data.containerId !== null && i === data.layers.length - 1 && i >= below.length) {
          // The commit's new layer: the container's read-write layer, as an export writes it.
          const c = fs.containers.get(data.containerId);
          if (c === undefined) return null;
          const tar = encodeLayerTar(commitLayer(c.lower, c.upper), blobs, { layout: true });
          made = { layerId: tar.diffId, layerTar: blobs.put(tar.layout as Buffer) };
          ids.push(tar.diffId);
          continue;
        }
        ids.push(diffIds.ofLayer(core, fs, layer, layer.id));
      }
      const configBlob = blobs.put(
        imageConfigJson({
          // null: a config that names no time (an undated image) is named without one, as it is exported.
          created: data.created === null ? null : (data.created ?? created.recordedAt),
          author: data.author,
          platform: data.platform ?? DEFAULT_PLATFORM,
          config: data.config,
          history: data.history,
          diffIds: ids,
        }),
      );
      return { imageId: configBlob, configBlob, ...made };
    },
  };
}
