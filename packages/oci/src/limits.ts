/**
 * The limits every import applies, whatever its path (a layout directory, an OCI or docker archive),
 * so that a hostile image (a decompression bomb: a few MiB of gzip that inflate to GiBs, or millions of
 * tiny entries) is refused early with a typed `TooLarge` naming the layer, never after exhausting
 * memory or disk. Every layer is streamed: memory stays bounded whatever its size, except for what the
 * engine keeps by design (the entries of the layers it accepts, and file contents when its blob store
 * keeps them in memory, which `maxMemoryBytes` bounds).
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
}

export const DEFAULT_LIMITS: Required<ImportLimits> = Object.freeze({
  maxLayerBytes: 4 * 1024 ** 3,
  maxEntries: 500_000,
  maxMemoryBytes: 512 * 1024 ** 2,
});

/** The largest JSON document (index, manifest, config, `manifest.json`) read: as containerd and skopeo. */
export const MAX_JSON_BYTES = 4 * 1024 * 1024;

/** What an import holds so far (bytes of file content in memory, or tar entries), shared by its layers. */
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
  return {
    maxLayerBytes: pick("maxLayerBytes"),
    maxEntries: pick("maxEntries"),
    maxMemoryBytes: pick("maxMemoryBytes"),
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
