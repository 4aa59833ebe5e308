/**
 * Errors as dockerd sends them: the HTTP status from the error's class (moby `errdefs`: NotFound 404,
 * InvalidParameter 400, Conflict 409, NotModified 304, anything else 500) and `{"message": …}` in
 * Docker's words. Strata's errors already carry both (`StrataError.status`); anything else is a 500.
 */
import { StrataError } from "@strata/core";

/** The HTTP status and message of `error`. */
export function dockerError(error: unknown): { status: number; message: string } {
  if (error instanceof StrataError) return { status: error.status, message: error.message };
  if (error instanceof DockerApiError) return { status: error.status, message: error.message };
  return { status: 500, message: (error as Error)?.message ?? String(error) };
}

/** An error of the API layer itself (a bad query, an unknown route), with its status. */
export class DockerApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "DockerApiError";
    this.status = status;
  }
}
