/**
 * @strata/oci: Strata images as OCI image layouts and `docker save` archives that real tools accept,
 * and such layouts and archives as Strata images, treating every byte as hostile.
 */
export { exportImageArchive, exportImagesArchive, importImageArchive } from "./archive.js";
export type { BlobDigest, DiffId, Digest } from "./digest.js";
export { chainIds, DIGEST_PATTERN, hexOf, sha256 } from "./digest.js";
export type { Descriptor, ExportOptions, ExportResult } from "./exportImage.js";
export { exportImage, exportImages } from "./exportImage.js";
export type { SkippedPlatform } from "./ImagePlan.js";
export type { ImageConfigFacts } from "./imageConfigJson.js";
export { imageConfigJson } from "./imageConfigJson.js";
export { imageNamer } from "./imageNamer.js";
export type { ImportedImage, ImportOptions, ImportResult } from "./importImage.js";
export { importImage } from "./importImage.js";
export { layerEntries, layerTarStream } from "./layerTar.js";
export type { EncodedLayerTar } from "./layerTarSync.js";
export { encodeLayerTar } from "./layerTarSync.js";
export type { ImportLimits } from "./limits.js";
export { DEFAULT_LIMITS, MAX_JSON_BYTES, MAX_LAYER_EVENT_BYTES, XATTR_SIZE_MAX } from "./limits.js";
export { MEDIA_TYPES, REF_NAME_ANNOTATION } from "./mediaTypes.js";
export type { OciEngine } from "./OciEngine.js";
export type { OciErrorCode, OciWhere } from "./OciError.js";
export { OciError } from "./OciError.js";
export { ociRuntimeConfig } from "./ociConfig.js";
export { IMAGE_NAME_ANNOTATION } from "./ociLayoutPlan.js";
export type { Progress, ProgressListener } from "./Progress.js";
export type { Platform } from "./platform.js";
export { formatPlatform, hostPlatform, parsePlatform, platformMatches } from "./platform.js";
export type { EntryOrigins, ReadLayerOptions } from "./readLayerTar.js";
export { entryPath, readLayerTar, readLayerTarBytes } from "./readLayerTar.js";
export { TarLayoutRecorder } from "./TarLayoutRecorder.js";
export { tarFromLayout } from "./tarFromLayout.js";
export type { TarHeader } from "./tarHeader.js";
export { END_OF_TAR, padding, tarHeader } from "./tarHeader.js";
export type { TarLayoutRecord } from "./tarLayout.js";
export { readTarLayout, TarLayoutError, TarLayoutWriter } from "./tarLayout.js";
export type { TarEntry, TarEntryHeader, TarEntryType } from "./tarReader.js";
export { readTar, TarFormatError } from "./tarReader.js";
export type { WhiteoutMeaning } from "./whiteout.js";
export { OPAQUE_MARKER, readWhiteout, WHITEOUT_PREFIX, whiteoutName } from "./whiteout.js";
