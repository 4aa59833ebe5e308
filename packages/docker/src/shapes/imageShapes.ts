/**
 * An image as Docker shows it (API 1.50, the graphdriver store of dockerd 28): the row of `docker images`
 * (`GET /images/json`, moby api/types/image `Summary`), `docker image inspect` (`InspectResponse`, with
 * the OCI image config as `Config`) and `docker history` (`HistoryResponseItem`), each with moby's fields
 * in moby's order (the CLI re-indents inspect's raw JSON). Built from the engine's state and the fs
 * projection (sizes); times from the image's record. Strata has no registry, hence no digests:
 * `RepoDigests` is always empty.
 */
import { type EngineState, type ImageConfig, type ImageRecord, imageStoreOf } from "@strata/core";
import type { FsState } from "@strata/fs";
import { imageSize, layerChainIds, layerSize } from "./imageLayers.js";
import { fullString, parseNormalizedNamed } from "./imageReference.js";
import { rfc3339Nano, unixSeconds } from "./time.js";

/** The platform an image records (an imported one's), else linux/amd64 (images made by Strata). */
export function platformOf(image: ImageRecord): { os: string; architecture: string; variant?: string } {
  const recorded = (image as { platform?: { os: string; architecture: string; variant?: string } }).platform;
  return recorded ?? { os: "linux", architecture: "amd64" };
}

/** The image's tags in dockerd's order: sorted by their fully-qualified form. */
export function sortedTags(tags: readonly string[]): string[] {
  const full = (t: string) => {
    try {
      return fullString(parseNormalizedNamed(t));
    } catch {
      return t;
    }
  };
  return [...tags].sort((a, b) => (full(a) < full(b) ? -1 : full(a) > full(b) ? 1 : 0));
}

const sortedRecord = <T>(entries: [string, T][]): Record<string, T> =>
  Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** `Config` (moby `DockerOCIImageConfig`): each field left out when empty, maps with sorted keys. */
export function ociImageConfig(c: ImageConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (c.user !== "") out.User = c.user;
  if (c.exposedPorts.length > 0) out.ExposedPorts = sortedRecord(c.exposedPorts.map((p) => [p, {}]));
  if (c.env.length > 0) out.Env = [...c.env];
  if (c.entrypoint !== null && c.entrypoint.length > 0) out.Entrypoint = [...c.entrypoint];
  if (c.cmd.length > 0) out.Cmd = [...c.cmd];
  if (c.volumes.length > 0) out.Volumes = sortedRecord(c.volumes.map((v) => [v, {}]));
  if (c.workingDir !== "") out.WorkingDir = c.workingDir;
  if (Object.keys(c.labels).length > 0) out.Labels = sortedRecord(Object.entries(c.labels));
  if (c.stopSignal !== null) out.StopSignal = c.stopSignal;
  if (c.healthcheck !== null) {
    const h = c.healthcheck;
    const ns = (ms: number) => ms * 1_000_000;
    const hc: Record<string, unknown> = {};
    if (h.test.length > 0) hc.Test = [...h.test];
    if (h.intervalMs > 0) hc.Interval = ns(h.intervalMs);
    if (h.timeoutMs > 0) hc.Timeout = ns(h.timeoutMs);
    if (h.startPeriodMs > 0) hc.StartPeriod = ns(h.startPeriodMs);
    if (h.startIntervalMs > 0) hc.StartInterval = ns(h.startIntervalMs);
    if (h.retries > 0) hc.Retries = h.retries;
    out.Healthcheck = hc;
  }
  if (c.onBuild.length > 0) out.OnBuild = [...c.onBuild];
  return out;
}

/** One row of `GET /images/json`; `sharedSize` is -1 ("not computed") unless asked for. */
export function imageSummary(
  image: ImageRecord,
  projection: FsState,
  sharedSize = -1,
): Record<string, unknown> {
  const labels = image.config.labels;
  return {
    Containers: -1,
    Created: unixSeconds(image.createdAt),
    Id: image.id,
    Labels: Object.keys(labels).length > 0 ? sortedRecord(Object.entries(labels)) : null,
    ParentId: image.parentId ?? "",
    RepoDigests: [],
    RepoTags: sortedTags(image.tags),
    SharedSize: sharedSize,
    Size: imageSize(projection, image),
  };
}

/**
 * `SharedSize` of each image (`shared-size=1`): the sizes of its layer chains that another image has too.
 */
export function sharedSizes(images: readonly ImageRecord[], projection: FsState): Map<string, number> {
  const refs = new Map<string, number>();
  for (const image of images) for (const c of layerChainIds(image)) refs.set(c, (refs.get(c) ?? 0) + 1);
  const out = new Map<string, number>();
  for (const image of images) {
    const chains = layerChainIds(image);
    let shared = 0;
    image.layers.forEach((l, i) => {
      if ((refs.get(chains[i] as string) ?? 0) > 1) shared += layerSize(projection, l.id);
    });
    out.set(image.id, shared);
  }
  return out;
}

/** `docker image inspect` (API 1.50). `lastTagTime`: when `docker tag` (or a commit) last tagged it. */
export function imageInspect(
  image: ImageRecord,
  state: EngineState,
  projection: FsState,
  lastTagTime: number | null,
): Record<string, unknown> {
  const platform = platformOf(image);
  const layers = image.layers.map((l) => l.id);
  const comment = image.comment !== "" ? image.comment : (image.history.at(-1)?.comment ?? "");
  return {
    Id: image.id,
    RepoTags: sortedTags(image.tags),
    RepoDigests: [],
    Parent: image.parentId ?? "",
    Comment: comment,
    Created: rfc3339Nano(image.createdAt),
    DockerVersion: "",
    Author: image.author,
    Config: ociImageConfig(image.config),
    Architecture: platform.architecture,
    ...(platform.variant ? { Variant: platform.variant } : {}),
    Os: platform.os,
    Size: imageSize(projection, image),
    GraphDriver: {
      Data: layers.length > 0 ? { Strata: "the image's layers are in the event log (RootFS.Layers)" } : null,
      Name: imageStoreOf(state) === "containerd" ? "overlayfs" : "overlay2",
    },
    RootFS: layers.length > 0 ? { Type: "layers", Layers: layers } : { Type: "layers" },
    Metadata: { LastTagTime: rfc3339Nano(lastTagTime) },
  };
}

/**
 * `docker history` (moby daemon/images/image_history.go): the history entries newest first, each
 * non-empty one with its layer's size; the top entry has the image's id and tags, and each one below
 * takes those of the next parent image the store knows (a commit's parent), the rest `<missing>`.
 */
export function imageHistory(
  image: ImageRecord,
  state: EngineState,
  projection: FsState,
): Record<string, unknown>[] {
  const entries: Record<string, unknown>[] = [];
  let layer = 0;
  for (const h of image.history) {
    let size = 0;
    if (!h.emptyLayer) {
      const l = image.layers[layer];
      if (l) size = layerSize(projection, l.id);
      layer++;
    }
    entries.unshift({
      Comment: h.comment,
      Created: unixSeconds(h.created),
      CreatedBy: h.createdBy,
      Id: "<missing>",
      Size: size,
      Tags: null,
    });
  }
  let cur: ImageRecord | undefined = image;
  for (const entry of entries) {
    if (!cur) break;
    entry.Id = cur.id;
    entry.Tags = cur.tags.length > 0 ? sortedTags(cur.tags) : null;
    const parent: ImageRecord | undefined = cur.parentId === null ? undefined : state.images[cur.parentId];
    cur = parent?.status === "present" ? parent : undefined;
  }
  return entries;
}
