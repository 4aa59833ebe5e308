/**
 * The limits every import applies, whatever its path (a layout directory, an OCI or docker archive),
 * so that a hostile image (a decompression bomb: a few MiB of gzip that inflate to GiBs, or millions of
 * tiny entries) is refused early with a typed `TooLarge` naming the layer, never after exhausting
 * memory or disk. Every layer is streamed: memory stays bounded whatever its size, except for what the
 * engine keeps by design (the entries of the layers it accepts, bounded by `maxEntries`, `maxHeaderBytes`
 * and the size of a layer's event, and file contents when its blob store keeps them in memory, which
 * `maxMemoryBytes` bounds).
 */

export interface ImportLimits {
  /** Largest layer accepted, counted in uncompressed tar bytes as they are inflated (default 4 GiB). */
  readonly maxLayerBytes?: number;
  /**
   * Most tar entries one import may hold, over all its layers (default 500,000): each costs memory
   * while it is read and checked (about 1 KiB), and the engine keeps the entries of what it accepts.
   */
  readonly maxEntries?: number;
  /**
   * Most bytes of file content one import may hold in memory, counted when the blob store keeps
   * contents in memory (it has no `putStream`, as `MemoryBlobStore`) (default 512 MiB).
   */
  readonly maxMemoryBytes?: number;
  /**
   * Most bytes of extended headers one tar entry may carry: its PAX records (global ones in effect
   * too; its extended attributes among them) and GNU long names (default 1 MiB).
   */
  readonly maxEntryHeaderBytes?: number;
  /**
   * Most bytes of extended headers one import may hold, over all its entries (default 128 MiB): the
   * engine keeps what they say (names, extended attributes) for every entry it accepts.
   */
  readonly maxHeaderBytes?: number;
  /**
   * Most bytes a layer's `layer.created` event may take as the log stores it (its entries as JSON):
   * by default, and at most, {@link MAX_LAYER_EVENT_BYTES}, what the event log holds in one event.
   */
  readonly maxLayerEventBytes?: number;
}

/**
 * The largest `layer.created` event an import appends: the event log's limit for one event (64 MiB
 * less 64 KiB, `MAX_EVENT_BYTES` of @strata/store), less 64 KiB more for the event's stream id, type
 * and keys. A layer whose entries would not fit is refused (`TooLarge`) before anything is appended.
 */
export const MAX_LAYER_EVENT_BYTES = 64 * 1024 * 1024 - 128 * 1024;

/**
 * The largest value of one extended attribute Linux holds (XATTR_SIZE_MAX): a container's setxattr(2)
 * of a larger one fails with E2BIG, so a layer holding one is refused.
 */
export const XATTR_SIZE_MAX = 65536;

export const DEFAULT_LIMITS: Required<ImportLimits> = Object.freeze({
  maxLayerBytes: 4 * 1024 ** 3,
  maxEntries: 500_000,
  maxMemoryBytes: 512 * 1024 ** 2,
  maxEntryHeaderBytes: 1024 ** 2,
  maxHeaderBytes: 128 * 1024 ** 2,
  maxLayerEventBytes: MAX_LAYER_EVENT_BYTES,
});

/** The largest JSON document (index, manifest, config, `manifest.json`) read: as containerd and skopeo. */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;

/** What an import holds so far (bytes of file content in memory, tar entries, header bytes), shared by its layers. */
export interface MemoryBudget {
  used: number;
  readonly limit: number;
}

/** The limits with their defaults filled in. */
export function limitsOf(options: ImportLimits): Required<ImportLimits> {
  const pick = (key: keyof ImportLimits) => {
    const v = options[key];
    if (v === undefined) return DEFAULT_LIMITS[key];
    if (!(typeof v === "number" && v >= 0)) throw new RangeError(`${key} must be a number of at least 0`);
    return v;
  };
  const maxLayerEventBytes = pick("maxLayerEventBytes");
  if (maxLayerEventBytes > MAX_LAYER_EVENT_BYTES)
    throw new RangeError(
      `maxLayerEventBytes must be at most ${MAX_LAYER_EVENT_BYTES} (what the event log holds in one event)`,
    );
  return {
    maxLayerBytes: pick("maxLayerBytes"),
    maxEntries: pick("maxEntries"),
    maxMemoryBytes: pick("maxMemoryBytes"),
    maxEntryHeaderBytes: pick("maxEntryHeaderBytes"),
    maxHeaderBytes: pick("maxHeaderBytes"),
    maxLayerEventBytes,
  };
}

/** A stream error (decompression, reading a file) in words a user follows. */
export function describeStreamError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const message = err?.message ?? String(e);
  if (err?.code === "Z_BUF_ERROR" || /unexpected end of file/i.test(message))
    return "the compressed layer is cut short: its gzip data ends too early";
  if (typeof err?.code === "string" && err.code.startsWith("Z_"))
    return `the compressed layer is damaged: gzip says "${message}"`;
  if (typeof err?.code === "string" && err.code.startsWith("ZSTD_"))
    return `the compressed layer is damaged: zstd says "${message}"`;
  if (typeof err?.code === "string" && /^E[A-Z]+$/.test(err.code))
    return `the layer could not be read: ${message}`;
  return `the layer could not be read: ${message}`;
}
