/**
 * @strata/fs: replays the log into immutable layer snapshots and union views that behave as Linux
 * overlayfs does; checks every filesystem change against the union before it is appended.
 */
export { applyFsEvent, changesInPlace } from "./applyFsEvent.js";
export type { BlobProblem } from "./BlobError.js";
export { BlobError } from "./BlobError.js";
export type { StageBackend } from "./BlobStage.js";
export { BlobStage, StageLedger } from "./BlobStage.js";
export type { BlobStore, StagedBlobs } from "./BlobStore.js";
export { EMPTY_DIGEST, sha256Digest } from "./BlobStore.js";
export { blobsNamedBy } from "./blobsNamedBy.js";
export { commitLayer, isEmptyLayer } from "./commitLayer.js";
export { copyUp, ensureUpperDir, lowerPositive } from "./copyUp.js";
export type { FsEngineOptions } from "./createFsEngine.js";
export { createFsEngine, FsEngine, viewOf } from "./createFsEngine.js";
export { DiskBlobStore } from "./DiskBlobStore.js";
export type { Change } from "./diff.js";
export { changes, changeset } from "./diff.js";
export { Edit } from "./Edit.js";
export { evolveFs } from "./evolveFs.js";
export type { Errno } from "./FsError.js";
export { FsError } from "./FsError.js";
export { FsFold } from "./FsFold.js";
export type {
  DeviceNode,
  DirNode,
  FileNode,
  FsNode,
  Inode,
  SymlinkNode,
  Tree,
  WhiteoutNode,
  Xattrs,
} from "./FsNode.js";
export { emptyTree } from "./FsNode.js";
export type { ContainerFs, FsState, ImageFs } from "./FsState.js";
export { initialFsState } from "./FsState.js";
export type { FsStateCodecProblem } from "./FsStateCodecError.js";
export { FsStateCodecError } from "./FsStateCodecError.js";
export type { FsProjectionOptions } from "./fsProjection.js";
export { fsProjection } from "./fsProjection.js";
export type {
  FsStateDataJson,
  FsStateJson,
  FsStateMapJson,
  FsStateMapOf,
  FsStateObjectJson,
  FsStateRecordJson,
  FsStateRecordKind,
} from "./fsStateCodec.js";
export { decodeFsState, encodeFsState, FS_STATE_FORMAT, FS_STATE_VERSION } from "./fsStateCodec.js";
export type { InlineBlobStoreOptions } from "./InlineBlobStore.js";
export { InlineBlobStore } from "./InlineBlobStore.js";
export { InlineContentError } from "./InlineContentError.js";
export { carriesInline, inlineContent } from "./inlineContent.js";
export { flatten, IMPLIED_DIR, LayerError, layerTree, stackLayer } from "./layerTree.js";
export type { LookPathContext } from "./lookPath.js";
export { DEFAULT_PATH, lookPath } from "./lookPath.js";
export { MemoryBlobStore } from "./MemoryBlobStore.js";
export type { EntryType, Overlay, Pair, Stat } from "./Overlay.js";
export { compareNames, mapProbe, PersistentMap } from "./PersistentMap.js";
export { checkPathArg, MAX_FILE_BYTES, NAME_MAX, notBytes, PATH_MAX, utf8Length } from "./pathLimits.js";
export type { JsonObject, JsonValue } from "./plainJson.js";
export { processUser } from "./processUser.js";
export type { LastMode, LastType, Resolved } from "./resolvePath.js";
export { MAX_SYMLINK_FOLLOWS, resolve } from "./resolvePath.js";
export { composeLayers, squash } from "./squash.js";
export type { WalkEntry } from "./UnionView.js";
export { UnionView } from "./UnionView.js";
