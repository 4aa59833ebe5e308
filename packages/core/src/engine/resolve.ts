/**
 * Finding containers and images by what a user types, as Docker does: a container by full id, name,
 * or unique id prefix; an image by tag (`:latest` implied), full id, or unique id prefix.
 */
import { InvalidParameterError } from "../errors.js";
import { normalizeImageRef } from "../ids.js";
import type { ContainerRecord, EngineState, ImageRecord } from "./EngineState.js";

/** The container `ref` names, or undefined. Throws on an ambiguous id prefix. */
export function findContainer(state: EngineState, ref: string): ContainerRecord | undefined {
  const byId = state.containers[ref];
  if (byId) return byId;
  const name = ref.startsWith("/") ? ref.slice(1) : ref;
  const owner = state.names[name];
  if (owner !== undefined) return state.containers[owner];
  if (!/^[0-9a-f]+$/.test(ref)) return undefined;
  const matches = Object.keys(state.containers).filter((id) => id.startsWith(ref));
  if (matches.length > 1) {
    throw new InvalidParameterError("ambiguous-reference", `multiple IDs found with provided prefix: ${ref}`);
  }
  return matches[0] === undefined ? undefined : state.containers[matches[0]];
}

/** How a reference matched an image. */
export interface ImageMatch {
  readonly image: ImageRecord;
  /** The normalised tag when the user named a tag; null when they named an id. */
  readonly tag: string | null;
}

/** The (present) image `ref` names, or undefined (an ambiguous id prefix names none, as in Docker). */
export function findImage(state: EngineState, ref: string): ImageMatch | undefined {
  const idRef = /^(sha256:)?[0-9a-f]{1,64}$/.test(ref) ? ref.replace(/^sha256:/, "") : null;
  if (idRef === null || idRef.length < 64) {
    const tag = normalizeImageRef(ref);
    const owner = state.tags[tag];
    const image = owner === undefined ? undefined : state.images[owner];
    if (image && image.status === "present") return { image, tag };
  }
  if (idRef === null) return undefined;
  const matches = Object.values(state.images).filter(
    (i) => i.status === "present" && i.id.slice("sha256:".length).startsWith(idRef),
  );
  // An ambiguous id prefix names no image (dockerd's image store: `No such image`), unlike a container's.
  if (matches.length !== 1) return undefined;
  return { image: matches[0] as ImageRecord, tag: null };
}
