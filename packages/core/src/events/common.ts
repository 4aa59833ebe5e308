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
/** Milliseconds since the Unix epoch, from the injected clock. */
export const TimestampSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
export const PidSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
export const ExitCodeSchema = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(255));

export const SignalNameSchema = v.picklist(
  Object.keys(SIGNALS) as SignalName[],
  "must be a known signal name",
);

/** What a process does when it receives a signal it has a handler for. */
export const SignalActionSchema = v.variant("action", [
  v.strictObject({ action: v.literal("ignore") }),
  v.strictObject({ action: v.literal("exit"), exitCode: ExitCodeSchema }),
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

/** A container's configuration, fixed at create time. */
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
});
export type ContainerConfig = v.InferOutput<typeof ContainerConfigSchema>;

/** One read-only layer of an image: its id, its parent and free-form metadata. */
export const LayerSchema = v.strictObject({
  id: LayerIdSchema,
  parent: v.nullable(LayerIdSchema),
  createdBy: v.string(),
  comment: v.string(),
});
export type Layer = v.InferOutput<typeof LayerSchema>;
