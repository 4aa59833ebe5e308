/**
 * What an import is going to read, before it reads a layer: each image (its id, its layers as members
 * of the source, its tags and platform), as the OCI layout walk or a docker `manifest.json` found them.
 */
import { IMAGE_REF_PATTERN, InvalidParameterError, normalizeImageRef, type Platform } from "@strata/core";
import type { Compression } from "./layerStream.js";

/** One layer to read: where its blob is in the source and what it must hash to. */
export interface LayerPlan {
  /** Its DiffID, from the config's `rootfs.diff_ids`. */
  readonly diffId: string;
  /** The member of the source holding its blob. */
  readonly member: string;
  /** How the layer is named in messages: its blob digest (OCI) or its DiffID (docker archives). */
  readonly name: string;
  /** The blob's digest and size as its descriptor says (OCI layouts; docker archives have none). */
  readonly digest?: string;
  readonly size?: number;
  /** From the media type (OCI), or `sniff`: from the blob's first bytes (docker archives). */
  readonly compression: Compression | "sniff";
}

/** One image to import. */
export interface ImagePlan {
  /** The config's digest: the image id (the OCI ImageID). */
  readonly imageId: string;
  readonly layers: readonly LayerPlan[];
  /** The image config, parsed (untrusted: read by importedConfig.ts). */
  readonly config: unknown;
  /** The member of the source holding the config's bytes (kept as they are: their digest is the id). */
  readonly configMember: string;
  readonly tags: readonly string[];
  readonly platform: Platform | undefined;
  /**
   * Asked for (the image, or the chosen platform of an index); false for the other platforms of an
   * index, which are kept too (untagged) when the source holds all their blobs.
   */
  readonly main: boolean;
}

/** A platform of an index that is not imported, and why. */
export interface SkippedPlatform {
  readonly platform: Platform;
  readonly reason: string;
}

/** A tag in its normal form, or an InvalidParameterError in Docker's words. */
export function checkedTag(tag: string): string {
  const normal = normalizeImageRef(tag);
  if (!IMAGE_REF_PATTERN.test(normal))
    throw new InvalidParameterError("invalid-reference", `invalid reference format: ${tag}`);
  return normal;
}

/** A name an archive gives its image as a tag, or undefined when it is not a valid reference. */
export function tagFromName(name: string | undefined): string | undefined {
  if (name === undefined || name === "") return undefined;
  const normal = normalizeImageRef(name);
  return IMAGE_REF_PATTERN.test(normal) ? normal : undefined;
}

/**
 * A tag names one image: of several images a source gives one name, the last keeps it (what
 * `docker load` does when it loads them one after the other); the others lose it.
 */
export function lastTakesEachTag(plans: ImagePlan[]): void {
  const taken = new Set<string>();
  for (let k = plans.length - 1; k >= 0; k--) {
    const p = plans[k] as ImagePlan;
    const tags = p.tags.filter((t) => !taken.has(t));
    for (const t of p.tags) taken.add(t);
    if (tags.length !== p.tags.length) plans[k] = { ...p, tags };
  }
}
