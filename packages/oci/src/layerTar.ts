/**
 * A layer tree as an OCI layer tar, in one deterministic form, streamed:
 *
 * - entries in pre-order path order, siblings by name in byte order (so `/` sorts before every other
 *   byte); a whiteout `dir/.wh.x` sits where `dir/x` would; an opaque marker `dir/.wh..wh..opq` right
 *   after `dir/`;
 * - names relative (no `./`, no leading `/`), directories ending in `/`; no entry for directories the
 *   layer only implies (their metadata belongs to the layer below), nor for the root unless the layer
 *   gave it its metadata (an imported `./` entry): then `./`, first;
 * - ustar headers (PAX records where a name or value needs them), numeric uid/gid with empty
 *   uname/gname, mode = permission bits, mtime in whole seconds;
 * - whiteouts and the opaque marker are empty regular files with mode 0, uid/gid 0 and mtime 0;
 * - of a hard-link group, the first path carries the data and later ones are typeflag `1` entries
 *   naming it;
 * - extended attributes as PAX `SCHILY.xattr.<name>` records (raw bytes), names in byte order; a
 *   typeflag `1` entry carries none (they belong to the inode its first path wrote);
 * - the archive ends with two zero blocks (an empty layer is exactly 1,024 zero bytes).
 */
import { Readable } from "node:stream";
import { BlobError, type BlobStore, compareNames, type FsNode, type Tree } from "@strata/fs";
import type tar from "tar-stream";
import { BATCH_BYTES, BATCH_FILES, ChunkBuffer } from "./ChunkBuffer.js";
import { END_OF_TAR, padding, type TarHeader, tarHeader } from "./tarHeader.js";
import { OPAQUE_MARKER, whiteoutName } from "./whiteout.js";

type Header = Partial<tar.Header> & {
  name: string;
  xattrs?: readonly (readonly [string, Uint8Array])[];
};

/** An entry's xattrs as PAX records want them: names in byte order, raw values. */
function xattrList(xattrs: Readonly<Record<string, string>> | undefined): { xattrs?: [string, Buffer][] } {
  if (xattrs === undefined) return {};
  const names = Object.keys(xattrs).sort(compareNames);
  return names.length === 0
    ? {}
    : { xattrs: names.map((n) => [n, Buffer.from(xattrs[n] as string, "base64")]) };
}

const EMPTY = new Uint8Array(0);
/**
 * Files up to this size go into and out of the blob store in one call; larger ones are streamed (a
 * stream per small file costs more than its bytes; a large file never sits in memory).
 */
export const STREAM_ABOVE_BYTES = 1024 * 1024;
const seconds = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
const marker = (name: string): Header => ({
  name,
  type: "file",
  size: 0,
  mode: 0,
  uid: 0,
  gid: 0,
  mtime: new Date(0),
  uname: "",
  gname: "",
});

/** The tar entries of a layer, in order (headers and, for files, their content digest). */
export function* layerEntries(tree: Tree): Generator<{ header: Header; digest?: string }> {
  const firstPathOfInode = new Map<string, string>();
  // Pre-order on a stack of its own (a path may have 2,000 components): children pushed last first.
  const stack: [FsNode, string][] = [[tree.root, ""]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, path] = top;
    const isRoot = path === "";
    switch (node.kind) {
      case "dir": {
        // The root only when the layer gave it its metadata (`implied: false`, see FsNode.ts).
        if (isRoot ? node.implied === false : !node.implied) {
          yield {
            header: {
              // The root's own metadata, when a layer gave it: `./` (as `tar -C dir -cf x.tar .`).
              name: isRoot ? "./" : `${path}/`,
              type: "directory",
              mode: node.mode,
              uid: node.uid,
              gid: node.gid,
              mtime: seconds(node.mtime),
              uname: "",
              gname: "",
              ...xattrList(node.xattrs),
            },
          };
        }
        if (node.opaque) yield { header: marker(isRoot ? OPAQUE_MARKER : `${path}/${OPAQUE_MARKER}`) };
        const names = node.children.sortedKeys();
        for (let i = names.length - 1; i >= 0; i--) {
          const name = names[i] as string;
          stack.push([node.children.get(name) as FsNode, isRoot ? name : `${path}/${name}`]);
        }
        continue;
      }
      case "whiteout": {
        const slash = path.lastIndexOf("/");
        yield {
          header: marker(
            slash < 0
              ? whiteoutName(path)
              : `${path.slice(0, slash + 1)}${whiteoutName(path.slice(slash + 1))}`,
          ),
        };
        continue;
      }
      case "device":
        yield {
          header: {
            name: path,
            type:
              node.device === "fifo" ? "fifo" : node.device === "char" ? "character-device" : "block-device",
            mode: node.mode,
            uid: node.uid,
            gid: node.gid,
            mtime: seconds(node.mtime),
            uname: "",
            gname: "",
            ...(node.device === "fifo" ? {} : { devmajor: node.major, devminor: node.minor }),
            ...xattrList(node.xattrs),
          },
        };
        continue;
      case "symlink":
        yield {
          header: {
            name: path,
            type: "symlink",
            linkname: node.target,
            mode: 0o777,
            uid: node.uid,
            gid: node.gid,
            mtime: seconds(node.mtime),
            uname: "",
            gname: "",
            ...xattrList(node.xattrs),
          },
        };
        continue;
      case "file": {
        const inode = tree.inodes.get(node.ino);
        if (!inode) throw new Error(`layer tar: ${path}: missing inode ${node.ino}`);
        const first = firstPathOfInode.get(node.ino);
        const meta = {
          mode: inode.mode,
          uid: inode.uid,
          gid: inode.gid,
          mtime: seconds(inode.mtime),
          uname: "",
          gname: "",
        };
        if (first !== undefined) {
          yield { header: { name: path, type: "link", linkname: first, size: 0, ...meta } };
          continue;
        }
        firstPathOfInode.set(node.ino, path);
        yield {
          header: { name: path, type: "file", size: inode.size, ...meta, ...xattrList(inode.xattrs) },
          digest: inode.digest,
        };
        continue;
      }
    }
  }
}

/**
 * The layer as a tar byte stream, encoded synchronously into chunks of about 1 MiB (a stream per entry
 * costs more than the bytes of a small file). Files up to 1 MiB are read whole from `blobs`, many at a
 * time when it can (`getMany`: what lies together on disk is read in one call); larger ones are
 * streamed from it when it can stream, so a large file never sits in memory.
 */
export function layerTarStream(tree: Tree, blobs: BlobStore): Readable {
  return Readable.from(layerTarChunks(tree, blobs));
}

type Entry = { header: Header; digest?: string };

/** The layer's tar in chunks of about 1 MiB (see {@link layerTarStream}). */
export async function* layerTarChunks(tree: Tree, blobs: BlobStore): AsyncGenerator<Buffer> {
  const out = new ChunkBuffer();
  /** Entries whose contents are read together, and their bytes. */
  let batch: Entry[] = [];
  let batchBytes = 0;
  function* encodeBatch(): Generator<Buffer> {
    const digests = batch.flatMap((e) => (e.digest === undefined ? [] : [e.digest]));
    const contents = digests.length > 1 ? blobs.getMany?.(digests) : undefined;
    for (const { header, digest } of batch) {
      const entry = { ...header, mtime: header.mtime ?? new Date(0) } as TarHeader;
      const content = digest === undefined ? EMPTY : (contents?.get(digest) ?? blobs.get(digest));
      if (content === undefined) throw BlobError.missing(digest as string);
      // As tar-stream did: the size is the content's (empty for everything but files).
      for (const b of tarHeader({ ...entry, size: content.byteLength })) out.push(b);
      out.push(Buffer.from(content.buffer, content.byteOffset, content.byteLength));
      out.push(padding(content.byteLength));
      if (out.full) yield out.take();
    }
    batch = [];
    batchBytes = 0;
  }
  for (const e of layerEntries(tree)) {
    const size = e.header.size ?? 0;
    const stream =
      e.digest !== undefined && size > STREAM_ABOVE_BYTES ? blobs.openStream?.(e.digest) : undefined;
    if (stream) {
      yield* encodeBatch();
      const entry = { ...e.header, mtime: e.header.mtime ?? new Date(0) } as TarHeader;
      for (const b of tarHeader(entry)) out.push(b);
      yield out.take();
      let written = 0;
      for await (const chunk of stream) {
        written += chunk.length;
        yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      }
      if (written !== size)
        throw new Error(
          `layer tar: ${e.header.name}: the blob store gave ${written} bytes for a ${size}-byte file`,
        );
      out.push(padding(size));
      continue;
    }
    batch.push(e);
    batchBytes += size;
    if (batchBytes >= BATCH_BYTES || batch.length >= BATCH_FILES) yield* encodeBatch();
  }
  yield* encodeBatch();
  out.push(END_OF_TAR);
  yield out.take();
}
