/**
 * `image.*` events. Each belongs to the stream of one image (its id).
 */
import * as v from "valibot";
import {
  BlobDigestSchema,
  ContainerIdSchema,
  HistoryEntrySchema,
  ImageConfigSchema,
  ImageIdSchema,
  LayerSchema,
  PlatformSchema,
  TimestampSchema,
} from "./common.js";

const event = <T extends string, D extends v.GenericSchema>(type: T, data: D) =>
  v.strictObject({ type: v.literal(type), data });

/** An image exists: its layer stack (bottom first), its parent image (commit) and history text. */
export const ImageCreated = event(
  "image.created",
  v.strictObject({
    imageId: ImageIdSchema,
    layers: v.array(LayerSchema),
    parentId: v.nullable(ImageIdSchema),
    /** The container it was committed from, if any. */
    containerId: v.nullable(ContainerIdSchema),
    cmd: v.array(v.string()),
    author: v.string(),
    comment: v.string(),
    /** The image's configuration; absent in older logs (then: `cmd` and nothing else). */
    config: v.optional(ImageConfigSchema),
    /** The image's history, oldest first; absent in older logs (then: one entry per layer). */
    history: v.optional(v.array(HistoryEntrySchema)),
    /** The platform it runs on (an imported image's); absent: linux/amd64 (older logs, images made here). */
    platform: v.optional(PlatformSchema),
    /**
     * When the image was created, if not when this event was recorded (a loaded image's config says);
     * null: the loaded config names no time (the image dates from this event, and is exported without one).
     */
    created: v.optional(v.nullable(TimestampSchema)),
    /**
     * The blob holding the image's config JSON byte for byte, what an export writes (its digest is the
     * image id): the config a load read, or the one a commit made. Absent in older logs and for images
     * given an id of their own.
     */
    configBlob: v.optional(BlobDigestSchema),
  }),
);
/** A tag now points at this image. A tag moving from another image first untags that one. */
export const ImageTagged = event("image.tagged", v.strictObject({ tag: v.string() }));
export const ImageUntagged = event("image.untagged", v.strictObject({ tag: v.string() }));
/** The image record is gone. */
export const ImageDeleted = event("image.deleted", v.strictObject({}));

export const ImageEventSchemas = [ImageCreated, ImageTagged, ImageUntagged, ImageDeleted] as const;
export const ImageEventSchema = v.variant("type", ImageEventSchemas);
/** Any event of an image's stream: `{ type, data }`. */
export type ImageEvent = v.InferOutput<typeof ImageEventSchema>;
