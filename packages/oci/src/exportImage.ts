/**
 * Images (or containers, as if committed) → an OCI image layout directory: `oci-layout`, `index.json`,
 * and in `blobs/sha256/` for each image a manifest, a config (its `config` from the image's: Env,
 * Entrypoint, Cmd, Labels…; its platform; `rootfs.diff_ids`; the image's `history` with `empty_layer`)
 * and its layers. Several images go into one layout (`exportImages`); the images of one multi-platform
 * image go under one image index (`platforms`); `format: "docker"` adds what current `docker save`
 * writes beside the layout (`manifest.json`, `repositories`). Layers are streamed: tar → sha256 (the
 * DiffID) → gzip (optional; blocks of 1 MiB compressed in parallel, parallelGzip.ts) → sha256 (the blob
 * digest) → a temporary file renamed to its digest, in chunks of about 1 MiB.
 * Exporting the same images twice gives byte-identical blobs: every byte comes from the log (times from
 * the injected clock, no host state).
 */

import { createHash } from "node:crypto";
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import {
  containerImageConfig,
  findContainer,
  findImage,
  type HistoryEntry,
  type ImageConfig,
  InvalidParameterError,
  NotFoundError,
  type Platform,
} from "@strata/core";
import { commitLayer, emptyTree, IMPLIED_DIR, isEmptyLayer, type Tree } from "@strata/fs";
import { configDiffIds, layerTarOf } from "./diffIds.js";
import { chainIds, hexOf, sha256 } from "./digest.js";
import { imageConfigJson } from "./imageConfigJson.js";
import { layerTarChunks } from "./layerTar.js";
import { MEDIA_TYPES, REF_NAME_ANNOTATION } from "./mediaTypes.js";
import type { OciEngine } from "./OciEngine.js";
import { IMAGE_NAME_ANNOTATION } from "./ociLayoutPlan.js";
import type { ProgressListener } from "./Progress.js";
import { ParallelGzip } from "./parallelGzip.js";
import { DEFAULT_PLATFORM, formatPlatform, platformMatches } from "./platform.js";
import { tarFromLayout } from "./tarFromLayout.js";
import { readTarLayout, TarLayoutError } from "./tarLayout.js";

export interface ExportOptions {
  /** `gzip` (default for OCI layouts) or `none` (plain tar layers; the default for `format: "docker"`). */
  readonly compression?: "gzip" | "none";
  /**
   * Tags to write as `org.opencontainers.image.ref.name` (default: the image's tags, or `latest`). Only
   * with one image.
   */
  readonly tags?: readonly string[];
  /**
   * Other images (tags or ids) that are the same image for other platforms: all go under one image
   * index (each manifest with its `platform`), named by the image's tags. Only with one image.
   */
  readonly platforms?: readonly string[];
  /**
   * `oci` (default): an OCI layout. `docker`: also `manifest.json` and `repositories` beside it, as
   * current `docker save` writes (what `docker load`, skopeo's `docker-archive:` and `podman load` read).
   */
  readonly format?: "oci" | "docker";
  /** Told after each layer is written. */
  readonly onProgress?: ProgressListener;
}

/** A blob written to the layout. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

export interface ExportResult {
  readonly manifest: Descriptor;
  readonly config: Descriptor;
  readonly layers: readonly (Descriptor & { readonly diffId: string })[];
  readonly chainId: string | null;
  readonly platform: Platform;
  /** The image index holding this image's manifest with those of its other platforms, if any. */
  readonly index: Descriptor | null;
}

function writeBlob(dir: string, bytes: Buffer, mediaType: string): Descriptor {
  const digest = sha256(bytes);
  writeFileSync(join(dir, "blobs", "sha256", hexOf(digest)), bytes);
  return { mediaType, digest, size: bytes.length };
}

type LayerDescriptor = Descriptor & { readonly diffId: string };

/**
 * Writes a layer: the tar its layout gives back, byte for byte (an imported or committed layer), checked
 * against the layout's DiffID; else (no layout: older logs, layers made without one; or a layout that
 * does not give its DiffID back) the tar written afresh from the tree, in the one deterministic form.
 */
async function writeLayer(
  dir: string,
  layer: SourceLayer,
  engine: OciEngine,
  compression: "gzip" | "none",
  index: number,
): Promise<LayerDescriptor> {
  const layout = layer.tar === undefined ? undefined : engine.blobs.get(layer.tar);
  if (layout !== undefined) {
    try {
      const { diffId } = readTarLayout(layout);
      const written = await writeTar(dir, tarFromLayout(layout, engine.blobs), compression, index, diffId);
      if (written !== null) return written;
    } catch (e) {
      if (!(e instanceof TarLayoutError)) throw e;
    }
  }
  return (await writeTar(
    dir,
    layerTarChunks(layer.tree, engine.blobs),
    compression,
    index,
  )) as LayerDescriptor;
}

/**
 * Writes a tar's chunks as a layer blob; null (and nothing written) when `expected` is given and the
 * tar is not that DiffID.
 */
async function writeTar(
  dir: string,
  chunks: AsyncIterable<Buffer>,
  compression: "gzip" | "none",
  index: number,
  expected?: string,
): Promise<LayerDescriptor | null> {
  const tmp = join(dir, "blobs", "sha256", `.layer-${index}.tmp`);
  // Written in one loop, synchronously but for reading large files and waiting on the compressing
  // threads: a stream pipeline costs a hand-off between threads per chunk.
  const tarHash = createHash("sha256");
  // Uncompressed, the stored blob is the tar itself: one hash gives both its digest and its diff_id.
  const blobHash = compression === "gzip" ? createHash("sha256") : tarHash;
  const gzip = compression === "gzip" ? new ParallelGzip(6) : undefined;
  let blobSize = 0;
  const fd = openSync(tmp, "w");
  const write = (bytes: Buffer) => {
    if (gzip) blobHash.update(bytes);
    blobSize += bytes.length;
    for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
  };
  try {
    for await (const chunk of chunks) {
      tarHash.update(chunk);
      if (gzip) for (const b of await gzip.push(chunk)) write(b);
      else write(chunk);
    }
    if (gzip) for (const b of await gzip.end()) write(b);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  const diffId = `sha256:${tarHash.digest("hex")}`;
  if (expected !== undefined && diffId !== expected) {
    rmSync(tmp, { force: true });
    return null;
  }
  const digest = gzip ? `sha256:${blobHash.digest("hex")}` : diffId;
  renameSync(tmp, join(dir, "blobs", "sha256", hexOf(digest)));
  return {
    mediaType: compression === "gzip" ? MEDIA_TYPES.layerTarGzip : MEDIA_TYPES.layerTar,
    digest,
    size: blobSize,
    diffId,
  };
}

/** A layer to export: its tree, and its tar layout when the log names one. */
interface SourceLayer {
  readonly tree: Tree;
  readonly tar?: string;
}

/** What an image (or a container, as if committed) is made of, read from the engine. */
interface Source {
  readonly layers: readonly SourceLayer[];
  readonly history: readonly HistoryEntry[];
  readonly config: ImageConfig;
  readonly author: string;
  /** Null: the image's config named no time (it was loaded so), and none is written. */
  readonly created: number | null;
  readonly tags: readonly string[];
  readonly platform: Platform;
  /** The blob of the config an image was loaded or committed with (written again as it is). */
  readonly configBlob?: string;
  /** The image's id (none for a container, exported as if committed). */
  readonly id?: string;
}

function sourceOf(engine: OciEngine, ref: string): Source {
  const core = engine.state;
  const fs = engine.projected;
  const image = findImage(core, ref);
  if (image) {
    const record = image.image;
    // Named by a tag, the image is written under that name only (as `docker save` does); by its id,
    // under the tags it has.
    const layerIds = fs.images.get(record.id)?.layerIds ?? record.layers.map((l) => l.id);
    return {
      layers: layerIds.map((id, i) => {
        const tar = layerTarOf(core, record.layers[i], id);
        return { tree: fs.layers.get(id) ?? emptyTree(IMPLIED_DIR), ...(tar ? { tar } : {}) };
      }),
      // The image's own history (a commit of an unchanged container has an empty-layer entry).
      history: record.history,
      config: record.config,
      author: record.author,
      created: record.undated ? null : record.createdAt,
      tags: image.tag !== null ? [image.tag] : record.tags,
      platform: record.platform ?? DEFAULT_PLATFORM,
      ...(record.configBlob !== undefined ? { configBlob: record.configBlob } : {}),
      id: record.id,
    };
  }
  const container = findContainer(core, ref);
  if (!container) throw new NotFoundError("no-such-image", `No such image or container: ${ref}`);
  const c = fs.containers.get(container.context.id);
  const base = core.images[container.context.imageId];
  if (!c || !base) throw new NotFoundError("no-rw-layer", `container ${ref} has no read-write layer`);
  const baseIds = fs.images.get(base.id)?.layerIds ?? [];
  const top = commitLayer(c.lower, c.upper);
  return {
    layers: [
      ...baseIds.map((id, i) => {
        const tar = layerTarOf(core, base.layers[i], id);
        return { tree: fs.layers.get(id) ?? emptyTree(IMPLIED_DIR), ...(tar ? { tar } : {}) };
      }),
      ...(isEmptyLayer(top) ? [] : [{ tree: top }]),
    ],
    history: [
      ...base.history,
      {
        created: engine.clock.now(),
        createdBy: container.context.config.cmd.join(" "),
        comment: "",
        author: "",
        emptyLayer: isEmptyLayer(top),
      },
    ],
    config: containerImageConfig(container.context.config),
    author: "",
    created: engine.clock.now(),
    tags: [],
    platform: base.platform ?? DEFAULT_PLATFORM,
  };
}

/** Writes the layers, config and manifest of one image; layers already written are reused. */
class LayoutWriter {
  readonly #written = new Map<Tree, LayerDescriptor>();
  #done = 0;
  constructor(
    readonly dir: string,
    readonly engine: OciEngine,
    readonly compression: "gzip" | "none",
    readonly report: (done: number) => void,
  ) {}

  async image(source: Source): Promise<Omit<ExportResult, "index">> {
    const layers: LayerDescriptor[] = [];
    for (const layer of source.layers) {
      let written = this.#written.get(layer.tree);
      if (written === undefined) {
        written = await writeLayer(this.dir, layer, this.engine, this.compression, this.#written.size);
        this.#written.set(layer.tree, written);
      }
      layers.push(written);
      this.report(++this.#done);
    }
    const diffIds = layers.map((l) => l.diffId);
    const p = source.platform;
    const stored = storedConfig(this.engine, source.configBlob, diffIds);
    const configBytes =
      stored ??
      imageConfigJson({
        created: source.created,
        author: source.author,
        platform: p,
        config: source.config,
        history: source.history,
        diffIds,
      });
    const config = writeBlob(this.dir, configBytes, MEDIA_TYPES.config);
    const manifestJson = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config,
      layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    };
    const manifest = writeBlob(this.dir, Buffer.from(JSON.stringify(manifestJson)), MEDIA_TYPES.manifest);
    return { manifest, config, layers, chainId: chainIds(diffIds).at(-1) ?? null, platform: p };
  }
}

/**
 * The config an image was loaded or committed with, byte for byte, when the store holds it and it names
 * the layers as they are written (always, but for a layer whose layout is missing); else undefined.
 */
function storedConfig(
  engine: OciEngine,
  blob: string | undefined,
  diffIds: readonly string[],
): Buffer | undefined {
  const bytes = blob === undefined ? undefined : engine.blobs.get(blob);
  if (bytes === undefined) return undefined;
  const named = configDiffIds(bytes);
  return named !== undefined && named.length === diffIds.length && named.every((d, i) => d === diffIds[i])
    ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : undefined;
}

/** `web:1` → `1`: the ref name OCI tools (umoci, skopeo `oci:dir:NAME`) look a tag up by. */
const refNameOf = (tag: string) => tag.slice(tag.lastIndexOf(":") + 1);

/**
 * `web:1` → `docker.io/library/web:1`: the whole name, as Docker 25+ writes `io.containerd.image.name`
 * (containerd's image store holds names so); a name with a registry stays as it is.
 */
export function qualifiedName(tag: string): string {
  const slash = tag.indexOf("/");
  if (slash < 0) return `docker.io/library/${tag}`;
  const first = tag.slice(0, slash);
  return first === "localhost" || /[.:]/.test(first) ? tag : `docker.io/${tag}`;
}

/**
 * Writes `ref` (an image tag or id, or a container, exported as if committed) as an OCI layout in
 * `dir` (created; existing blobs are reused).
 *
 * @example
 * await exportImage(engine, "web:1", "out/web");   // then: umoci unpack --image out/web:1 bundle
 */
export async function exportImage(
  engine: OciEngine,
  ref: string,
  dir: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  return (await exportImages(engine, [ref], dir, options))[0] as ExportResult;
}

/**
 * Writes several images into one OCI layout in `dir`: each under its own tags (an untagged image as
 * `latest`, as one image alone is), layers they share written once.
 *
 * @example
 * await exportImages(engine, ["web:1", "db:2"], "out/both");
 */
export async function exportImages(
  engine: OciEngine,
  refs: readonly string[],
  dir: string,
  options: ExportOptions = {},
): Promise<ExportResult[]> {
  if (refs.length === 0) throw new InvalidParameterError("no-images", "export: name at least one image");
  if (refs.length > 1 && (options.tags !== undefined || options.platforms !== undefined))
    throw new InvalidParameterError(
      "one-image-option",
      "export: tags and platforms apply to one image; export several images with their own tags",
    );
  const format = options.format ?? "oci";
  const compression = options.compression ?? (format === "docker" ? "none" : "gzip");
  // Refs naming one image (`web:1 web:latest`) write it once, under all the names asked for.
  const sources: Source[] = [];
  for (const ref of refs) {
    const s = sourceOf(engine, ref);
    const same = s.id === undefined ? -1 : sources.findIndex((o) => o.id === s.id);
    if (same < 0) sources.push(s);
    else {
      const o = sources[same] as Source;
      sources[same] = { ...o, tags: [...new Set([...o.tags, ...s.tags])] };
    }
  }
  const others = (options.platforms ?? []).map((ref) => sourceOf(engine, ref));
  const all = [...sources, ...others];
  for (const [i, a] of all.entries())
    for (const b of all.slice(i + 1))
      if (
        others.length > 0 &&
        platformMatches(a.platform, b.platform) &&
        platformMatches(b.platform, a.platform)
      )
        throw new InvalidParameterError(
          "same-platform",
          `export: two of the images are for ${formatPlatform(a.platform)}; the platforms of one image must differ`,
        );

  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const total = all.reduce((n, s) => n + s.layers.length, 0);
  const report = (done: number) => options.onProgress?.({ task: "export", unit: "layers", done, total });
  report(0);
  const writer = new LayoutWriter(dir, engine, compression, report);
  const results: ExportResult[] = [];
  for (const s of sources) results.push({ ...(await writer.image(s)), index: null });
  const platformResults = [];
  for (const s of others) platformResults.push(await writer.image(s));

  /** What index.json names for each image: its manifest, or the index of its platforms. */
  let target: Descriptor[] = results.map((r) => r.manifest);
  if (others.length > 0) {
    const main = results[0] as ExportResult;
    const indexJson = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: [main, ...platformResults].map((r) => ({
        ...r.manifest,
        platform: {
          architecture: r.platform.architecture,
          os: r.platform.os,
          ...(r.platform.variant ? { variant: r.platform.variant } : {}),
        },
      })),
    };
    const index = writeBlob(dir, Buffer.from(JSON.stringify(indexJson)), MEDIA_TYPES.index);
    results[0] = { ...main, index };
    target = [index];
  }
  const tagsOf = (i: number) => {
    const tags = i === 0 && options.tags !== undefined ? options.tags : (sources[i] as Source).tags;
    // An untagged image gets the ref name `latest` for OCI tools; `docker save` names it not at all.
    return tags.length > 0 ? tags : sources.length === 1 && format !== "docker" ? ["latest"] : [];
  };
  const descriptors = sources.flatMap((_, i) => {
    const names = [...new Set(tagsOf(i))].sort();
    const d = target[i] as Descriptor;
    if (names.length === 0) return [d];
    return names.map((tag) => ({
      ...d,
      annotations: {
        ...(tag.includes(":") ? { [IMAGE_NAME_ANNOTATION]: qualifiedName(tag) } : {}),
        [REF_NAME_ANNOTATION]: refNameOf(tag),
      },
    }));
  });
  const indexJson = { schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: descriptors };
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(dir, "index.json"), JSON.stringify(indexJson));
  if (format === "docker") writeDockerManifest(dir, results, tagsOf);
  return results;
}

/**
 * What current `docker save` writes beside the OCI layout: `manifest.json` (per image: its config and
 * layer blobs by path, and its tags) and `repositories` (repository → tag → the top layer's hex).
 */
function writeDockerManifest(
  dir: string,
  results: readonly ExportResult[],
  tagsOf: (i: number) => readonly string[],
): void {
  const blob = (digest: string) => `blobs/sha256/${hexOf(digest)}`;
  const repositories: Record<string, Record<string, string>> = {};
  const manifest = results.map((r, i) => {
    // Real tags only (an untagged image's `latest` ref name is no repository tag).
    const tags = [...new Set(tagsOf(i))].sort().filter((t) => t.includes(":"));
    for (const tag of tags) {
      const colon = tag.lastIndexOf(":");
      const top = r.layers.at(-1);
      if (top === undefined) continue;
      repositories[tag.slice(0, colon)] = {
        ...repositories[tag.slice(0, colon)],
        [tag.slice(colon + 1)]: hexOf(top.diffId),
      };
    }
    return { Config: blob(r.config.digest), RepoTags: tags, Layers: r.layers.map((l) => blob(l.digest)) };
  });
  writeFileSync(join(dir, "manifest.json"), `${JSON.stringify(manifest)}\n`);
  if (Object.keys(repositories).length > 0)
    writeFileSync(join(dir, "repositories"), `${JSON.stringify(repositories)}\n`);
}
