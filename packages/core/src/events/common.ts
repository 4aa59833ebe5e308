/**
 * Schemas shared by events and commands. Types are inferred from the schemas, so the validation at the
 * boundary and the types inside the engine cannot drift apart.
 */
import * as v from "valibot";
import { SIGNALS, type SignalName } from "../signals.js";

const hex64 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits"));
const sha256Id = v.pipe(v.string(), v.regex(/^sha256:[0-9a-f]{64}$/, "must be sha256: and 64 hex digits"));

export const ContainerIdSchema = hex64;
export const ExecIdSchema = hex64;
export const ImageIdSchema = sha256Id;
export const LayerIdSchema = sha256Id;
/** A blob of the engine's content-addressed store, named by the sha256 of its bytes. */
export const BlobDigestSchema = sha256Id;
/** Milliseconds since the Unix epoch, from the injected clock. */
export const TimestampSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
export const PidSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
export const ExitCodeSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(255));

export const SignalNameSchema = v.picklist(
  Object.keys(SIGNALS) as SignalName[],
  "must be a known signal name",
);

/**
 * What a process does when it receives a signal it has a handler for: ignore it, exit with a code, or
 * die of the signal (a handler that cleans up and re-raises it: exit 128 + N, killed by the signal).
 */
export const SignalActionSchema = v.variant("action", [
  v.strictObject({ action: v.literal("ignore") }),
  v.strictObject({ action: v.literal("exit"), exitCode: ExitCodeSchema }),
  v.strictObject({ action: v.literal("die") }),
]);
export type SignalAction = v.InferOutput<typeof SignalActionSchema>;

/** A process's handlers, by signal. Signals without an entry get the default disposition. */
export const SignalHandlersSchema = v.record(SignalNameSchema, SignalActionSchema);
export type SignalHandlers = v.InferOutput<typeof SignalHandlersSchema>;

/** Docker's restart policies. `maximumRetryCount` only matters for `on-failure` (0 = unlimited). */
export const RestartPolicySchema = v.strictObject({
  name: v.picklist(["no", "on-failure", "always", "unless-stopped"]),
  maximumRetryCount: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
});
export type RestartPolicy = v.InferOutput<typeof RestartPolicySchema>;

/** A duration in milliseconds (Docker's healthcheck durations; 0 means "the default"). */
const DurationMsSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));

/**
 * Docker's HEALTHCHECK: `test` is `["CMD", prog, ...args]`, `["CMD-SHELL", command]` or `["NONE"]`;
 * durations are in ms and 0 means Docker's default (interval 30 s, timeout 30 s, start period 0,
 * start interval 5 s); `retries` 0 means 3.
 */
export const HealthcheckSchema = v.strictObject({
  test: v.array(v.string()),
  intervalMs: DurationMsSchema,
  timeoutMs: DurationMsSchema,
  startPeriodMs: DurationMsSchema,
  startIntervalMs: DurationMsSchema,
  retries: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
});
export type Healthcheck = v.InferOutput<typeof HealthcheckSchema>;

/**
 * How the runtime refuses to start the program (an injected fault, like the program's signal handlers):
 * `not-found` (exit 127, "executable file not found"), `not-executable` (126, "permission denied"),
 * `runtime` (128, any other OCI runtime error). Docker's `start` then fails and the container keeps
 * its state with that exit code.
 */
export const StartErrorSchema = v.picklist(["not-found", "not-executable", "runtime"]);
export type StartError = v.InferOutput<typeof StartErrorSchema>;

const LabelsSchema = v.record(v.string(), v.string());

/**
 * An image's configuration, Docker's names in camelCase (what `commit --change` sets and the OCI
 * config's `config` carries): environment (`KEY=value`), entrypoint (null: none), cmd, labels, exposed
 * ports (`80/tcp`), user, working directory, stop signal (null: SIGTERM), volumes, healthcheck (null:
 * none) and ONBUILD triggers.
 */
export const ImageConfigSchema = v.strictObject({
  env: v.array(v.string()),
  entrypoint: v.nullable(v.array(v.string())),
  cmd: v.array(v.string()),
  labels: LabelsSchema,
  exposedPorts: v.array(v.string()),
  user: v.string(),
  workingDir: v.string(),
  stopSignal: v.nullable(SignalNameSchema),
  volumes: v.array(v.string()),
  healthcheck: v.nullable(HealthcheckSchema),
  onBuild: v.array(v.string()),
});
export type ImageConfig = v.InferOutput<typeof ImageConfigSchema>;

/**
 * The platform an image runs on (OCI image index `platform`, config `os`/`architecture`/`variant`):
 * `linux`/`amd64`, `linux`/`arm64`/`v8`… Absent on an image: `linux`/`amd64`.
 */
export const PlatformSchema = v.strictObject({
  os: v.pipe(v.string(), v.minLength(1)),
  architecture: v.pipe(v.string(), v.minLength(1)),
  variant: v.optional(v.pipe(v.string(), v.minLength(1))),
});
export type Platform = v.InferOutput<typeof PlatformSchema>;

/** One entry of an image's history (OCI `history`): newest last. */
export const HistoryEntrySchema = v.strictObject({
  created: TimestampSchema,
  createdBy: v.string(),
  comment: v.string(),
  author: v.string(),
  /** The step added no layer (a commit of an unchanged container, a metadata-only instruction). */
  emptyLayer: v.boolean(),
});
export type HistoryEntry = v.InferOutput<typeof HistoryEntrySchema>;

/**
 * A container's configuration, fixed at create time. The optional fields came later (older logs do
 * not have them; absent means empty): what the container took from its image and the command.
 */
export const ContainerConfigSchema = v.strictObject({
  cmd: v.array(v.string()),
  restartPolicy: RestartPolicySchema,
  autoRemove: v.boolean(),
  /** The container's custom STOPSIGNAL, or null for the default (SIGTERM). */
  stopSignal: v.nullable(SignalNameSchema),
  /** The container's custom stop timeout in seconds, or null for the default (10 s); -1 waits forever. */
  stopTimeout: v.nullable(v.pipe(v.number(), v.safeInteger(), v.minValue(-1))),
  /** Signal handlers the main process installs when it starts (what the program traps). */
  handlers: SignalHandlersSchema,
  entrypoint: v.optional(v.nullable(v.array(v.string()))),
  env: v.optional(v.array(v.string())),
  labels: v.optional(LabelsSchema),
  exposedPorts: v.optional(v.array(v.string())),
  user: v.optional(v.string()),
  workingDir: v.optional(v.string()),
  volumes: v.optional(v.array(v.string())),
  healthcheck: v.optional(v.nullable(HealthcheckSchema)),
  onBuild: v.optional(v.array(v.string())),
  /** The runtime refuses to start the program (an injected fault). */
  startError: v.optional(StartErrorSchema),
});
export type ContainerConfig = v.InferOutput<typeof ContainerConfigSchema>;

/**
 * One read-only layer of an image: its id, its parent and free-form metadata; a layer a commit made
 * (since images are named by their content) also names its tar layout, the blob that gives back its tar
 * byte for byte (then its id is its DiffID).
 */
export const LayerSchema = v.strictObject({
  id: LayerIdSchema,
  parent: v.nullable(LayerIdSchema),
  createdBy: v.string(),
  comment: v.string(),
  tar: v.optional(BlobDigestSchema),
});
export type Layer = v.InferOutput<typeof LayerSchema>;
