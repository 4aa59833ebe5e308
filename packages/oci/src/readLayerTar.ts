/**
 * An untrusted layer tar → `layer.create` entries, streamed: file bytes go to the blob store as they
 * arrive, never the whole layer into memory. Every entry is checked, and the first bad one refuses the
 * whole layer with an {@link OciError} naming it (see entryPath.ts for names):
 *
 * - PAX `SCHILY.xattr.*` records become the entry's xattrs (raw bytes, in base64), except overlayfs's
 *   own `trusted.overlay.*`, which are bookkeeping of a mount, not content, and are left out; a value
 *   over 64 KiB (XATTR_SIZE_MAX: no kernel holds one) is **InvalidEntry**;
 * - whiteouts `.wh.`, `.wh..`, `.wh...` (or any `.wh..wh.` name but the opaque marker) are invalid;
 * - a path given twice, or whited out twice, is a **DuplicateEntry** (a whiteout and an entry of the
 *   same name are not: the whiteout is for the layers below);
 * - hard links must name an earlier regular file or symlink of the same layer (never `..`, never outside);
 * - character and block devices and FIFOs are kept (type, major/minor, mode, owner, time); a character
 *   device 0/0 is overlayfs's whiteout and is read as one (Docker's and containerd's overlay appliers
 *   make it one); anything else (sockets have no tar type; GNU sparse files, volume labels) is refused;
 * - owner ids must fit 32 bits and times must not be before 1970 (the event log keeps no others);
 * - an import with more than `entries.limit` entries, whose files would hold more than `memory.limit`
 *   bytes in memory (a blob store that takes files whole), whose entries carry more than
 *   `headers.limit` bytes of extended headers (or one entry more than `maxEntryHeaderBytes`), or a
 *   layer whose entries would make an event over `maxEventBytes`, is **TooLarge**;
 * - entries under a non-directory of the same layer are refused when the layer is built (LayerError).
 * - a directory entry for the root itself (`.`, `./`) gives the root its mode, owner, time and xattrs;
 *   any other kind of entry there is passed over.
 * The result is only entries with canonical paths: nothing can name anything outside the container root.
 */
import { Readable } from "node:stream";
import type { LayerEntry } from "@strata/core";
import { type BlobStore, LayerError, layerTree, type Tree } from "@strata/fs";
import { entryPath } from "./entryPath.js";
import { entryBytesAtLeast } from "./layerEventBytes.js";
import { STREAM_ABOVE_BYTES } from "./layerTar.js";
import { DEFAULT_LIMITS, describeStreamError, type MemoryBudget, XATTR_SIZE_MAX } from "./limits.js";
import { OciError, type OciWhere } from "./OciError.js";
import { TarFormatError } from "./TarFormatError.js";
import type { TarLayoutRecorder } from "./TarLayoutRecorder.js";
import { TarParser } from "./TarParser.js";
import { feed } from "./tarReader.js";
import { OPAQUE_MARKER, readWhiteout } from "./whiteout.js";

export { entryPath };

export interface ReadLayerOptions {
  /** The layer's digest, for error messages. */
  readonly layer: string;
  /** The layer's position in its image (from 0), for error messages. */
  readonly layerIndex?: number;
  /**
   * Check the entries as a layer on their own (default true). Importers that first resolve writes
   * through symlinks (resolveLayerPaths) check afterwards with `checkLayerEntries`.
   */
  readonly check?: boolean;
  /**
   * The tar entries an import may hold, shared by its layers (each entry counts, skipped ones too).
   * Default: a budget of `maxEntries` for this layer alone.
   */
  readonly entries?: MemoryBudget;
  /**
   * The bytes of file content an import may hold in memory, shared by its layers: counted when the
   * blob store takes files whole (it has no `putStream`). Default: a budget of `maxMemoryBytes`.
   */
  readonly memory?: MemoryBudget;
  /**
   * The most bytes the layer may inflate to: an entry whose header says it is larger is refused from
   * its header, before its data is read (the stream counts the rest). Default: no check here.
   */
  readonly maxLayerBytes?: number;
  /** Records the tar's layout as it is read (what gives the tar back byte for byte, on export). */
  readonly layout?: TarLayoutRecorder;
  /** The most bytes of extended headers one entry may carry (default: `maxEntryHeaderBytes`'s). */
  readonly maxEntryHeaderBytes?: number;
  /**
   * The bytes of extended headers an import's entries may carry, shared by its layers. Default: a
   * budget of `maxHeaderBytes` for this layer alone.
   */
  readonly headers?: MemoryBudget;
  /**
   * The most bytes the layer's `layer.created` event may take: counted from below as the entries are
   * read (default: `maxLayerEventBytes`'s). The importer checks the whole event before appending it.
   */
  readonly maxEventBytes?: number;
}

/** Where each entry came from in the tar: its index (from 0) and name. */
export type EntryOrigins = readonly { readonly index: number; readonly name: string }[];

/** Builds the layer's tree to check its entries; a bad one is an OciError naming the entry. */
export function checkLayerEntries(
  layer: string,
  entries: readonly LayerEntry[],
  origins?: EntryOrigins,
  layerIndex?: number,
): Tree {
  try {
    return layerTree(layer, entries);
  } catch (e) {
    if (e instanceof LayerError) {
      throw new OciError("InvalidEntry", e.message.slice(e.message.indexOf("): ") + 3), {
        layer,
        ...(layerIndex === undefined ? {} : { layerIndex }),
        entry: origins?.[e.entry] ?? { index: e.entry, name: e.path },
      });
    }
    throw e;
  }
}

const U32 = 0xffffffff;
const EMPTY = new Uint8Array(0);
/** The largest device numbers Linux has (12-bit major, 20-bit minor). */
const MAX_MAJOR = 0xfff;
const MAX_MINOR = 0xfffff;

/** Reads the tar from `source` and returns its entries (file contents stored in `blobs`). */
export async function readLayerTar(
  source: Readable,
  blobs: BlobStore,
  options: ReadLayerOptions,
): Promise<LayerEntry[]> {
  return (await readLayerTarEntries(source, blobs, options)).entries;
}

/** Like {@link readLayerTar}, with the tar entry each layer entry came from. */
export async function readLayerTarEntries(
  source: Readable | Iterable<Buffer>,
  blobs: BlobStore,
  options: ReadLayerOptions,
): Promise<{ entries: LayerEntry[]; origins: EntryOrigins }> {
  const layerPlace: OciWhere = {
    layer: options.layer,
    ...(options.layerIndex === undefined ? {} : { layerIndex: options.layerIndex }),
  };
  const where = (index: number, name: string): OciWhere => ({ ...layerPlace, entry: { index, name } });
  const budget = options.entries ?? { used: 0, limit: DEFAULT_LIMITS.maxEntries };
  const memory = options.memory ?? { used: 0, limit: DEFAULT_LIMITS.maxMemoryBytes };
  const headers = options.headers ?? { used: 0, limit: DEFAULT_LIMITS.maxHeaderBytes };
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_LIMITS.maxLayerEventBytes;
  /** The bytes of the layer's event so far, at least. */
  let eventBytes = 0;
  const entries: LayerEntry[] = [];
  const origins: { index: number; name: string }[] = [];
  const seen = new Set<string>();
  const whiteouts = new Set<string>();
  /** The entry last given by the reader, and whether its data is being read. */
  let last: { index: number; name: string } | undefined;
  let inBody = false;
  let emptyDigest: string | undefined;
  /** Entries counted toward the layer's event so far. */
  let counted = 0;
  /** Counts the entries made since toward the layer's event (at least), refusing at the last of them. */
  const countEvent = () => {
    for (; counted < entries.length; counted++)
      eventBytes += entryBytesAtLeast(entries[counted] as LayerEntry);
    const origin = origins[counted - 1];
    if (eventBytes > maxEventBytes && origin !== undefined)
      throw new OciError(
        "TooLarge",
        `the layer's entries up to this one make its event (the entries as the event log stores them, in JSON) more than ${maxEventBytes} bytes, more than the log holds in one event (the limit, maxLayerEventBytes)`,
        where(origin.index, origin.name),
      );
  };
  // The tar is parsed synchronously over the chunks as they come: an await only when the bytes in
  // hand end inside what is being read (a layer of 10,000 small files is a few dozen chunks).
  const parser = new TarParser({
    maxEntryHeaderBytes: options.maxEntryHeaderBytes ?? DEFAULT_LIMITS.maxEntryHeaderBytes,
  });
  const layout = options.layout;
  const input = feed(parser, layout ? tapped(source, parser, layout) : source);
  try {
    for (;;) {
      const step = parser.next();
      if (step === "more") {
        await input.more();
        continue;
      }
      if (step === "end") {
        // The rest is read too, so that the DiffID check hashes the whole stream.
        await input.drain();
        layout?.end(parser.offset);
        break;
      }
      const { index, header: h } = step;
      const name = h.name ?? h.rawName;
      last = { index, name };
      const at = () => where(index, name);
      if (budget.used >= budget.limit)
        throw new OciError(
          "TooLarge",
          `the image has more than ${budget.limit} tar entries (the limit, maxEntries)`,
          at(),
        );
      budget.used += 1;
      headers.used += h.extendedBytes;
      if (headers.used > headers.limit)
        throw new OciError(
          "TooLarge",
          `the image's tar entries carry more than ${headers.limit} bytes of extended headers (PAX records, GNU long names; the limit, maxHeaderBytes)`,
          at(),
        );
      if (entries.length > counted) countEvent();
      if (h.name === undefined)
        throw new OciError(
          "InvalidEntry",
          "the name is not UTF-8 (names are carried exactly or refused, never changed)",
          at(),
        );
      const p0 = entryPath(h.name);
      if ("error" in p0) throw new OciError("Breakout", p0.error, at());
      // The root itself (`./`, as `tar -C dir -cf x.tar .` writes it first): a directory gives the
      // root its metadata (as Docker and umoci apply it); anything else there is passed over (a
      // symlink named `.` never replaces the root).
      if ("skip" in p0 && h.type !== "directory") continue;
      const p = "skip" in p0 ? { path: "/" } : p0;
      const slash = p.path.lastIndexOf("/");
      const dir = slash <= 0 ? "/" : p.path.slice(0, slash);
      const base = p.path.slice(slash + 1);
      const wh = readWhiteout(base);
      if (wh.kind === "invalid") throw new OciError("InvalidWhiteout", wh.reason, at());
      // A character device 0/0 is overlayfs's whiteout (what a tar of an upper directory holds).
      const deviceWhiteout =
        wh.kind === "plain" && h.type === "char-device" && h.devmajor === 0 && h.devminor === 0;
      // A whiteout is for the layers below: an entry of the same name may be in this layer too (either
      // order), as umoci unpacks it and moby applies it. Names and whiteouts are counted apart.
      const whited = wh.kind === "whiteout" ? `${dir === "/" ? "" : dir}/${wh.name}` : p.path;
      const key = wh.kind === "opaque" ? `${dir}/${OPAQUE_MARKER}` : wh.kind === "whiteout" ? "" : p.path;
      if (key !== "" && seen.has(key))
        throw new OciError("DuplicateEntry", `${key} appears twice in the layer`, at());
      if ((wh.kind === "whiteout" || deviceWhiteout) && whiteouts.has(whited))
        throw new OciError("DuplicateEntry", `${whited} is whited out twice in the layer`, at());
      if (key !== "") seen.add(key);
      if (wh.kind === "whiteout" || deviceWhiteout) whiteouts.add(whited);
      if (wh.kind === "opaque") {
        origins.push({ index, name });
        entries.push({ type: "opaque", path: dir });
        continue;
      }
      if (wh.kind === "whiteout" || deviceWhiteout) {
        origins.push({ index, name });
        entries.push({ type: "whiteout", path: whited });
        continue;
      }
      const meta = metadata(h, at);
      const mode = h.mode & 0o7777;
      const linkname = () => {
        if (h.linkname === undefined)
          throw new OciError(
            "InvalidEntry",
            `the link target ${h.rawLinkname} is not UTF-8 (names are carried exactly or refused, never changed)`,
            at(),
          );
        return h.linkname;
      };
      if (options.maxLayerBytes !== undefined && h.size > options.maxLayerBytes)
        throw new OciError(
          "TooLarge",
          `the layer inflates to more than ${options.maxLayerBytes} bytes (the limit, maxLayerBytes): this entry alone holds ${h.size}`,
          at(),
        );
      switch (h.type) {
        case "file": {
          inBody = true;
          // Empty files (many in a layer, and all of an entry bomb) share one blob, stored once.
          if (h.size === 0) emptyDigest ??= blobs.put(EMPTY);
          if (h.size > 0) layout?.fileStart(step.offset, h.size);
          const stored =
            h.size === 0
              ? { digest: emptyDigest as string, size: 0 }
              : await storeFile(parser, input.more, h.size, blobs, memory, at);
          if (h.size > 0) layout?.fileStored(stored.digest);
          inBody = false;
          origins.push({ index, name });
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
          origins.push({ index, name });
          entries.push({ type: "dir", path: p.path, mode, ...meta });
          break;
        case "symlink": {
          const target = linkname();
          if (!target) throw new OciError("InvalidEntry", "a symlink without a target", at());
          origins.push({ index, name });
          entries.push({ type: "symlink", path: p.path, target, ...meta });
          break;
        }
        case "link": {
          const target = entryPath(linkname());
          if (!("path" in target))
            throw new OciError(
              "Breakout",
              `the hard link's target ${JSON.stringify(h.linkname)} leaves the root`,
              at(),
            );
          origins.push({ index, name });
          entries.push({ type: "hardlink", path: p.path, target: target.path });
          break;
        }
        case "char-device":
        case "block-device":
        case "fifo": {
          const fifo = h.type === "fifo";
          const major = fifo ? 0 : h.devmajor;
          const minor = fifo ? 0 : h.devminor;
          if (!(Number.isSafeInteger(major) && major >= 0 && major <= MAX_MAJOR))
            throw new OciError("InvalidEntry", `device major number ${major} is not one Linux has`, at());
          if (!(Number.isSafeInteger(minor) && minor >= 0 && minor <= MAX_MINOR))
            throw new OciError("InvalidEntry", `device minor number ${minor} is not one Linux has`, at());
          origins.push({ index, name });
          entries.push({
            type: "device",
            path: p.path,
            device: fifo ? "fifo" : h.type === "char-device" ? "char" : "block",
            major,
            minor,
            mode,
            ...meta,
          });
          break;
        }
        default:
          throw new OciError(
            "InvalidEntry",
            `entries of tar type '${h.typeflag}' (not a file, directory, link, device or FIFO) are not supported`,
            at(),
          );
      }
    }
    countEvent();
  } catch (e) {
    throw placed(e, layerPlace, last, inBody);
  } finally {
    await input.close();
    if (source instanceof Readable) source.destroy();
  }
  if (options.check ?? true) checkLayerEntries(options.layer, entries, origins, options.layerIndex);
  return { entries, origins };
}

/** `source`, each chunk shown to `layout` as the parser is given it (with what the parser took before). */
function tapped(
  source: Readable | Iterable<Buffer>,
  parser: TarParser,
  layout: TarLayoutRecorder,
): AsyncIterable<Buffer> | Iterable<Buffer> {
  if (Symbol.asyncIterator in source)
    return (async function* () {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        layout.chunk(chunk, parser.offset);
        yield chunk;
      }
    })();
  return (function* () {
    for (const chunk of source) {
      layout.chunk(chunk, parser.offset);
      yield chunk;
    }
  })();
}

/** An error met while reading a layer, as an OciError placed at the entry being read. */
function placed(
  e: unknown,
  layer: OciWhere,
  last: { index: number; name: string } | undefined,
  inBody: boolean,
): OciError {
  if (e instanceof OciError) {
    if (e.entry !== null || last === undefined)
      return e.layerIndex === null && layer.layerIndex !== undefined
        ? e.inLayer(layer.layer as string, layer.layerIndex)
        : e;
    // A limit or a decompression error met in the stream: placed at (or after) the entry being read.
    const where = inBody ? { ...layer, entry: last } : layer;
    const after = inBody ? "" : ` (after tar entry ${last.index + 1} ${JSON.stringify(last.name)})`;
    return new OciError(e.code as "TooLarge", `${e.problem}${after}`, where);
  }
  if (e instanceof TarFormatError) {
    const entry = e.entry ?? { index: (last?.index ?? -1) + 1 };
    const name =
      entry.name ?? (last ? `(the entry after ${JSON.stringify(last.name)})` : "(the first entry)");
    if (e.limit !== undefined)
      return new OciError("TooLarge", `${e.problem} (the limit, maxEntryHeaderBytes)`, {
        ...layer,
        entry: { index: entry.index, name },
      });
    const problem = e.truncated
      ? `the layer is cut short: ${e.problem}`
      : `the layer is not a well-formed tar: ${e.problem} (byte ${e.offset} of the uncompressed layer)`;
    return new OciError("InvalidTar", problem, { ...layer, entry: { index: entry.index, name } });
  }
  const problem = describeStreamError(e);
  if (last === undefined) return new OciError("InvalidTar", problem, layer);
  if (inBody) return new OciError("InvalidTar", problem, { ...layer, entry: last });
  return new OciError(
    "InvalidTar",
    `${problem} (after tar entry ${last.index + 1} ${JSON.stringify(last.name)})`,
    layer,
  );
}

/** Owner and time of an entry, checked: the event log keeps 32-bit ids and times from 1970 on. */
function metadata(
  h: { uid: number; gid: number; mtime: number; xattrs: ReadonlyMap<string, Buffer> },
  at: () => OciWhere,
): { uid: number; gid: number; mtime: number; xattrs?: Record<string, string> } {
  for (const [what, id] of [
    ["owner (uid)", h.uid],
    ["group (gid)", h.gid],
  ] as const)
    if (!(Number.isSafeInteger(id) && id >= 0 && id <= U32))
      throw new OciError("InvalidEntry", `its ${what} ${id} is not a 32-bit id`, at());
  const mtime = h.mtime - (h.mtime % 1000);
  if (!(Number.isSafeInteger(mtime) && mtime >= 0))
    throw new OciError(
      "InvalidEntry",
      `its modification time (${h.mtime / 1000} s from 1970) is before 1970 or beyond any date`,
      at(),
    );
  const xattrs: Record<string, string> = {};
  for (const [xname, value] of h.xattrs) {
    if (value.length > XATTR_SIZE_MAX)
      throw new OciError(
        "InvalidEntry",
        `its extended attribute ${xname} holds ${value.length} bytes, more than Linux holds in one (${XATTR_SIZE_MAX}, XATTR_SIZE_MAX: a container's setxattr would fail with E2BIG)`,
        at(),
      );
    if (!xname.startsWith("trusted.overlay.")) xattrs[xname] = value.toString("base64");
  }
  return {
    uid: h.uid,
    gid: h.gid,
    mtime,
    ...(Object.keys(xattrs).length > 0 ? { xattrs } : {}),
  };
}

/**
 * Stores a file's bytes. A small one is stored in one call, whole (a view of the chunk it lies in, when
 * it does); a large one is streamed into the blob store when it can take a stream (it never sits in
 * memory). A store that takes files whole holds them in memory: they count against `memory`, checked
 * from the header and as the bytes arrive, so a bomb is refused before it is held.
 */
async function storeFile(
  parser: TarParser,
  more: () => Promise<void>,
  size: number,
  blobs: BlobStore,
  memory: MemoryBudget,
  at: () => OciWhere,
): Promise<{ digest: string; size: number }> {
  if (blobs.putStream && size > STREAM_ABOVE_BYTES) return blobs.putStream(bodyOf(parser, more));
  const counted = blobs.putStream === undefined;
  const tooMuch = () =>
    new OciError(
      "TooLarge",
      `the image's files would hold more than ${memory.limit} bytes in memory (the limit, maxMemoryBytes: this blob store keeps contents in memory)`,
      at(),
    );
  if (counted && memory.used + size > memory.limit) throw tooMuch();
  let bytes = size <= STREAM_ABOVE_BYTES ? parser.body() : undefined;
  if (size <= STREAM_ABOVE_BYTES) {
    while (bytes === undefined) {
      await more();
      bytes = parser.body();
    }
  } else {
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const c of bodyOf(parser, more)) {
      length += c.length;
      if (counted && memory.used + length > memory.limit) throw tooMuch();
      chunks.push(c);
    }
    bytes = Buffer.concat(chunks, length);
  }
  if (counted) memory.used += bytes.length;
  return { digest: blobs.put(bytes), size: bytes.length };
}

/** The current entry's data, streamed. */
async function* bodyOf(parser: TarParser, more: () => Promise<void>): AsyncGenerator<Buffer> {
  for (;;) {
    const chunk = parser.bodyChunk();
    if (chunk === undefined) await more();
    else if (chunk.length === 0) return;
    else yield chunk;
  }
}

/** For tests and callers with bytes in hand. */
export function readLayerTarBytes(
  bytes: Uint8Array,
  blobs: BlobStore,
  options: ReadLayerOptions,
): Promise<LayerEntry[]> {
  return readLayerTar(Readable.from([Buffer.from(bytes)]), blobs, options);
}
