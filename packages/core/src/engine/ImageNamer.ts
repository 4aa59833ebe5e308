/**
 * Names the images an engine makes by their content, as dockerd does: an image's id is the sha256 of its
 * config JSON as an export writes it, and the layer a commit adds is named by its DiffID (the sha256 of
 * its tar). Core writes neither tars nor configs (the oci package does), so an engine is composed with a
 * namer and asks it while it plans a command that makes an image without being given its id: a commit,
 * an `image.create` without `imageId` (see {@link decideCommand}).
 *
 * Rules for implementers:
 * - `name` reads the states before the command and the events decided for it with provisional ids (the
 *   id source's); it answers the names, or null when the events make no image;
 * - it may store content-addressed blobs (the config JSON, the new layer's tar layout) and names them in
 *   its answer: the engine records them with the image, so that an export writes exactly those bytes;
 * - the names depend only on the states, the events and the blobs they name (no clock, no randomness):
 *   the same command at the same time on the same log gets the same names.
 */
import type { Command } from "../commands/commands.js";
import type { NewEvent } from "../events/envelope.js";
import type { EngineState } from "./EngineState.js";

/** The names of the image a command makes, and the blobs that keep it exactly. */
export interface ImageNames {
  /** The sha256 of its config JSON: `configBlob`. */
  readonly imageId: string;
  /** The blob holding that config JSON. */
  readonly configBlob: string;
  /** A commit's new layer: its DiffID (absent when the commit adds no layer). */
  readonly layerId?: string;
  /** A commit's new layer: the blob of its tar layout. */
  readonly layerTar?: string;
}

export interface ImageNamer<S> {
  /**
   * The names of the image `events` make (decided for `command` on `core` and `projected`, with
   * provisional ids), or null when they make none.
   */
  name(projected: S, core: EngineState, command: Command, events: readonly NewEvent[]): ImageNames | null;
}

/**
 * Whether an engine with a namer names the image `command` makes: a commit, or an `image.create`,
 * given no image id (an id given is kept, as any id in a command is).
 */
export function namesImage(command: Command): boolean {
  return (
    (command.type === "container.commit" || command.type === "image.create") &&
    command.imageId === undefined &&
    command.configBlob === undefined
  );
}

/** `command` with the names a namer gave (its provisional ids replaced). */
export function namedCommand(command: Command, names: ImageNames): Command {
  if (command.type === "image.create")
    return { ...command, imageId: names.imageId, configBlob: names.configBlob };
  if (command.type === "container.commit")
    return {
      ...command,
      imageId: names.imageId,
      configBlob: names.configBlob,
      ...(names.layerId !== undefined ? { layerId: names.layerId } : {}),
      ...(names.layerTar !== undefined ? { layerTar: names.layerTar } : {}),
    };
  return command;
}
