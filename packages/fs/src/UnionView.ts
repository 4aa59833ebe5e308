/**
 * The union view of an image or a container, read-only: `stat`, `lookup`, `readdir`, `readFile` and
 * `walk`, with overlayfs's lookup rules (see Overlay.ts). Paths are resolved inside the container
 * root; symlinks are followed where the matching system call follows them.
 */
import { joinPath } from "@strata/core";
import { BlobError } from "./BlobError.js";
import type { BlobStore } from "./BlobStore.js";
import { FsError } from "./FsError.js";
import {
  type EntryType,
  inodeOf,
  type Overlay,
  readdirPair,
  resolve,
  type Stat,
  shown,
  statPair,
  walkPairs,
} from "./Overlay.js";

export type { EntryType, Stat };

/** One entry of a walk. */
export interface WalkEntry extends Stat {
  readonly path: string;
}

export class UnionView {
  readonly overlay: Overlay;
  readonly #blobs: BlobStore | undefined;

  constructor(overlay: Overlay, blobs?: BlobStore) {
    this.overlay = overlay;
    this.#blobs = blobs;
  }

  /** stat(2) (`follow: true`, the default) or lstat(2) (`follow: false`). Throws ENOENT, ENOTDIR, ELOOP. */
  stat(path: string, options: { follow?: boolean } = {}): Stat {
    const r = resolve(
      this.overlay,
      path,
      options.follow ?? true,
      options.follow === false ? "lstat" : "stat",
    );
    if (r.pair === undefined) throw new FsError("ENOENT", "stat", path);
    return statPair(this.overlay, r.pair);
  }

  /** Like `stat` with `follow: false`, but undefined instead of an error. */
  lookup(path: string): Stat | undefined {
    try {
      return this.stat(path, { follow: false });
    } catch (e) {
      if (e instanceof FsError) return undefined;
      throw e;
    }
  }

  /** The names in a directory, merged across layers, whiteouts applied, in byte order. */
  readdir(path: string): string[] {
    const r = resolve(this.overlay, path, true, "readdir");
    if (r.pair === undefined) throw new FsError("ENOENT", "readdir", path);
    if (shown(r.pair).kind !== "dir") throw new FsError("ENOTDIR", "readdir", path);
    return readdirPair(r.pair);
  }

  /** The bytes of a file (following symlinks). Needs the blob store the content was put in. */
  readFile(path: string): Uint8Array {
    const r = resolve(this.overlay, path, true, "open");
    if (r.pair === undefined) throw new FsError("ENOENT", "open", path);
    if (shown(r.pair).kind === "dir") throw new FsError("EISDIR", "read", path);
    const { digest } = inodeOf(this.overlay, r.pair);
    const bytes = this.#blobs?.get(digest);
    if (bytes === undefined) throw BlobError.missing(digest);
    return bytes;
  }

  /** Every entry under `path` (itself first), in pre-order, names in byte order. Symlinks are not followed. */
  *walk(path = "/"): Generator<WalkEntry> {
    const r = resolve(this.overlay, path, true, "walk");
    if (r.pair === undefined) throw new FsError("ENOENT", "walk", path);
    for (const [comps, pair] of walkPairs(this.overlay, r.comps, r.pair)) {
      yield {
        path: comps.length === 0 ? "/" : joinPath("", comps.join("/")),
        ...statPair(this.overlay, pair),
      };
    }
  }
}
