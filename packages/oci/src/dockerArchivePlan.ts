/**
 * A `docker save` archive's `manifest.json` → the images to import: one per entry (`Config`, `RepoTags`,
 * `Layers`), all of them unless `ref` names one by a tag. Layers are named by their path in the
 * archive (`<id>/layer.tar` in older archives, `blobs/sha256/<hex>` in current ones), gzip, zstd or
 * plain (seen from their first bytes); each must inflate to its `diff_id`, checked as it is read.
 */
import { DIGEST_PATTERN, sha256 } from "./digest.js";
import type { ImagePlan, LayerPlan } from "./ImagePlan.js";
import { checkedTag, lastTakesEachTag, tagFromName } from "./ImagePlan.js";
import { type ImageSource, LAYOUT_NAME, parseJson, readAll, readJson } from "./ImageSource.js";
import { MAX_JSON_BYTES } from "./limits.js";
import { OciError } from "./OciError.js";
import { formatPlatform, parsePlatform, platformFrom, platformMatches } from "./platform.js";

interface DockerManifestEntry {
  readonly Config?: unknown;
  readonly RepoTags?: unknown;
  readonly Layers?: unknown;
}

export interface DockerPlanOptions {
  readonly ref?: string;
  readonly tag?: string;
  readonly platform?: string | import("./platform.js").Platform;
  readonly known: (diffId: string) => boolean;
}

export async function planDockerArchive(
  source: ImageSource,
  options: DockerPlanOptions,
): Promise<ImagePlan[]> {
  const manifest = await readJson(source, "manifest.json");
  if (!Array.isArray(manifest)) throw new OciError("InvalidLayout", "manifest.json is not a list of images");
  const entries = manifest as DockerManifestEntry[];
  const tagsOf = (m: DockerManifestEntry) =>
    Array.isArray(m.RepoTags) ? m.RepoTags.filter((t): t is string => typeof t === "string") : [];
  const chosen =
    options.ref === undefined
      ? entries
      : entries.filter((m) =>
          tagsOf(m).some((t) => t === options.ref || tagFromName(t) === tagFromName(options.ref as string)),
        );
  if (chosen.length === 0)
    throw new OciError(
      "InvalidLayout",
      options.ref === undefined
        ? "manifest.json names no image"
        : `no image tagged ${JSON.stringify(options.ref)} in the archive`,
    );
  if (options.tag !== undefined && chosen.length > 1)
    throw new OciError(
      "InvalidLayout",
      `the archive holds ${chosen.length} images and one tag was given: name one with ref`,
    );
  const member = (p: unknown, what: string): string => {
    if (typeof p !== "string" || !LAYOUT_NAME.test(p) || source.size(p) === undefined)
      throw new OciError(
        "InvalidLayout",
        `manifest.json names ${JSON.stringify(p)} as ${what}, not a file of the archive`,
      );
    return p;
  };
  const wanted =
    options.platform === undefined
      ? undefined
      : typeof options.platform === "string"
        ? parsePlatform(options.platform)
        : options.platform;
  const plans: ImagePlan[] = [];
  for (const m of chosen) {
    const configMember = member(m.Config, "the config");
    const size = source.size(configMember) as number;
    if (size > MAX_JSON_BYTES)
      throw new OciError(
        "TooLarge",
        `the config ${configMember} is ${size} bytes: at most ${MAX_JSON_BYTES}`,
      );
    const bytes = await readAll(source.open(configMember), MAX_JSON_BYTES);
    const config = parseJson(bytes, `the config ${configMember}`) as {
      rootfs?: { type?: unknown; diff_ids?: unknown };
      config?: { Cmd?: unknown } | null;
    } | null;
    const diffIds = config?.rootfs?.diff_ids;
    const layerPaths = Array.isArray(m.Layers) ? m.Layers : [];
    if (config?.rootfs?.type !== "layers" || !Array.isArray(diffIds) || diffIds.length !== layerPaths.length)
      throw new OciError(
        "InvalidLayout",
        `the config ${configMember} has ${Array.isArray(diffIds) ? diffIds.length : "no"} diff_ids for ${layerPaths.length} layers`,
      );
    const layers: LayerPlan[] = layerPaths.map((p, i) => {
      const diffId = diffIds[i];
      if (typeof diffId !== "string" || !DIGEST_PATTERN.test(diffId))
        throw new OciError(
          "InvalidLayout",
          `diff_id ${i + 1} of ${configMember} is not sha256:<64 lowercase hex>`,
        );
      if (options.known(diffId)) return { diffId, member: "", name: diffId, compression: "sniff" };
      return { diffId, member: member(p, `layer ${i + 1}`), name: diffId, compression: "sniff" };
    });
    const platform = platformFrom(config);
    if (wanted && !platformMatches(wanted, platform ?? { os: "linux", architecture: "amd64" }))
      throw new OciError(
        "InvalidLayout",
        `the image ${configMember} is for ${formatPlatform(platform ?? { os: "linux", architecture: "amd64" })}, not ${formatPlatform(wanted)}`,
      );
    const tags =
      options.tag !== undefined
        ? [checkedTag(options.tag)]
        : tagsOf(m).flatMap((t) => {
            const tag = tagFromName(t);
            return tag === undefined ? [] : [tag];
          });
    plans.push({ imageId: sha256(bytes), layers, config, configMember, tags, platform, main: true });
  }
  lastTakesEachTag(plans);
  return plans;
}
