/**
 * `fs.*` events: changes to a container's read-write layer, and `layer.created`, the contents of a
 * read-only layer. Core defines them; the fs package gives them meaning (it folds them into layer
 * snapshots and the union view) and checks them before they are appended.
 *
 * Paths are canonical and absolute: `/` or `/a/b`, no `.`/`..` components, no `//`, no trailing `/`;
 * symlinks in the parent path are already resolved. Modes are permission bits (`0o7777` at most),
 * times are ms since the epoch.
 */
import * as v from "valibot";
import { BlobDigestSchema, TimestampSchema } from "./common.js";

/** A canonical absolute path (see the file comment). */
export const FsPathSchema = v.pipe(
  v.string(),
  v.check(
    (p) => p === "/" || (/^(\/[^/\0]+)+$/.test(p) && !p.split("/").some((c) => c === "." || c === "..")),
    "must be a canonical absolute path (/a/b: no ., .., //, trailing / or NUL)",
  ),
);
export const ModeSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(0o7777));
export const OwnerIdSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(0xffffffff));
export const ContentDigestSchema = v.pipe(
  v.string(),
  v.regex(/^sha256:[0-9a-f]{64}$/, "must be sha256: and 64 hex digits"),
);
export const SizeSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/** An extended attribute's name: a namespace the model keeps (`user.`, `security.`, `trusted.`), then a name. */
export const XattrNameSchema = v.pipe(
  v.string(),
  v.regex(/^(user|security|trusted)\.[^\0]+$/, "must be user.*, security.* or trusted.* (no NUL)"),
);
/** An extended attribute's value: bytes, in base64 (at most 64 KiB, XATTR_SIZE_MAX). */
export const XattrValueSchema = v.pipe(
  v.string(),
  v.regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64"),
  v.maxLength(87384, "must be at most 65,536 bytes"),
);
/** Extended attributes by name; values in base64. */
export const XattrsSchema = v.record(XattrNameSchema, XattrValueSchema);

/**
 * The largest content an `fs.fileWritten` carries inline, in its `content` field (4 KiB, a page): a
 * write of at most this many bytes is durable in the same flush as the log, with no blob to make durable
 * first. The same command always gives the same event: the rule is this constant, not a setting.
 */
export const INLINE_CONTENT_MAX_BYTES = 4096;

/** Bytes in base64, padded (`=`), at most {@link INLINE_CONTENT_MAX_BYTES} of them. */
export const InlineContentSchema = v.pipe(
  v.string(),
  v.maxLength(
    Math.ceil(INLINE_CONTENT_MAX_BYTES / 3) * 4,
    `must be at most ${INLINE_CONTENT_MAX_BYTES} bytes`,
  ),
  v.regex(
    /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
    "must be base64 (A-Z a-z 0-9 + /, padded with = to a multiple of 4)",
  ),
);

const event = <T extends string, D extends v.GenericSchema>(type: T, data: D) =>
  v.strictObject({ type: v.literal(type), data });

/** A regular file now has this content and metadata (created, overwritten, appended to or truncated). */
export const FsFileWritten = event(
  "fs.fileWritten",
  v.strictObject({
    path: FsPathSchema,
    digest: ContentDigestSchema,
    size: SizeSchema,
    mode: ModeSchema,
    uid: OwnerIdSchema,
    gid: OwnerIdSchema,
    /** The file's mtime when the write left it as it was (an append of nothing); absent: the event's time. */
    mtime: v.optional(TimestampSchema),
    /**
     * The content itself, in base64, when it is at most {@link INLINE_CONTENT_MAX_BYTES} bytes (events
     * written before inline contents never have it): it hashes to `digest` and is `size` bytes.
     */
    content: v.optional(InlineContentSchema),
  }),
);
export const FsDirCreated = event(
  "fs.dirCreated",
  v.strictObject({
    path: FsPathSchema,
    mode: ModeSchema,
    uid: OwnerIdSchema,
    gid: OwnerIdSchema,
    /** mkdir -p: every missing ancestor of `path` was created too, with the same metadata. */
    parents: v.optional(v.literal(true)),
  }),
);
export const FsSymlinkCreated = event(
  "fs.symlinkCreated",
  v.strictObject({
    path: FsPathSchema,
    target: v.pipe(v.string(), v.minLength(1)),
    uid: OwnerIdSchema,
    gid: OwnerIdSchema,
  }),
);
/** A new name `path` for the existing regular file `target`. */
export const FsHardLinked = event(
  "fs.hardLinked",
  v.strictObject({ path: FsPathSchema, target: FsPathSchema }),
);
/** `path` (and everything under it) is gone from the union view. */
export const FsRemoved = event("fs.removed", v.strictObject({ path: FsPathSchema }));
/** rename(2): `from` now lives at `to`. */
export const FsRenamed = event("fs.renamed", v.strictObject({ from: FsPathSchema, to: FsPathSchema }));
/** `from` (a whole tree) was copied to `to`: the first half of a move that rename(2) refused (EXDEV). */
export const FsCopied = event("fs.copied", v.strictObject({ from: FsPathSchema, to: FsPathSchema }));
export const FsModeChanged = event(
  "fs.modeChanged",
  v.strictObject({ path: FsPathSchema, mode: ModeSchema }),
);
export const FsOwnerChanged = event(
  "fs.ownerChanged",
  v.strictObject({ path: FsPathSchema, uid: OwnerIdSchema, gid: OwnerIdSchema }),
);
export const FsTimesChanged = event(
  "fs.timesChanged",
  v.strictObject({
    path: FsPathSchema,
    mtime: TimestampSchema,
    /** The new access time; absent: the access time is left as it was. */
    atime: v.optional(TimestampSchema),
  }),
);
/** setxattr(2): the extended attribute `name` of `path` now holds `value` (base64). */
export const FsXattrSet = event(
  "fs.xattrSet",
  v.strictObject({ path: FsPathSchema, name: XattrNameSchema, value: XattrValueSchema }),
);
/** removexattr(2), or the kernel dropping `security.capability` on a write or chown. */
export const FsXattrRemoved = event(
  "fs.xattrRemoved",
  v.strictObject({ path: FsPathSchema, name: XattrNameSchema }),
);

export const FsEventSchemas = [
  FsFileWritten,
  FsDirCreated,
  FsSymlinkCreated,
  FsHardLinked,
  FsRemoved,
  FsRenamed,
  FsCopied,
  FsModeChanged,
  FsOwnerChanged,
  FsTimesChanged,
  FsXattrSet,
  FsXattrRemoved,
] as const;
export const FsEventSchema = v.variant("type", FsEventSchemas);
/** Any `fs.*` event: it belongs to the stream of the container whose read-write layer it changes. */
export type FsEvent = v.InferOutput<typeof FsEventSchema>;

const meta = {
  mode: ModeSchema,
  uid: OwnerIdSchema,
  gid: OwnerIdSchema,
  mtime: TimestampSchema,
  xattrs: v.optional(XattrsSchema),
};

/**
 * One entry of a read-only layer, in the vocabulary of an OCI changeset: a file, directory, symlink,
 * hard link (to an earlier file entry of the same layer), device (a character or block device with its
 * major and minor numbers, or a FIFO, whose numbers are 0), whiteout (hides the path below), or opaque
 * marker (hides everything below the directory `path`).
 */
export const LayerEntrySchema = v.variant("type", [
  v.strictObject({
    type: v.literal("file"),
    path: FsPathSchema,
    ...meta,
    digest: ContentDigestSchema,
    size: SizeSchema,
  }),
  v.strictObject({ type: v.literal("dir"), path: FsPathSchema, ...meta }),
  v.strictObject({
    type: v.literal("symlink"),
    path: FsPathSchema,
    target: v.pipe(v.string(), v.minLength(1)),
    uid: OwnerIdSchema,
    gid: OwnerIdSchema,
    mtime: TimestampSchema,
    xattrs: v.optional(XattrsSchema),
  }),
  v.strictObject({ type: v.literal("hardlink"), path: FsPathSchema, target: FsPathSchema }),
  v.strictObject({
    type: v.literal("device"),
    path: FsPathSchema,
    device: v.picklist(["char", "block", "fifo"]),
    /** Linux's device numbers: a 12-bit major and a 20-bit minor (0 and 0 for a FIFO). */
    major: v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(0xfff)),
    minor: v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(0xfffff)),
    ...meta,
  }),
  v.strictObject({ type: v.literal("whiteout"), path: FsPathSchema }),
  v.strictObject({ type: v.literal("opaque"), path: FsPathSchema }),
]);
export type LayerEntry = v.InferOutput<typeof LayerEntrySchema>;

/**
 * A read-only layer's contents. Its stream is the layer id. An imported layer also names its tar layout:
 * the blob that, with the contents its files name, gives back the tar it was read from byte for byte
 * (then its id is that tar's DiffID); absent in older logs and for layers made without one.
 */
export const LayerCreated = event(
  "layer.created",
  v.strictObject({
    layerId: v.pipe(v.string(), v.regex(/^sha256:[0-9a-f]{64}$/)),
    entries: v.array(LayerEntrySchema),
    tar: v.optional(BlobDigestSchema),
  }),
);
export const LayerEventSchema = v.variant("type", [LayerCreated]);
export type LayerEvent = v.InferOutput<typeof LayerEventSchema>;
