/**
 * An image's OCI config JSON as Strata writes it, from what the log records of the image: when it was
 * created, its author, platform, runtime config and history, and its layers' DiffIDs. One function, so
 * that the config an export writes and the one whose digest names an image made here (imageNamer.ts)
 * are the same bytes.
 */
import type { HistoryEntry, ImageConfig, Platform } from "@strata/core";
import { ociHistory, ociRuntimeConfig } from "./ociConfig.js";

/** What the config says of an image. */
export interface ImageConfigFacts {
  /** ms since the epoch; null: the config names no time (an image loaded from one that named none). */
  readonly created: number | null;
  readonly author: string;
  readonly platform: Platform;
  readonly config: ImageConfig;
  readonly history: readonly HistoryEntry[];
  readonly diffIds: readonly string[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");

/**
 * The config JSON's bytes (keys in a fixed order, no whitespace).
 *
 * @example
 * const id = sha256(imageConfigJson({ created, author: "", platform, config, history, diffIds }));
 */
export function imageConfigJson(facts: ImageConfigFacts): Buffer {
  const p = facts.platform;
  return Buffer.from(
    JSON.stringify({
      ...(facts.created !== null ? { created: iso(facts.created) } : {}),
      ...(facts.author !== "" ? { author: facts.author } : {}),
      architecture: p.architecture,
      os: p.os,
      ...(p.variant ? { variant: p.variant } : {}),
      config: ociRuntimeConfig(facts.config),
      rootfs: { type: "layers", diff_ids: facts.diffIds },
      // Left out when empty, as Docker's and the image-spec's `omitempty` do.
      ...(facts.history.length > 0 ? { history: ociHistory(facts.history) } : {}),
    }),
  );
}
