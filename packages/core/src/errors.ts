/**
 * Typed errors. Every failure the engine reports is a {@link StrataError} with a stable `code` (the error
 * class Docker's API uses), the HTTP `status` Docker would answer, a stable `reason` to match on, and a
 * message in Docker's wording so a Docker user recognises it.
 *
 * | class              | code               | status | meaning                                      |
 * |--------------------|--------------------|--------|----------------------------------------------|
 * | NotFoundError      | `NotFound`         | 404    | no such container, image, exec or process    |
 * | ConflictError      | `Conflict`         | 409    | not allowed in the current state             |
 * | InvalidParameterError | `InvalidParameter` | 400 | the command itself is wrong                  |
 * | NotModifiedError   | `NotModified`      | 304    | nothing to do (Docker's CLI treats it as ok) |
 * | SystemError        | `System`           | 500    | what Docker reports untyped, as a 500        |
 *
 * A command that fails changes nothing: no event is appended.
 */

/** The error classes of Docker's API (moby `errdefs`), plus `System` for its untyped 500s. */
export type ErrorCode = "NotFound" | "Conflict" | "InvalidParameter" | "NotModified" | "System";

const STATUS: Record<ErrorCode, number> = {
  NotFound: 404,
  Conflict: 409,
  InvalidParameter: 400,
  NotModified: 304,
  System: 500,
};

/** A rejection as plain data: what the lifecycle machines emit and what an error serialises to. */
export interface Rejection {
  readonly code: ErrorCode;
  /** A stable, kebab-case name of the rule that refused, e.g. `container-not-running`. */
  readonly reason: string;
  /** Docker's wording. */
  readonly message: string;
}

/** Base class of every error Strata throws or returns. */
export class StrataError extends Error {
  readonly code: string;
  readonly status: number;
  readonly reason: string;
  constructor(code: string, status: number, reason: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.reason = reason;
  }
  /** Plain data, for logs, JSON output and comparisons in tests. */
  toJSON(): { name: string; code: string; status: number; reason: string; message: string } {
    return {
      name: this.name,
      code: this.code,
      status: this.status,
      reason: this.reason,
      message: this.message,
    };
  }
}

/** A lifecycle error: one of Docker's error classes. */
export class LifecycleError extends StrataError {
  declare readonly code: ErrorCode;
  constructor(code: ErrorCode, reason: string, message: string) {
    super(code, STATUS[code], reason, message);
  }
}
/** 404: no such container, image, exec instance or process. */
export class NotFoundError extends LifecycleError {
  constructor(reason: string, message: string) {
    super("NotFound", reason, message);
  }
}
/** 409: the command is not allowed in the current state. */
export class ConflictError extends LifecycleError {
  constructor(reason: string, message: string) {
    super("Conflict", reason, message);
  }
}
/** 400: the command itself is malformed or contradictory. */
export class InvalidParameterError extends LifecycleError {
  constructor(reason: string, message: string) {
    super("InvalidParameter", reason, message);
  }
}
/** 304: nothing to do. Docker's CLI exits 0 on it; callers may treat it as success. */
export class NotModifiedError extends LifecycleError {
  constructor(reason: string, message: string) {
    super("NotModified", reason, message);
  }
}
/** 500: cases Docker reports untyped (for example unpause of a container that is not paused). */
export class SystemError extends LifecycleError {
  constructor(reason: string, message: string) {
    super("System", reason, message);
  }
}

/** Turns a rejection (plain data) into the matching error class. */
export function errorFromRejection(r: Rejection): LifecycleError {
  switch (r.code) {
    case "NotFound":
      return new NotFoundError(r.reason, r.message);
    case "Conflict":
      return new ConflictError(r.reason, r.message);
    case "InvalidParameter":
      return new InvalidParameterError(r.reason, r.message);
    case "NotModified":
      return new NotModifiedError(r.reason, r.message);
    case "System":
      return new SystemError(r.reason, r.message);
  }
}

/** One problem found while validating input: where it is and what is wrong. */
export interface ValidationIssue {
  /** Dotted path of the field at fault inside the value, e.g. `data.exitCode`; empty for the value itself. */
  readonly field: string;
  readonly message: string;
}

/**
 * Input from outside (a log line, a user's command) that does not match the schema. `position` says
 * where it came from (an event seq, a line number) and `issues` name the fields at fault.
 */
export class ValidationError extends StrataError {
  readonly position: string;
  readonly issues: readonly ValidationIssue[];
  constructor(what: string, position: string, issues: readonly ValidationIssue[]) {
    const first = issues[0];
    const where = first && first.field !== "" ? ` field ${first.field}` : "";
    super(
      "InvalidParameter",
      400,
      `invalid-${what}`,
      `invalid ${what} at ${position}:${where} ${first?.message ?? "unknown problem"}` +
        (issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""),
    );
    this.position = position;
    this.issues = issues;
  }
}

/**
 * A log that cannot be replayed: an event that the lifecycle does not accept in the state its stream
 * is in, or a sequence number out of order. Names the event's seq.
 */
export class ReplayError extends StrataError {
  readonly seq: number;
  constructor(seq: number, reason: string, message: string) {
    super("Replay", 500, reason, `event seq ${seq}: ${message}`);
    this.seq = seq;
  }
}
