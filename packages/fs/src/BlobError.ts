/**
 * A blob the log names cannot be served: it is missing, its bytes no longer match its digest, or the
 * disk refused an operation on it. Answered as Docker answers a storage failure (500).
 */
import { StrataError } from "@strata/core";

export type BlobProblem = "blob-missing" | "blob-corrupt" | "blob-storage";

export class BlobError extends StrataError {
  readonly digest: string;
  /** The file of the blob, for a disk store. */
  readonly path: string | null;
  constructor(reason: BlobProblem, digest: string, path: string | null, detail: string) {
    super("System", 500, reason, `content ${digest}${path ? ` (${path})` : ""}: ${detail}`);
    this.digest = digest;
    this.path = path;
  }

  static missing(digest: string, path: string | null = null): BlobError {
    return new BlobError(
      "blob-missing",
      digest,
      path,
      "is not in the blob store; the log names it, so it was removed or never copied with the log",
    );
  }

  static corrupt(digest: string, path: string | null, actual: string): BlobError {
    return new BlobError(
      "blob-corrupt",
      digest,
      path,
      `the stored bytes were changed (they hash to ${actual}); refusing to serve them`,
    );
  }

  /** A refusal of the operating system (errno in `e`) while `op`-ing the blob at `path`. */
  static storage(e: unknown, op: string, digest: string, path: string): BlobError {
    // Node's message holds the errno and its words: "ENOSPC: no space left on device, write".
    const blobError = new BlobError(
      "blob-storage",
      digest,
      path,
      `cannot ${op}: ${(e as Error)?.message ?? String(e)}`,
    );
    blobError.cause = e;
    return blobError;
  }
}
