/**
 * The union view of an image or a container, read-only: `stat`, `lookup`, `readdir`, `readFile`,
 * `walk`, `getxattr` and `listxattr`, with overlayfs's lookup rules (see Overlay.ts). Paths are
 * resolved inside the container root; symlinks are followed where the matching system call follows
 * them.
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
  type Stat,
  shown,
  statPair,
  walkPairs,
  xattrsOf,
} from "./Overlay.js";
import { sortNames } from "./PersistentMap.js";
import { checkXattrName } from "./pathLimits.js";
import { resolve } from "./resolvePath.js";

export type { EntryType, Stat };

/** One entry of a walk. */
export interface WalkEntry extends Stat {
  readonly path: string;
  /** Its extended attributes (name → value in base64), when it has any. */
  readonly xattrs?: Readonly<Record<string, string>>;
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
    const op = options.follow === false ? "lstat" : "stat";
    const r = resolve(this.overlay, path, options.follow === false ? "nofollow" : "follow", op);
    if (r.pair === undefined) throw new FsError("ENOENT", op, path);
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
    const r = resolve(this.overlay, path, "follow", "readdir");
    if (r.pair === undefined) throw new FsError("ENOENT", "readdir", path);
    if (shown(r.pair).kind !== "dir") throw new FsError("ENOTDIR", "readdir", path);
    return readdirPair(r.pair);
  }

  /** The bytes of a file (following symlinks). Needs the blob store the content was put in. */
  readFile(path: string): Uint8Array {
    const r = resolve(this.overlay, path, "follow", "open");
    if (r.pair === undefined) throw new FsError("ENOENT", "open", path);
    if (shown(r.pair).kind === "dir") throw new FsError("EISDIR", "read", path);
    if (shown(r.pair).kind === "device")
      throw new FsError("EINVAL", "read", path, "a device or FIFO has no content to read");
    const { digest } = inodeOf(this.overlay, r.pair);
    const bytes = this.#blobs?.get(digest);
    if (bytes === undefined) throw BlobError.missing(digest);
    return bytes;
  }

  /**
   * getxattr(2) (`follow: false`: lgetxattr): the value's bytes. ENODATA when the entry has no such
   * attribute (overlayfs's own `trusted.overlay.*` are never shown).
   */
  getxattr(path: string, name: string, options: { follow?: boolean } = {}): Uint8Array {
    checkXattrName(name, "getxattr", path);
    const r = resolve(this.overlay, path, options.follow === false ? "nofollow" : "follow", "getxattr");
    if (r.pair === undefined) throw new FsError("ENOENT", "getxattr", path);
    const value = xattrsOf(this.overlay, r.pair)?.[name];
    if (value === undefined) throw new FsError("ENODATA", "getxattr", path, `no ${name}`);
    return Buffer.from(value, "base64");
  }

  /** listxattr(2) (`follow: false`: llistxattr): the names, in byte order. */
  listxattr(path: string, options: { follow?: boolean } = {}): string[] {
    const r = resolve(this.overlay, path, options.follow === false ? "nofollow" : "follow", "listxattr");
    if (r.pair === undefined) throw new FsError("ENOENT", "listxattr", path);
    return sortNames(Object.keys(xattrsOf(this.overlay, r.pair) ?? {}));
  }

  /** Every entry under `path` (itself first), in pre-order, names in byte order. Symlinks are not followed. */
  *walk(path = "/"): Generator<WalkEntry> {
    const r = resolve(this.overlay, path, "follow", "walk");
    if (r.pair === undefined) throw new FsError("ENOENT", "walk", path);
    for (const [comps, pair] of walkPairs(this.overlay, r.comps, r.pair)) {
      const xattrs = xattrsOf(this.overlay, pair);
      yield {
        path: comps.length === 0 ? "/" : joinPath("", comps.join("/")),
        ...statPair(this.overlay, pair),
        ...(xattrs === undefined ? {} : { xattrs }),
      };
    }
  }
}
