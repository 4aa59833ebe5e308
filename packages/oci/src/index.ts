/**
 * @strata/oci: Strata images as OCI image layouts that real tools accept.
 */
export { exportImageArchive, importImageArchive } from "./archive.js";
export type { BlobDigest, DiffId, Digest } from "./digest.js";
export { chainIds, DIGEST_PATTERN, hexOf, sha256 } from "./digest.js";
export type { Descriptor, ExportOptions, ExportResult } from "./exportImage.js";
export { exportImage } from "./exportImage.js";
export type { ImportOptions, ImportResult } from "./importImage.js";
export { importImage } from "./importImage.js";
export { layerEntries, layerTarStream } from "./layerTar.js";
export { MEDIA_TYPES, REF_NAME_ANNOTATION } from "./mediaTypes.js";
export type { OciEngine } from "./OciEngine.js";
export type { OciErrorCode } from "./OciError.js";
export { OciError } from "./OciError.js";
export type { Progress, ProgressListener } from "./Progress.js";
export type { ReadLayerOptions } from "./readLayerTar.js";
export { entryPath, readLayerTar, readLayerTarBytes } from "./readLayerTar.js";
export type { TarEntry, TarEntryHeader, TarEntryType } from "./tarReader.js";
export { readTar, TarFormatError } from "./tarReader.js";
export type { WhiteoutMeaning } from "./whiteout.js";
export { OPAQUE_MARKER, readWhiteout, WHITEOUT_PREFIX, whiteoutName } from "./whiteout.js";
