/**
 * Validation of events that come from outside the engine (a log file, a user). A bad event is a
 * {@link ValidationError} naming where it was (`position`) and the field at fault.
 */
import * as v from "valibot";
import { ValidationError, type ValidationIssue } from "../errors.js";
import { ContainerEventSchema } from "./containerEvents.js";
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
  [ContainerEventSchema, FsEventSchema, ImageEventSchema, LayerEventSchema],
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
  const isImage = body.output.type.startsWith("image.");
  const streamOk = isImage ? /^sha256:[0-9a-f]{64}$/.test(streamId) : /^[0-9a-f]{64}$/.test(streamId);
  if (!streamOk) {
    throw new ValidationError("event", position, [
      { field: "streamId", message: `must be ${isImage ? "an image id" : "a container id"} for ${type}` },
    ]);
  }
  const d = body.output.data as { containerId?: string; imageId?: string };
  const owner =
    body.output.type === "container.created"
      ? d.containerId
      : body.output.type === "image.created"
        ? d.imageId
        : undefined;
  if (owner !== undefined && owner !== streamId) {
    throw new ValidationError("event", position, [
      { field: "streamId", message: `must equal the id it creates (${owner})` },
    ]);
  }
  return { seq, streamId, schemaVersion, recordedAt, ...body.output } as EventEnvelope;
}
