/**
 * Finding the image a user names, as dockerd's graphdriver image service does (`GetImage`): the
 * reference is parsed first (a malformed one is 400 in distribution/reference's words), a full id or
 * digest names an image by id, a name by its tag (`:latest` implied), and failing that the text is tried
 * as an id prefix (an ambiguous prefix names nothing). Not found is 404 `No such image: <familiar
 * name:tag>`. The engine's `findImage` resolves every reference this accepts to the same image.
 */
import { type EngineState, type ImageRecord, NotFoundError } from "@strata/core";
import { familiarString, type ImageReference, parseAnyReference, tagNameOnly } from "./imageReference.js";

export interface ImageFound {
  readonly image: ImageRecord;
  /** The familiar tag it was found by, or null when found by id. */
  readonly tag: string | null;
  readonly ref: ImageReference;
}

/** `No such image: …` for `ref`, in dockerd's words. */
export function noSuchImage(ref: ImageReference): NotFoundError {
  const shown = familiarString(ref.kind === "named" ? tagNameOnly(ref) : ref);
  return new NotFoundError("no-such-image", `No such image: ${shown}`);
}

/** The present image `text` names (throws Docker's 400 or 404). */
export function lookupImage(state: EngineState, text: string): ImageFound {
  const ref = parseAnyReference(text);
  const present = (id: string | undefined) => {
    const image = id === undefined ? undefined : state.images[id];
    return image?.status === "present" ? image : undefined;
  };
  if (ref.kind === "digest") {
    const image = present(ref.digest);
    if (image) return { image, tag: null, ref };
    throw noSuchImage(ref);
  }
  if (ref.digest === null) {
    const tag = familiarString(tagNameOnly(ref));
    const image = present(state.tags[tag]);
    if (image) return { image, tag, ref };
  }
  const prefix = /^(?:sha256:)?([0-9a-f]+)$/.exec(text)?.[1];
  if (prefix !== undefined) {
    const matches = Object.values(state.images).filter(
      (i) => i.status === "present" && i.id.slice("sha256:".length).startsWith(prefix),
    );
    if (matches.length === 1) return { image: matches[0] as ImageRecord, tag: null, ref };
  }
  throw noSuchImage(ref);
}
