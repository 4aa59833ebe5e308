/**
 * Images in: an OCI image layout (a directory, or packed in one tar) or a `docker save` archive →
 * events. Each new layer is a `layer.create` (its id is its DiffID, so a layer already known is not
 * stored again), each image an `image.create` whose id is its config's digest (the OCI ImageID).
 *
 * Everything is checked before anything is appended: descriptors' digests and sizes against the bytes,
 * each config's `diff_ids` against its layers (their count and each uncompressed digest), media types,
 * the limits (limits.ts) and every tar entry (readLayerTar.ts, resolveLayerPaths.ts). A refused import
 * appends nothing, and the file contents it had stored are dropped again: it stores them through a
 * stage of the blob store, which takes back only what no one else put or holds (a concurrent import,
 * a container's write of the same bytes).
 */
import { ConflictError, findImage, type LayerEntry, type Platform } from "@strata/core";
import { type BlobStore, emptyTree, IMPLIED_DIR, stackLayer, type Tree } from "@strata/fs";
import { sha256 } from "./digest.js";
import { planDockerArchive } from "./dockerArchivePlan.js";
import type { ImagePlan, SkippedPlatform } from "./ImagePlan.js";
import { archiveSource, directorySource, type ImageSource, readAll } from "./ImageSource.js";
import { importedConfig } from "./importedConfig.js";
import { layerEventBytes } from "./layerEventBytes.js";
import { hashedChunks, openLayerStream, sniffCompression } from "./layerStream.js";
import { type ImportLimits, limitsOf, MAX_JSON_BYTES, type MemoryBudget } from "./limits.js";
import type { OciEngine } from "./OciEngine.js";
import { OciError } from "./OciError.js";
import { planOciLayout } from "./ociLayoutPlan.js";
import { importProgress, type ProgressListener } from "./Progress.js";
import { DEFAULT_PLATFORM } from "./platform.js";
import { checkLayerEntries, readLayerTarEntries } from "./readLayerTar.js";
import { resolveLayerPaths } from "./resolveLayerPaths.js";
import { TarLayoutRecorder } from "./TarLayoutRecorder.js";
import { TarLayoutWriter } from "./tarLayout.js";

export interface ImportOptions extends ImportLimits {
  /** Which image of the layout or archive (its ref name, image name or tag); default: every image. */
  readonly ref?: string;
  /** The tag to give the image (default: the name the layout or archive gives it, if any). */
  readonly tag?: string;
  /**
   * Which platform of an image index to import as the image (`linux/arm64`, `linux/arm/v7`); default:
   * the host's. The other platforms are kept too, untagged.
   */
  readonly platform?: string | Platform;
  /** Told as the layer blobs are read (bytes of the blobs as stored). */
  readonly onProgress?: ProgressListener;
  /**
   * An image asked for that the engine holds already: `refuse` (default: a ConflictError before anything
   * is read), or `tag`: it is not read again, only given the tags the source names (what `docker load`
   * does), and listed with the images imported.
   */
  readonly existing?: "refuse" | "tag";
}

/** One image an import created. */
export interface ImportedImage {
  readonly imageId: string;
  readonly layerIds: readonly string[];
  readonly tags: readonly string[];
  readonly platform: Platform;
  /** Asked for (false: another platform of an image index, kept beside the one asked for). */
  readonly main: boolean;
}

export interface ImportResult {
  /** The first image asked for (of several platforms: the chosen one). */
  readonly imageId: string;
  readonly layerIds: readonly string[];
  /** Every image the import created, those asked for first. */
  readonly images: readonly ImportedImage[];
  /** Platforms of an image index that were not imported: the layout does not hold their blobs. */
  readonly skipped: readonly SkippedPlatform[];
}

/**
 * Imports the image(s) of the OCI layout in directory `dir` (or of a `docker save` archive extracted
 * there) into `engine`.
 *
 * @example
 * const { imageId } = await importImage(engine, "out/web", { tag: "web:imported" });
 */
export async function importImage(
  engine: OciEngine,
  dir: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  return importFrom(engine, directorySource(dir), options);
}

/**
 * Imports the image(s) of an archive: an OCI layout packed in one tar (`oci-archive`, `podman save`),
 * or a `docker save` archive (old or current format), plain or gzip-compressed. The archive is read in
 * place, never extracted (a compressed one is inflated into a temporary file first, then removed).
 *
 * @example
 * await importImageArchive(engine, "busybox.tar", { tag: "busybox:imported" });
 */
export async function importImageArchive(
  engine: OciEngine,
  file: string,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const source = await archiveSource(file);
  try {
    return await importFrom(engine, source, options);
  } finally {
    source.close?.();
  }
}

async function importFrom(
  engine: OciEngine,
  source: ImageSource,
  options: ImportOptions,
): Promise<ImportResult> {
  const limits = limitsOf(options);
  const known = (diffId: string) => engine.projected.layers.has(diffId);
  let plans: ImagePlan[];
  let skipped: SkippedPlatform[] = [];
  if (source.size("oci-layout") !== undefined) {
    ({ plans, skipped } = await planOciLayout(source, { ...options, known }));
  } else if (source.size("manifest.json") !== undefined) {
    plans = await planDockerArchive(source, { ...options, known });
  } else {
    throw new OciError(
      "InvalidLayout",
      `${source.description} holds neither an OCI layout (oci-layout, index.json) nor a docker save manifest.json`,
    );
  }
  // An image already held: asked for, it is a conflict (before anything is read); another platform of
  // an index is kept already.
  const wanted: ImagePlan[] = [];
  /** Images held already that only get their tags (`existing: "tag"`). */
  const held: ImagePlan[] = [];
  const seen = new Map<string, { list: ImagePlan[]; at: number }>();
  for (const p of plans) {
    const known = seen.get(p.imageId);
    if (known !== undefined) {
      // One image named twice (its tags add up; asked for once means asked for).
      const first = known.list[known.at] as ImagePlan;
      known.list[known.at] = {
        ...first,
        main: first.main || p.main,
        tags: [...new Set([...first.tags, ...p.tags])],
      };
      continue;
    }
    const list = findImage(engine.state, p.imageId)?.image.status === "present" ? held : wanted;
    if (list === held && !p.main) continue;
    if (list === held && options.existing !== "tag")
      throw new ConflictError("image-exists", `conflict: image ${p.imageId} already exists`);
    seen.set(p.imageId, { list, at: list.length });
    list.push(p);
  }
  // A store without stages takes nothing back (a refused import leaves what it stored).
  const stage = engine.blobs.stage?.();
  const blobs = stage ?? engine.blobs;
  const session = new ImportSession(engine, source, blobs, limits, options.onProgress, wanted);
  try {
    for (const plan of wanted) await session.read(plan);
    const imported = wanted.length > 0 ? await session.append() : [];
    const retagged: ImportedImage[] = [];
    for (const plan of held) {
      for (const tag of plan.tags) {
        if (engine.state.tags[tag] === plan.imageId) continue;
        const r = await engine.execute({ type: "image.tag", image: plan.imageId, tag });
        if (!r.ok) throw r.error;
      }
      const record = engine.state.images[plan.imageId];
      retagged.push({
        imageId: plan.imageId,
        layerIds: record?.layers.map((l) => l.id) ?? plan.layers.map((l) => l.diffId),
        tags: plan.tags,
        platform: plan.platform ?? DEFAULT_PLATFORM,
        main: true,
      });
    }
    // In the order the source names them, those asked for first.
    const byId = new Map([...imported, ...retagged].map((i) => [i.imageId, i]));
    const images = plans
      .map((p) => byId.get(p.imageId))
      .filter((i, k, all): i is ImportedImage => i !== undefined && all.indexOf(i) === k)
      .sort((a, b) => Number(b.main) - Number(a.main));
    const first = images[0] as ImportedImage;
    stage?.keep(); // accepted: its events name what it stored
    return { imageId: first.imageId, layerIds: first.layerIds, images, skipped };
  } catch (e) {
    // Refused: nothing was appended, so no event names what it stored (once an event is appended, the
    // blobs it names stay).
    if (session.appendedAny) stage?.keep();
    else stage?.discard();
    throw e;
  }
}

/** Reads the layers of the planned images, checks them, then appends them all. */
class ImportSession {
  readonly #engine: OciEngine;
  readonly #source: ImageSource;
  readonly #blobs: BlobStore;
  readonly #limits: Required<ImportLimits>;
  readonly #memory: MemoryBudget;
  readonly #entries: MemoryBudget;
  readonly #headers: MemoryBudget;
  readonly #progress: ReturnType<typeof importProgress>;
  /** Layers read in this import: DiffID → tree (and the entries to append, and its tar layout). */
  readonly #read = new Map<string, { tree: Tree; entries: LayerEntry[]; tar: string }>();
  /** The images to create, each with the blob of its config as it was read. */
  readonly #images: { plan: ImagePlan; configBlob: string }[] = [];
  /** Whether an event was appended (then what it names must stay). */
  appendedAny = false;

  constructor(
    engine: OciEngine,
    source: ImageSource,
    blobs: BlobStore,
    limits: Required<ImportLimits>,
    onProgress: ProgressListener | undefined,
    plans: readonly ImagePlan[],
  ) {
    this.#engine = engine;
    this.#source = source;
    this.#blobs = blobs;
    this.#limits = limits;
    this.#memory = { used: 0, limit: limits.maxMemoryBytes };
    this.#entries = { used: 0, limit: limits.maxEntries };
    this.#headers = { used: 0, limit: limits.maxHeaderBytes };
    const total = plans
      .flatMap((p) => p.layers)
      .reduce((n, l) => n + (l.member === "" ? 0 : (l.size ?? source.size(l.member) ?? 0)), 0);
    this.#progress = importProgress(onProgress, total);
  }

  /** Reads, checks and stacks one image's layers. */
  async read(plan: ImagePlan): Promise<void> {
    let below = emptyTree(IMPLIED_DIR);
    for (const [i, layer] of plan.layers.entries()) {
      const size = layer.member === "" ? 0 : (layer.size ?? this.#source.size(layer.member) ?? 0);
      const held = this.#engine.projected.layers.get(layer.diffId) ?? this.#read.get(layer.diffId)?.tree;
      if (held !== undefined) {
        this.#progress.skip(size);
        if (i < plan.layers.length - 1) below = stackLayer(below, held);
        continue;
      }
      const tree = await this.#readLayer(layer, i, below);
      // The layers below the next one (the last needs none: the engine flattens the image itself).
      if (i < plan.layers.length - 1) below = stackLayer(below, tree);
    }
    // The config kept byte for byte: an export writes it again, so the image keeps its id.
    const config = await readAll(this.#source.open(plan.configMember), MAX_JSON_BYTES);
    if (sha256(config) !== plan.imageId)
      throw new OciError(
        "DigestMismatch",
        `the config ${plan.configMember} no longer hashes to ${plan.imageId}`,
      );
    this.#images.push({ plan, configBlob: this.#blobs.put(config) });
  }

  async #readLayer(layer: ImagePlan["layers"][number], i: number, below: Tree): Promise<Tree> {
    const place = { layer: layer.name, layerIndex: i };
    const compression =
      layer.compression === "sniff"
        ? sniffCompression(await headOf(this.#source, layer.member))
        : layer.compression;
    // The tar's layout, kept to give the tar back byte for byte (its compressed bytes count against
    // the memory budget while they are held).
    const writer = new TarLayoutWriter({
      budget: this.#memory,
      tooLarge: () =>
        new OciError(
          "TooLarge",
          `the layer's tar layout (its headers, padding and other bytes that are not file contents) would hold more than ${this.#memory.limit} bytes in memory (the limit, maxMemoryBytes)`,
          place,
        ),
    });
    const options = {
      layer: layer.name,
      layerIndex: i,
      check: false,
      entries: this.#entries,
      maxLayerBytes: this.#limits.maxLayerBytes,
      memory: this.#memory,
      layout: new TarLayoutRecorder(writer),
      headers: this.#headers,
      maxEntryHeaderBytes: this.#limits.maxEntryHeaderBytes,
      maxEventBytes: this.#limits.maxLayerEventBytes,
    };
    let read: Awaited<ReturnType<typeof readLayerTarEntries>>;
    let compressed: { digest: string; size: number };
    let uncompressed: { digest: string; size: number };
    if (compression === "none") {
      // Read synchronously, chunk after chunk, as the tar is parsed: no thread hand-off per chunk.
      const progress = this.#progress;
      const counted = function* (chunks: Iterable<Buffer>) {
        for (const chunk of chunks) {
          progress.skip(chunk.length);
          yield chunk;
        }
      };
      const stream = hashedChunks(counted(this.#source.chunks(layer.member)), this.#limits.maxLayerBytes);
      read = await readLayerTarEntries(stream.tar, this.#blobs, options);
      compressed = uncompressed = stream.result();
    } else {
      const blob = this.#source.open(layer.member);
      this.#progress.watch(blob);
      let stream: ReturnType<typeof openLayerStream>;
      try {
        stream = openLayerStream(blob, compression, this.#limits.maxLayerBytes);
      } catch (e) {
        blob.destroy();
        throw e instanceof OciError ? e.inLayer(layer.name, i) : e;
      }
      read = await readLayerTarEntries(stream.tar, this.#blobs, options);
      compressed = stream.compressed();
      uncompressed = stream.uncompressed();
    }
    const { entries, origins } = read;
    if (layer.digest !== undefined && compressed.digest !== layer.digest)
      throw new OciError("DigestMismatch", `the blob hashes to ${compressed.digest}, not its digest`, place);
    if (uncompressed.digest !== layer.diffId)
      throw new OciError(
        "DigestMismatch",
        `the uncompressed layer hashes to ${uncompressed.digest}, not its diff_id ${layer.diffId}`,
        place,
      );
    const resolved = resolveLayerPaths(below, entries, layer.name, { layerIndex: i, origins });
    const tree = checkLayerEntries(layer.name, resolved, origins, i);
    const tar = this.#blobs.put(writer.finish(uncompressed.digest, uncompressed.size));
    // A store that takes streams keeps blobs on disk: the layout is no longer held in memory.
    if (this.#blobs.putStream) this.#memory.used -= writer.held;
    // The event as it will be appended (paths resolved): refused here, before anything is appended,
    // rather than by the log.
    const limit = this.#limits.maxLayerEventBytes;
    const bytes = layerEventBytes(layer.diffId, resolved, limit, tar);
    if (bytes > limit)
      throw new OciError(
        "TooLarge",
        `its ${resolved.length} entries make an event (the entries as the event log stores them, in JSON) of ${bytes} bytes, more than the log holds in one event (${limit} bytes, the limit maxLayerEventBytes)`,
        place,
      );
    this.#read.set(layer.diffId, { tree, entries: resolved, tar });
    return tree;
  }

  /** Appends the new layers (each once), then the images. */
  async append(): Promise<ImportedImage[]> {
    const created = new Set<string>();
    const out: ImportedImage[] = [];
    for (const { plan, configBlob } of this.#images) {
      for (const layer of plan.layers) {
        const read = this.#read.get(layer.diffId);
        if (
          read === undefined ||
          created.has(layer.diffId) ||
          this.#engine.projected.layers.has(layer.diffId)
        )
          continue;
        created.add(layer.diffId);
        const r = await this.#engine.execute({
          type: "layer.create",
          layerId: layer.diffId,
          entries: read.entries,
          tar: read.tar,
        });
        if (r.ok || r.outcome === "failed") this.appendedAny = true;
        if (!r.ok) throw r.error;
      }
      const ids = plan.layers.map((l) => l.diffId);
      const facts = importedConfig(plan.config, this.#engine.clock.now());
      // A history that names more layers than the image has would misplace them: the implied one then.
      const layered = facts.history?.filter((h) => !h.emptyLayer).length ?? 0;
      const r = await this.#engine.execute({
        type: "image.create",
        imageId: plan.imageId,
        layers: ids.map((id, i) => ({ id, parent: i === 0 ? null : (ids[i - 1] as string) })),
        ...(plan.tags.length > 0 ? { tags: [...plan.tags] } : {}),
        cmd: facts.config.cmd ?? [],
        config: facts.config,
        ...(plan.platform ? { platform: plan.platform } : {}),
        // A config without a time or a history stays so (exported again, it is the same config).
        created: facts.created ?? null,
        ...(facts.author !== undefined ? { author: facts.author } : {}),
        ...(facts.history === undefined
          ? { history: [] }
          : layered <= ids.length
            ? { history: facts.history }
            : {}),
        configBlob,
      });
      if (r.ok || r.outcome === "failed") this.appendedAny = true;
      if (!r.ok) throw r.error;
      out.push({
        imageId: plan.imageId,
        layerIds: ids,
        tags: plan.tags,
        platform: plan.platform ?? DEFAULT_PLATFORM,
        main: plan.main,
      });
    }
    return out.sort((a, b) => Number(b.main) - Number(a.main));
  }
}

/** The first bytes of a member (to see its compression). */
async function headOf(source: ImageSource, member: string): Promise<Buffer> {
  const stream = source.open(member);
  try {
    for await (const chunk of stream) return chunk as Buffer;
    return Buffer.alloc(0);
  } catch (e) {
    throw new OciError("InvalidLayout", `cannot read ${member}: ${(e as Error).message}`);
  } finally {
    stream.destroy();
  }
}
