/**
 * @strata/docker: the Docker Engine API served from Strata's durable engine (`DockerServer`), and
 * Docker's shapes built from the engine's state, which the CLI prints too.
 */

export type { ContainerArchive } from "./containerArchive.js";
export { archiveContainerPath, statContainerPath } from "./containerArchive.js";
export { copyOwner } from "./containerUser.js";
export type { DockerBackend } from "./DockerBackend.js";
export type { DockerServerOptions, ListenOn } from "./DockerServer.js";
export { DockerServer } from "./DockerServer.js";
export type { ExtractOptions } from "./extractToContainer.js";
export { extractToContainer } from "./extractToContainer.js";
export { followSymlinkInScope } from "./followSymlinkInScope.js";
export { goBase, goClean, goJoin, preserveTrailingDotOrSeparator, splitPathDirEntry } from "./goPath.js";
export type { GoTarEntry } from "./goTarHeader.js";
export { goTarHeader, TAR_END, tarPadding } from "./goTarHeader.js";
export { ListenError } from "./ListenError.js";
export { PastEngine, ReadOnlyPastError } from "./PastEngine.js";
export { ProgramRuntime } from "./ProgramRuntime.js";
export { programExitCode } from "./programExit.js";
export { CONTAINER_FILTERS, labelMatches, matchesContainerFilters } from "./shapes/containerFilters.js";
export {
  containerInspect,
  containerSummary,
  imageShownAs,
  programOf,
  statusText,
} from "./shapes/containerShapes.js";
export { createCommand } from "./shapes/createRequest.js";
export type { DockerEventMessage } from "./shapes/dockerEvents.js";
export {
  DOCKER_ACTIONS,
  DockerEventMapper,
  dockerMessagesOf,
  encodeDockerEvent,
  familiarTag,
} from "./shapes/dockerEvents.js";
export {
  dockerTimestamp,
  dockerTimestampMs,
  nanosToMs,
  parseGoDuration,
  parseRfc3339Like,
  parseUnixTimestamp,
} from "./shapes/dockerTimestamp.js";
export { DockerApiError, dockerError } from "./shapes/errors.js";
export { EventFilter, parseEventFilters, stripTag } from "./shapes/eventFilters.js";
export { execInspect } from "./shapes/execInspect.js";
export type { PathStat } from "./shapes/pathStat.js";
export { goFileMode, pathStat, pathStatHeader } from "./shapes/pathStat.js";
export { API_VERSION, ENGINE_VERSION, infoBody, MIN_API_VERSION, versionBody } from "./shapes/system.js";
export { humanDuration, parseDockerTime, rfc3339Nano, unixSeconds, ZERO_TIME } from "./shapes/time.js";
