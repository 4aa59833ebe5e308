/**
 * The error the formatters throw: `message` is exactly what the docker CLI prints on stderr for the same
 * mistake ("template parsing error: template: :1: unclosed action"), `exitCode` the status it exits with
 * (1 for most, 64 for `inspect` and `events` format errors), `code` a stable string for programs.
 */

/** Stable codes. */
export type FormatErrorCode = "FORMAT_TEMPLATE_PARSE" | "FORMAT_TEMPLATE_EXEC" | "FORMAT_BAD_INPUT";

/** A formatting failure, worded as docker words it. */
export class FormatError extends Error {
  constructor(
    readonly code: FormatErrorCode,
    message: string,
    readonly exitCode: number,
    /** Warnings docker prints before the error (e.g. `--format` with `-q`), each ending in a newline. */
    readonly warnings = "",
  ) {
    super(message);
    this.name = "FormatError";
  }

  /** Everything docker writes on stderr for this failure. */
  get stderr(): string {
    return `${this.warnings}${this.message}\n`;
  }
}
