/**
 * An untrusted layer tar → `layer.create` entries, streamed: file bytes go to the blob store as they
 * arrive, never the whole layer into memory. Every entry is checked, and the first bad one refuses the
 * whole layer with an {@link OciError} naming it:
 *
 * - names: a leading `/` or `./` is dropped (as moby and containerd do); a name that is empty, holds a
 *   NUL, or leaves the root through `..` is a **Breakout**; `.` (the root itself) is skipped; a name (or
 *   link target) whose bytes are not UTF-8 is an **InvalidEntry** showing them: names are carried
 *   exactly, never changed into U+FFFD;
 * - PAX `SCHILY.xattr.*` records become the entry's xattrs (raw bytes, in base64), except overlayfs's
 *   own `trusted.overlay.*`, which are bookkeeping of a mount, not content, and are left out;
 * - whiteouts `.wh.`, `.wh..`, `.wh...` (or any `.wh..wh.` name but the opaque marker) are invalid;
 * - a path given twice is a **DuplicateEntry**;
 * - hard links must name an earlier regular file of the same layer (never `..`, never outside);
 * - devices, FIFOs and sockets are refused (the model has no such entries);
 * - entries under a non-directory of the same layer are refused when the layer is built (LayerError).
 * The result is only entries with canonical paths: nothing can name anything outside the container root.
 */
import { Readable } from "node:stream";
import { type LayerEntry, normalizeFsPath } from "@strata/core";
import { type BlobStore, LayerError, layerTree, type Tree } from "@strata/fs";
import { STREAM_ABOVE_BYTES } from "./layerTar.js";
import { OciError } from "./OciError.js";
import { readTar } from "./tarReader.js";
import { OPAQUE_MARKER, readWhiteout } from "./whiteout.js";

/** The canonical path of a tar entry name, or why it is refused. */
export function entryPath(name: string): { path: string } | { skip: true } | { error: string } {
  if (name === "" || name.includes("\0")) return { error: "empty name or NUL in name" };
  let n = name.replace(/^\/+/, "");
  while (n.startsWith("./")) n = n.slice(2);
  n = n.replace(/\/+$/, "");
  if (n === "" || n === ".") return { skip: true };
  const parts: string[] = [];
  for (const part of n.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return { error: "the name leaves the root (..)" };
      parts.pop();
    } else parts.push(part);
  }
  if (parts.length === 0) return { skip: true };
  return { path: normalizeFsPath(`/${parts.join("/")}`) };
}

export interface ReadLayerOptions {
  /** The layer's digest, for error messages. */
  readonly layer: string;
  /**
   * Check the entries as a layer on their own (default true). Importers that first resolve writes
   * through symlinks (resolveLayerPaths) check afterwards with `checkLayerEntries`.
   */
  readonly check?: boolean;
}

/** Builds the layer's tree to check its entries; a bad one is an OciError naming the entry. */
export function checkLayerEntries(
  layer: string,
  entries: readonly LayerEntry[],
  tarIndex?: readonly number[],
): Tree {
  try {
    return layerTree(layer, entries);
  } catch (e) {
    if (e instanceof LayerError) {
      throw new OciError("InvalidEntry", e.message.slice(e.message.indexOf("): ") + 3), {
        layer,
        entry: { index: tarIndex?.[e.entry] ?? e.entry, name: e.path },
      });
    }
    throw e;
  }
}

/** Reads the tar from `source` and returns its entries (file contents stored in `blobs`). */
export async function readLayerTar(
  source: Readable,
  blobs: BlobStore,
  options: ReadLayerOptions,
): Promise<LayerEntry[]> {
  const where = (index: number, name: string) => ({ layer: options.layer, entry: { index, name } });
  const entries: LayerEntry[] = [];
  /** The tar entry index of each element of `entries` (skipped entries make them differ). */
  const tarIndex: number[] = [];
  const seen = new Set<string>();
  let index = -1;
  try {
    for await (const { header: h, body } of readTar(source)) {
      index += 1;
      const name = h.name;
      if (name === undefined)
        throw new OciError(
          "InvalidEntry",
          "the name is not UTF-8 (names are carried exactly or refused, never changed)",
          where(index, h.rawName),
        );
      const p = entryPath(name);
      if ("error" in p) throw new OciError("Breakout", p.error, where(index, name));
      if ("skip" in p) continue;
      const slash = p.path.lastIndexOf("/");
      const dir = slash <= 0 ? "/" : p.path.slice(0, slash);
      const base = p.path.slice(slash + 1);
      const wh = readWhiteout(base);
      if (wh.kind === "invalid") throw new OciError("InvalidWhiteout", wh.reason, where(index, name));
      const key =
        wh.kind === "opaque"
          ? `${dir}/${OPAQUE_MARKER}`
          : wh.kind === "whiteout"
            ? `${dir === "/" ? "" : dir}/${wh.name}`
            : p.path;
      if (seen.has(key))
        throw new OciError("DuplicateEntry", `${key} appears twice in the layer`, where(index, name));
      seen.add(key);
      const xattrs: Record<string, string> = {};
      for (const [xname, value] of h.xattrs)
        if (!xname.startsWith("trusted.overlay.")) xattrs[xname] = value.toString("base64");
      const meta = {
        uid: h.uid,
        gid: h.gid,
        mtime: h.mtime - (h.mtime % 1000),
        ...(Object.keys(xattrs).length > 0 ? { xattrs } : {}),
      };
      const mode = h.mode & 0o7777;
      if (wh.kind === "opaque") {
        tarIndex.push(index);
        entries.push({ type: "opaque", path: dir });
        continue;
      }
      if (wh.kind === "whiteout") {
        tarIndex.push(index);
        entries.push({ type: "whiteout", path: key });
        continue;
      }
      const linkname = () => {
        if (h.linkname === undefined)
          throw new OciError(
            "InvalidEntry",
            `the link target ${h.rawLinkname} is not UTF-8`,
            where(index, name),
          );
        return h.linkname;
      };
      switch (h.type) {
        case "file": {
          // A large file is streamed into the blob store when it can take a stream (it never sits in
          // memory); a small one is stored in one call (a stream per small file costs more than its bytes).
          let stored: { digest: string; size: number };
          if (blobs.putStream && h.size > STREAM_ABOVE_BYTES) stored = await blobs.putStream(body);
          else {
            const chunks: Buffer[] = [];
            for await (const c of body) chunks.push(c);
            const bytes = Buffer.concat(chunks);
            stored = { digest: blobs.put(bytes), size: bytes.length };
          }
          tarIndex.push(index);
          entries.push({
            type: "file",
            path: p.path,
            mode,
            ...meta,
            digest: stored.digest,
            size: stored.size,
          });
          continue;
        }
        case "directory":
          tarIndex.push(index);
          entries.push({ type: "dir", path: p.path, mode, ...meta });
          break;
        case "symlink": {
          const target = linkname();
          if (!target) throw new OciError("InvalidEntry", "a symlink without a target", where(index, name));
          tarIndex.push(index);
          entries.push({ type: "symlink", path: p.path, target, ...meta });
          break;
        }
        case "link": {
          const target = entryPath(linkname());
          if (!("path" in target))
            throw new OciError(
              "Breakout",
              `hard link target ${JSON.stringify(h.linkname)} leaves the root`,
              where(index, name),
            );
          tarIndex.push(index);
          entries.push({ type: "hardlink", path: p.path, target: target.path });
          break;
        }
        default:
          throw new OciError(
            "InvalidEntry",
            `entries of type ${h.type === "other" ? `'${h.typeflag}'` : h.type} are not supported`,
            where(index, name),
          );
      }
    }
  } catch (e) {
    if (e instanceof OciError) throw e;
    throw new OciError(
      "InvalidTar",
      (e as Error).message,
      index >= 0 ? where(index + 1, "?") : { layer: options.layer },
    );
  } finally {
    source.destroy();
  }
  if (options.check ?? true) checkLayerEntries(options.layer, entries, tarIndex);
  return entries;
}

/** For tests and callers with bytes in hand. */
export function readLayerTarBytes(
  bytes: Uint8Array,
  blobs: BlobStore,
  options: ReadLayerOptions,
): Promise<LayerEntry[]> {
  return readLayerTar(Readable.from([Buffer.from(bytes)]), blobs, options);
}
