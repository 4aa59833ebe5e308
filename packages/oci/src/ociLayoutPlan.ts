/**
 * An OCI image layout → the images to import. `index.json` is walked, image indexes nested in it too
 * (an index per multi-platform image, as Docker and buildx write them; Docker's manifest lists as
 * well), up to 4 levels:
 *
 * - every image manifest is a candidate, named by the ref name (`org.opencontainers.image.ref.name`)
 *   and the image name (`io.containerd.image.name`) of the top-level descriptor it is under;
 *   attestation manifests (platform `unknown/unknown`) are not images and are left out;
 * - `ref` keeps the candidates it names;
 * - candidates of one top-level descriptor (a nested index), or with one name (the image name, else the
 *   ref name) and a distinct platform each, or unnamed with a platform each, are the platforms of one
 *   image: the one for the asked platform (default: the host's) is imported and tagged; the others
 *   are kept too, untagged, when the layout holds all their blobs (Docker's own `save` writes an
 *   index naming platforms it holds no blobs of), and listed as skipped otherwise;
 * - every other candidate is an image of its own: a layout with several images imports them all
 *   (`nginx:latest` and `redis:latest`, both of ref name `latest`, are two images); of several that
 *   one name would tag, the last takes it (as `docker load` does).
 *
 * Descriptors are checked (digest form, the blob's size and sha256), JSON documents are at most 4 MiB
 * of UTF-8, and unknown media types are passed over, as the spec asks.
 */
import { DIGEST_PATTERN, hexOf, sha256 } from "./digest.js";
import type { ImagePlan, LayerPlan, SkippedPlatform } from "./ImagePlan.js";
import { checkedTag, lastTakesEachTag, tagFromName } from "./ImagePlan.js";
import { type ImageSource, parseJson, readAll, readJson } from "./ImageSource.js";
import { compressionOf } from "./layerStream.js";
import { MAX_JSON_BYTES } from "./limits.js";
import { MEDIA_TYPES, REF_NAME_ANNOTATION } from "./mediaTypes.js";
import { OciError } from "./OciError.js";
import {
  formatPlatform,
  hostPlatform,
  type Platform,
  parsePlatform,
  platformFrom,
  platformMatches,
} from "./platform.js";

export const IMAGE_NAME_ANNOTATION = "io.containerd.image.name";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
const MANIFESTS = new Set<string>([MEDIA_TYPES.manifest, DOCKER_MANIFEST]);
const INDEXES = new Set<string>([MEDIA_TYPES.index, DOCKER_MANIFEST_LIST]);
const MAX_INDEX_DEPTH = 4;

export interface Descriptor {
  readonly mediaType?: unknown;
  readonly digest?: unknown;
  readonly size?: unknown;
  readonly annotations?: Record<string, unknown>;
  readonly platform?: unknown;
}

/** A descriptor's blob in the source: checks its digest form and its size. */
export function blobOf(source: ImageSource, d: Descriptor, what: string): string {
  if (typeof d.digest !== "string" || !DIGEST_PATTERN.test(d.digest))
    throw new OciError(
      "InvalidLayout",
      `${what}: descriptor digest ${JSON.stringify(d.digest)} is not sha256:<64 lowercase hex>`,
    );
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0)
    throw new OciError("InvalidLayout", `${what}: descriptor ${d.digest} has an invalid size`);
  const member = `blobs/sha256/${hexOf(d.digest)}`;
  const size = source.size(member);
  if (size === undefined)
    throw new MissingBlob(
      `${what}: blob ${d.digest} is missing${source.cutShort ? ` (${source.cutShort})` : ""}`,
    );
  if (size !== d.size)
    throw new OciError(
      "SizeMismatch",
      `${what}: blob ${d.digest} is ${size} bytes, its descriptor says ${d.size}`,
    );
  return member;
}

/** A blob the layout does not hold (allowed by the spec; fatal only for what is asked for). */
export class MissingBlob extends OciError {
  constructor(message: string) {
    super("InvalidLayout", message);
  }
}

/** A JSON blob, checked against its descriptor (size, sha256) before it is parsed. */
async function readBlobJson(
  source: ImageSource,
  d: Descriptor,
  what: string,
): Promise<Record<string, unknown>> {
  const member = blobOf(source, d, what);
  if ((d.size as number) > MAX_JSON_BYTES)
    throw new OciError(
      "TooLarge",
      `${what} is ${d.size} bytes: a JSON document of an image has at most ${MAX_JSON_BYTES}`,
    );
  const bytes = await readAll(source.open(member), MAX_JSON_BYTES);
  if (sha256(bytes) !== d.digest)
    throw new OciError("DigestMismatch", `${what}: blob ${d.digest} does not hash to its digest`);
  const json = parseJson(bytes, what);
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw new OciError("InvalidLayout", `${what} is not a JSON object`);
  return json as Record<string, unknown>;
}

interface Candidate {
  readonly desc: Descriptor;
  readonly group: string;
  readonly refName: string | undefined;
  readonly imageName: string | undefined;
  readonly platform: Platform | undefined;
}

const text = (v: unknown) => (typeof v === "string" ? v : undefined);

export interface OciPlanOptions {
  readonly ref?: string;
  readonly tag?: string;
  readonly platform?: string | Platform;
  /** Whether the engine holds layer `diffId` already (then its blob need not be in the layout). */
  readonly known: (diffId: string) => boolean;
}

/** Reads the layout's index and plans the images to import. */
export async function planOciLayout(
  source: ImageSource,
  options: OciPlanOptions,
): Promise<{ plans: ImagePlan[]; skipped: SkippedPlatform[] }> {
  const layout = (await readJson(source, "oci-layout")) as { imageLayoutVersion?: unknown } | null;
  if (layout?.imageLayoutVersion !== "1.0.0")
    throw new OciError(
      "InvalidLayout",
      `unsupported imageLayoutVersion ${JSON.stringify(layout?.imageLayoutVersion)} (1.0.0 is the only one)`,
    );
  const index = (await readJson(source, "index.json")) as { manifests?: unknown } | null;
  const top = index?.manifests ?? [];
  if (!Array.isArray(top)) throw new OciError("InvalidLayout", "index.json: manifests is not an array");

  const candidates: Candidate[] = [];
  const walk = async (
    descs: unknown[],
    depth: number,
    inherited: Omit<Candidate, "desc" | "platform"> | undefined,
  ) => {
    for (const [i, raw] of descs.entries()) {
      const desc = (raw ?? {}) as Descriptor;
      const mediaType = text(desc.mediaType);
      const named = inherited ?? {
        group: `#${i}`,
        refName: text(desc.annotations?.[REF_NAME_ANNOTATION]),
        imageName: text(desc.annotations?.[IMAGE_NAME_ANNOTATION]),
      };
      if (mediaType !== undefined && INDEXES.has(mediaType)) {
        if (depth >= MAX_INDEX_DEPTH)
          throw new OciError("InvalidLayout", `image indexes nested more than ${MAX_INDEX_DEPTH} deep`);
        const nested = await readBlobJson(source, desc, `image index ${String(desc.digest)}`);
        if (!Array.isArray(nested.manifests))
          throw new OciError(
            "InvalidLayout",
            `image index ${String(desc.digest)}: manifests is not an array`,
          );
        await walk(nested.manifests, depth + 1, named);
        continue;
      }
      if (mediaType === undefined || !MANIFESTS.has(mediaType)) continue; // unknown: passed over
      const platform = platformFrom(desc.platform);
      if (platform?.os === "unknown") continue; // an attestation, not an image
      // A manifest named in index.json: grouped by its whole name (the image name where there is one,
      // as Docker 25+ writes it beside a ref name that is only the tag: `nginx:latest` and
      // `redis:latest` are both `latest`). Unnamed manifests with a platform each are the platforms of
      // one image.
      const name = named.imageName ?? named.refName;
      const group =
        inherited !== undefined
          ? named.group
          : name !== undefined
            ? `name ${name}`
            : platform
              ? "#platforms"
              : named.group;
      candidates.push({ desc, ...named, group, platform });
    }
  };
  await walk(top, 0, undefined);

  const ref = options.ref;
  const chosen =
    ref === undefined
      ? candidates
      : candidates.filter(
          (c) =>
            c.refName === ref || (c.imageName !== undefined && tagFromName(c.imageName) === tagFromName(ref)),
        );
  if (chosen.length === 0)
    throw new OciError(
      "InvalidLayout",
      ref === undefined
        ? "index.json names no image manifest"
        : `no image named ${JSON.stringify(ref)} in the layout`,
    );
  const named = new Map<string, Candidate[]>();
  for (const c of chosen) named.set(c.group, [...(named.get(c.group) ?? []), c]);
  // Manifests under one name are the platforms of one image only when each has a platform of its own;
  // else each manifest is an image of its own (the later one takes the name, as `docker load` does).
  const split = (key: string) => {
    const g = named.get(key) as Candidate[];
    return key.startsWith("name ") && g.length > 1 && !distinctPlatforms(g);
  };
  // In the order index.json gives them (what is read first is refused first, on every path).
  const byName = new Map<string, Candidate[]>();
  for (const c of chosen) {
    const key = split(c.group) ? `${c.group} ${String(c.desc.digest)}` : c.group;
    byName.set(key, [...(byName.get(key) ?? []), c]);
  }
  // The same manifests under several names (a descriptor per tag) are one image with several tags.
  const groups = new Map<string, { candidates: Candidate[]; names: Candidate[] }>();
  for (const g of byName.values()) {
    const key = g
      .map((c) => String(c.desc.digest))
      .sort()
      .join(" ");
    const same = groups.get(key);
    if (same) same.names.push(g[0] as Candidate);
    else groups.set(key, { candidates: g, names: [g[0] as Candidate] });
  }
  if (options.tag !== undefined && groups.size > 1)
    throw new OciError(
      "InvalidLayout",
      `the layout holds ${groups.size} images and one tag was given: name one with ref`,
    );
  const wanted =
    options.platform === undefined
      ? undefined
      : typeof options.platform === "string"
        ? parsePlatform(options.platform)
        : options.platform;

  const plans: ImagePlan[] = [];
  const skipped: SkippedPlatform[] = [];
  for (const { candidates: group, names } of groups.values()) {
    const nameOf = (c: Candidate) =>
      tagFromName(c.imageName) ??
      (c.refName?.includes(":") || c.refName?.includes("/")
        ? tagFromName(c.refName)
        : c.refName !== undefined
          ? tagFromName(`imported:${c.refName}`)
          : undefined);
    const defaultTags = [...new Set(names.map(nameOf).filter((t): t is string => t !== undefined))];
    const tags = options.tag !== undefined ? [checkedTag(options.tag)] : defaultTags;
    if (group.length === 1) {
      const plan = await planImage(source, group[0] as Candidate, options.known, true, tags);
      if (wanted && !platformMatches(wanted, plan.platform ?? { os: "linux", architecture: "amd64" }))
        throw new OciError(
          "InvalidLayout",
          `the image is for ${formatPlatform(plan.platform ?? { os: "linux", architecture: "amd64" })}, not ${formatPlatform(wanted)}`,
        );
      plans.push(plan);
      continue;
    }
    // Several platforms of one image: each candidate's platform (from its descriptor, or its config).
    const offered: { c: Candidate; plan?: ImagePlan; missing?: string; platform: Platform | undefined }[] =
      [];
    for (const c of group) {
      try {
        const plan = await planImage(source, c, options.known, false, []);
        offered.push({ c, plan, platform: c.platform ?? plan.platform });
      } catch (e) {
        if (!(e instanceof MissingBlob)) throw e;
        offered.push({ c, missing: e.message, platform: c.platform });
      }
    }
    const target = wanted ?? hostPlatform();
    const match = offered.find((o) => o.platform !== undefined && platformMatches(target, o.platform));
    if (match === undefined)
      throw new OciError(
        "InvalidLayout",
        `the image has no manifest for ${formatPlatform(target)} (it has ${offered
          .map((o) => (o.platform ? formatPlatform(o.platform) : "an unknown platform"))
          .join(", ")}): choose one with platform`,
      );
    if (match.plan === undefined) throw new OciError("InvalidLayout", match.missing as string);
    plans.push({ ...match.plan, main: true, tags });
    for (const o of offered) {
      if (o === match) continue;
      if (o.plan) plans.push(o.plan);
      else
        skipped.push({
          platform: o.platform ?? { os: "unknown", architecture: "unknown" },
          reason: o.missing as string,
        });
    }
  }
  lastTakesEachTag(plans);
  return { plans, skipped };
}

/** Whether each manifest has a platform on its descriptor, and no two the same. */
function distinctPlatforms(g: readonly Candidate[]): boolean {
  const seen = new Set<string>();
  for (const c of g) {
    if (c.platform === undefined) return false;
    const key = formatPlatform(c.platform);
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

/** A manifest → the plan of its image (a MissingBlob when the layout lacks one of its blobs). */
async function planImage(
  source: ImageSource,
  c: Candidate,
  known: (diffId: string) => boolean,
  main: boolean,
  tags: readonly string[],
): Promise<ImagePlan> {
  const what = `manifest ${String(c.desc.digest)}`;
  const manifest = (await readBlobJson(source, c.desc, what)) as {
    config?: Descriptor;
    layers?: unknown;
    schemaVersion?: unknown;
  };
  if (manifest.schemaVersion !== 2 || !manifest.config || !Array.isArray(manifest.layers))
    throw new OciError("InvalidLayout", `${what} is not an image manifest (schemaVersion 2, config, layers)`);
  const configDesc = manifest.config;
  const config = (await readBlobJson(source, configDesc, `the config of ${what}`)) as {
    rootfs?: { type?: unknown; diff_ids?: unknown };
    config?: { Cmd?: unknown } | null;
  };
  const diffIds = config.rootfs?.diff_ids;
  if (config.rootfs?.type !== "layers" || !Array.isArray(diffIds))
    throw new OciError("InvalidLayout", `the config of ${what}: rootfs must be of type layers with diff_ids`);
  const layers = manifest.layers as Descriptor[];
  if (diffIds.length !== layers.length)
    throw new OciError(
      "InvalidLayout",
      `the config of ${what} has ${diffIds.length} diff_ids for ${layers.length} layers`,
    );
  const plans: LayerPlan[] = layers.map((d, i) => {
    const diffId = diffIds[i];
    if (typeof diffId !== "string" || !DIGEST_PATTERN.test(diffId))
      throw new OciError("InvalidLayout", `diff_id ${i + 1} of ${what} is not sha256:<64 lowercase hex>`);
    const place = { layer: String(d?.digest), layerIndex: i };
    let compression: ReturnType<typeof compressionOf>;
    try {
      compression = compressionOf(String(d?.mediaType));
    } catch (e) {
      throw (e as OciError).inLayer(place.layer, i);
    }
    if (known(diffId)) {
      // Held already: its blob need not be in the layout (it is not read).
      return { diffId, member: "", name: String(d.digest), compression };
    }
    const member = blobOf(source, d, `layer ${i + 1} of ${what}`);
    return {
      diffId,
      member,
      name: d.digest as string,
      digest: d.digest as string,
      size: d.size as number,
      compression,
    };
  });
  return {
    imageId: configDesc.digest as string,
    layers: plans,
    config,
    configMember: blobOf(source, configDesc, `the config of ${what}`),
    tags,
    platform: platformFrom(config) ?? c.platform,
    main,
  };
}
