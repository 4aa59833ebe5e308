/**
 * Validation of events that come from outside the engine (a log file, a user). A bad event is a
 * {@link ValidationError} naming where it was (`position`) and the field at fault.
 */
import * as v from "valibot";
import { ValidationError, type ValidationIssue } from "../errors.js";
import { ContainerEventSchema } from "./containerEvents.js";
import { DAEMON_STREAM, DaemonEventSchema } from "./daemonEvents.js";
import { EVENT_SCHEMA_VERSION, type EventEnvelope } from "./envelope.js";
import { FsEventSchema, LayerEventSchema } from "./fsEvents.js";
import { ImageEventSchema } from "./imageEvents.js";

const EnvelopeSchema = v.looseObject({
  seq: v.pipe(v.number(), v.safeInteger(), v.minValue(1)),
  streamId: v.string(),
  schemaVersion: v.literal(
    EVENT_SCHEMA_VERSION,
    `must be ${EVENT_SCHEMA_VERSION} (upcast older events first)`,
  ),
  recordedAt: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
  type: v.string(),
  data: v.unknown(),
});

const BodySchema = v.variant(
  "type",
  [ContainerEventSchema, FsEventSchema, ImageEventSchema, LayerEventSchema, DaemonEventSchema],
  "unknown event type",
);

/** Turns valibot's issues into field paths. */
export function toValidationIssues(issues: readonly v.BaseIssue<unknown>[]): ValidationIssue[] {
  return issues.map((issue) => ({ field: v.getDotPath(issue) ?? "", message: issue.message }));
}

/**
 * Validates one event envelope and returns it typed. `position` says where it came from, for the
 * error message (for example `"line 12"` or `"seq 40"`).
 *
 * @example
 * const ev = parseEvent(JSON.parse(line), `line ${n}`);
 */
export function parseEvent(input: unknown, position: string): EventEnvelope {
  const envelope = v.safeParse(EnvelopeSchema, input);
  if (!envelope.success) throw new ValidationError("event", position, toValidationIssues(envelope.issues));
  const { seq, streamId, schemaVersion, recordedAt, type, data } = envelope.output;
  const body = v.safeParse(BodySchema, { type, data });
  if (!body.success) throw new ValidationError("event", position, toValidationIssues(body.issues));
  const t = body.output.type;
  const kind = t.startsWith("image.")
    ? "an image id"
    : t.startsWith("layer.")
      ? "a layer id"
      : t.startsWith("daemon.")
        ? `"${DAEMON_STREAM}"`
        : "a container id";
  const streamOk =
    kind === "a container id"
      ? /^[0-9a-f]{64}$/.test(streamId)
      : t.startsWith("daemon.")
        ? streamId === DAEMON_STREAM
        : /^sha256:[0-9a-f]{64}$/.test(streamId);
  if (!streamOk) {
    throw new ValidationError("event", position, [
      { field: "streamId", message: `must be ${kind} for ${type}` },
    ]);
  }
  const d = body.output.data as { containerId?: string; imageId?: string; layerId?: string };
  const owner =
    t === "container.created"
      ? d.containerId
      : t === "image.created"
        ? d.imageId
        : t === "layer.created"
          ? d.layerId
          : undefined;
  if (owner !== undefined && owner !== streamId) {
    throw new ValidationError("event", position, [
      { field: "streamId", message: `must equal the id it creates (${owner})` },
    ]);
  }
  return { seq, streamId, schemaVersion, recordedAt, ...body.output } as EventEnvelope;
}
