/**
 * @strata/core: the container and image lifecycle (xstate v5 machines), the event catalogue,
 * `decide`/`evolve`/`replay`, an in-memory event log and the live `Engine`.
 */

export type { Clock, IdKind, IdSource, SimulatedClock } from "./clock.js";
export { randomIds, sequentialIds, simulatedClock, systemClock } from "./clock.js";
export type {
  Command,
  CommandOfType,
  CommandType,
  ContainerCommand,
  FsCommand,
} from "./commands/commands.js";
export { CommandSchema, parseCommand } from "./commands/commands.js";
// the README's walkthrough
export { runLifecycleDemo } from "./demo/lifecycleDemo.js";
export { applyChanges } from "./engine/applyChanges.js";
export type { ContainerRuntime } from "./engine/ContainerRuntime.js";
export { CoreFold } from "./engine/CoreFold.js";
export type { InvalidSetting } from "./engine/createSettings.js";
export { createSettings } from "./engine/createSettings.js";
export type { DecideResult } from "./engine/decide.js";
export { decide, decideTick, nextDeadline } from "./engine/decide.js";
export type { CommandResult, EngineOptions } from "./engine/Engine.js";
export { Engine } from "./engine/Engine.js";
// engine
export type {
  ContainerContext,
  ContainerRecord,
  ContainerStatus,
  DaemonRecord,
  EngineState,
  ExecInfo,
  HealthInfo,
  ImageRecord,
  LayerRecord,
  PendingRemoval,
  PendingStop,
  ProcessInfo,
} from "./engine/EngineState.js";
export { imageStoreOf, initialState } from "./engine/EngineState.js";
export { withoutCommitLayer } from "./engine/emptyCommit.js";
export { evolve } from "./engine/evolve.js";
export { fillIds } from "./engine/fillIds.js";
export { containerImageConfig, EMPTY_IMAGE_CONFIG } from "./engine/imageConfig.js";
export type { ContainerStateView, ContainerView, ExecView } from "./engine/inspect.js";
export { inspectContainer, inspectExec } from "./engine/inspect.js";
export { changedKeys, changedKeysFully, readTracking } from "./engine/keys.js";
export type {
  ProjectedState,
  Projection,
  ProjectionFold,
  Refined,
  RefinedFailure,
} from "./engine/Projection.js";
export { refinedOutcome, runtimeOf } from "./engine/Projection.js";
export type { Plan, PlannedEvent } from "./engine/plan.js";
export { earliestDeadline, nextDue, plan } from "./engine/plan.js";
export {
  applyEvents,
  applyProjected,
  replay,
  replayProjected,
  replayProjectedTo,
  replayTo,
  stepProjected,
} from "./engine/replay.js";
export type { ImageMatch } from "./engine/resolve.js";
export { findContainer, findImage } from "./engine/resolve.js";
export type { WaitCondition, WaitResult } from "./engine/wait.js";
export { startWait } from "./engine/wait.js";
export type { ErrorCode, Rejection, ValidationIssue } from "./errors.js";
export {
  ConflictError,
  errorFromRejection,
  InvalidParameterError,
  LifecycleError,
  NotFoundError,
  NotModifiedError,
  ReplayError,
  StrataError,
  SystemError,
  ValidationError,
} from "./errors.js";
// events and commands
export type {
  ContainerConfig,
  Healthcheck,
  HistoryEntry,
  ImageConfig,
  Layer,
  Platform,
  RestartPolicy,
  SignalAction,
  SignalHandlers,
  StartError,
} from "./events/common.js";
export type { ContainerEvent } from "./events/containerEvents.js";
export { ContainerEventSchema } from "./events/containerEvents.js";
export type { DaemonEvent, ImageStore } from "./events/daemonEvents.js";
export { DAEMON_STREAM, DaemonEventSchema } from "./events/daemonEvents.js";
export type {
  EventEnvelope,
  EventOfType,
  NewEvent,
  StrataEvent,
  StrataEventType,
} from "./events/envelope.js";
export { EVENT_SCHEMA_VERSION } from "./events/envelope.js";
export type { FsEvent, LayerEntry, LayerEvent } from "./events/fsEvents.js";
export { FsEventSchema, LayerEntrySchema, LayerEventSchema } from "./events/fsEvents.js";
export type { ImageEvent } from "./events/imageEvents.js";
export { ImageEventSchema } from "./events/imageEvents.js";
export { parseEvent } from "./events/parseEvent.js";
export { baseName, joinPath, normalizeFsPath, parentPath, pathComponents } from "./fsPath.js";
export { goQuote } from "./goQuote.js";
// ids, time, errors, signals
export type { Brand, ContainerId, ExecId, ImageId, LayerId } from "./ids.js";
export {
  CONTAINER_NAME_PATTERN,
  IMAGE_REF_PATTERN,
  isHex64,
  isSha256Id,
  normalizeContainerName,
  normalizeImageRef,
  shortId,
} from "./ids.js";
export type { EventListener } from "./log/InMemoryEventLog.js";
export { InMemoryEventLog } from "./log/InMemoryEventLog.js";
export type {
  ContainerMachineCommand,
  ImageFacts,
  Moment,
  ProgramLookup,
} from "./machines/containerCommands.js";
export type {
  ContainerEventInput,
  ContainerMachineInput,
  ContainerMachineState,
} from "./machines/containerMachine.js";
export { containerMachine } from "./machines/containerMachine.js";
// machines
export type { Decided, Decision, EventDraft, Failed, Rejected } from "./machines/Decision.js";
export { HEALTH_DEFAULTS } from "./machines/health.js";
export type { ImageMachineCommand, ImageUser } from "./machines/imageCommands.js";
export type { ImageEventInput, ImageMachineInput } from "./machines/imageMachine.js";
export { imageMachine } from "./machines/imageMachine.js";
export type { LayerMachineInput } from "./machines/layerMachine.js";
export { layerMachine } from "./machines/layerMachine.js";
export type { SignalOutcome } from "./machines/processSpace.js";
export {
  DEFAULT_STOP_TIMEOUT_SECONDS,
  RESTART_BACKOFF,
  restartVerdict,
  signalOutcome,
} from "./machines/processSpace.js";
export { mainCommand, startFailure } from "./machines/startProcess.js";
export type { SignalName } from "./signals.js";
export {
  DEFAULT_IGNORED_SIGNALS,
  DEFAULT_STOP_SIGNALS,
  exitCodeForSignal,
  parseSignal,
  SIGNALS,
  signalError,
} from "./signals.js";
