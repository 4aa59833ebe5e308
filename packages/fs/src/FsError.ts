/**
 * Filesystem errors, named like errno. An operation that fails changes nothing, but for the one system
 * call overlayfs fails after a change (a rename that marks its source opaque first; see resolveFsCommand).
 */
import { StrataError } from "@strata/core";

/** The errno names the union view answers with. */
export type Errno =
  | "ENOENT"
  | "ENOTDIR"
  | "EISDIR"
  | "ENOTEMPTY"
  | "EEXIST"
  | "EXDEV"
  | "EINVAL"
  | "ELOOP"
  | "EPERM"
  | "EBUSY"
  | "ENAMETOOLONG"
  | "ENODATA"
  | "ENOTSUP"
  | "ERANGE"
  | "E2BIG"
  | "EFBIG";

const MESSAGES: Record<Errno, string> = {
  ENOENT: "No such file or directory",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  ENOTEMPTY: "Directory not empty",
  EEXIST: "File exists",
  EXDEV: "Invalid cross-device link",
  EINVAL: "Invalid argument",
  ELOOP: "Too many levels of symbolic links",
  EPERM: "Operation not permitted",
  EBUSY: "Device or resource busy",
  ENAMETOOLONG: "File name too long",
  ENODATA: "No data available",
  ENOTSUP: "Operation not supported",
  ERANGE: "Numerical result out of range",
  E2BIG: "Argument list too long",
  EFBIG: "File too large",
};

const STATUS: Partial<Record<Errno, number>> = { ENOENT: 404, EEXIST: 409, ENOTEMPTY: 409, EBUSY: 409 };

/**
 * A filesystem operation refused, with the errno, the operation and the path at fault.
 *
 * @example
 * // FsError: ENOENT: No such file or directory, mkdir '/a/b'
 */
export class FsError extends StrataError {
  readonly errno: Errno;
  readonly op: string;
  readonly path: string;
  constructor(errno: Errno, op: string, path: string, detail?: string) {
    super(
      errno,
      STATUS[errno] ?? 400,
      errno,
      `${errno}: ${MESSAGES[errno]}, ${op} '${path}'${detail ? ` (${detail})` : ""}`,
    );
    this.errno = errno;
    this.op = op;
    this.path = path;
  }
}
