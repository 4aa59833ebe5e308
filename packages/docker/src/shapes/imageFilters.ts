/**
 * `docker images` with `all` and `filters`, as moby's graphdriver image service lists them
 * (daemon/images/image_list.go): `dangling` (true: only untagged images without children), `label`
 * (every one must hold), `before`/`since` (an image, by anything that names one: older or newer than
 * it), `until` (created before a time), `reference` (a glob on the familiar `name:tag` or name: only the
 * matching tags are listed). Without `all`, untagged images that have children (intermediate images)
 * are hidden. Newest first.
 */
import type { EngineState, ImageRecord } from "@strata/core";
import { dockerTimestampMs } from "./dockerTimestamp.js";
import { DockerApiError } from "./errors.js";
import { lookupImage } from "./imageLookup.js";
import { familiarMatch, parseNormalizedNamed } from "./imageReference.js";

export const IMAGE_LIST_FILTERS = ["dangling", "label", "before", "since", "reference", "until"] as const;

/** moby `GetBoolOrDefault`: `true`/`1` or `false`/`0`, not both; anything else is 400. */
export function boolFilter(
  filters: ReadonlyMap<string, readonly string[]>,
  key: string,
  fallback: boolean,
): boolean {
  const values = filters.get(key);
  if (values === undefined) return fallback;
  const isFalse = values.includes("0") || values.includes("false");
  const isTrue = values.includes("1") || values.includes("true");
  if (isFalse === isTrue) throw new DockerApiError(400, `invalid filter '${key}=[${values.join(" ")}]'`);
  return isTrue;
}

/** moby `MatchKVList`: every `key` or `key=value` holds of `labels` (no labels: none holds). */
export function labelsMatch(wanted: readonly string[], labels: Readonly<Record<string, string>>): boolean {
  if (wanted.length === 0) return true;
  if (Object.keys(labels).length === 0) return false;
  return wanted.every((w) => {
    const at = w.indexOf("=");
    const key = at < 0 ? w : w.slice(0, at);
    if (!Object.hasOwn(labels, key)) return false;
    return at < 0 || labels[key] === w.slice(at + 1);
  });
}

const hasChildren = (state: EngineState, id: string) =>
  Object.values(state.images).some((i) => i.status === "present" && i.parentId === id);

/** The images `GET /images/json` lists, each with the tags it shows, newest first. */
export function listImages(
  state: EngineState,
  filters: ReadonlyMap<string, readonly string[]>,
  all: boolean,
  now: number,
): { image: ImageRecord; tags: string[] }[] {
  const danglingOnly = boolFilter(filters, "dangling", false);
  let before = Number.POSITIVE_INFINITY;
  let since = Number.NEGATIVE_INFINITY;
  for (const v of filters.get("before") ?? [])
    before = Math.min(before, lookupImage(state, v).image.createdAt);
  for (const v of filters.get("until") ?? []) before = Math.min(before, dockerTimestampMs(v, now));
  for (const v of filters.get("since") ?? []) since = Math.max(since, lookupImage(state, v).image.createdAt);
  const labels = filters.get("label") ?? [];
  const patterns = filters.get("reference");
  const out: { image: ImageRecord; tags: string[] }[] = [];
  for (const image of Object.values(state.images)) {
    if (image.status !== "present") continue;
    const children = hasChildren(state, image.id);
    if (danglingOnly && children) continue;
    if (!(image.createdAt < before && image.createdAt > since)) continue;
    if (filters.has("label") && !labelsMatch(labels, image.config.labels)) continue;
    const tags = image.tags.filter((t) => {
      if (patterns === undefined) return true;
      let ref: ReturnType<typeof parseNormalizedNamed>;
      try {
        ref = parseNormalizedNamed(t);
      } catch {
        return false;
      }
      return patterns.some((p) => familiarMatch(p, ref));
    });
    if (tags.length === 0) {
      if (!(all || !children)) continue;
      if (filters.has("dangling") && !danglingOnly) continue;
      if (patterns !== undefined) continue;
    } else if (danglingOnly) continue;
    out.push({ image, tags });
  }
  return out.sort((a, b) => b.image.createdAt - a.image.createdAt || (a.image.id < b.image.id ? -1 : 1));
}
