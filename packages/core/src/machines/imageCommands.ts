/**
 * The image machine's input when it decides: a user's command, resolved by `decide`, plus the facts
 * the rules need (which containers use the image, whether it has children, who owns a tag).
 */
import type { HistoryEntry, ImageConfig, Layer, Platform } from "../events/common.js";
import type { ImageStore } from "../events/daemonEvents.js";

export interface ImageCommandBase {
  readonly now: number;
  /** What the user typed to name the image. */
  readonly ref: string;
}

/** A container that uses an image (containers pin images by id). */
export interface ImageUser {
  readonly containerId: string;
  readonly running: boolean;
}

export type ImageMachineCommand =
  | (ImageCommandBase & {
      readonly type: "image.create";
      readonly imageId: string;
      readonly layers: readonly Layer[];
      readonly cmd: readonly string[];
      readonly config: ImageConfig;
      readonly platform?: Platform;
      /** What a loaded image's config says: its creation time, author and history (null: now, none, implied). */
      readonly created: number | null;
      /** The loaded config names no creation time (the image dates from now, and says so on export). */
      readonly undated: boolean;
      readonly author: string;
      readonly history: readonly HistoryEntry[] | null;
      /** Normalised tags, each with the image it points at now (null if none). */
      readonly tags: readonly { readonly tag: string; readonly owner: string | null }[];
      /** The blob holding its config JSON byte for byte (its digest is `imageId`), if any. */
      readonly configBlob?: string;
    })
  | (ImageCommandBase & {
      readonly type: "image.tag";
      readonly tag: string;
      readonly tagOwner: string | null;
    })
  | (ImageCommandBase & {
      readonly type: "image.remove";
      /** Which store's rules apply (they differ: docs/lifecycle.md §Images). */
      readonly store: ImageStore;
      /** The tag the user named, or null when they named the image by id. */
      readonly byTag: string | null;
      readonly force: boolean;
      readonly usedBy: readonly ImageUser[];
      readonly hasChildren: boolean;
      /** Untagged, unused parents that go too when this image is deleted (empty with --no-prune). */
      readonly prunableParents: readonly string[];
    });

export type ImageMachineCommandType = ImageMachineCommand["type"];
