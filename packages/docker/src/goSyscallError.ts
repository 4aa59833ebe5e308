/**
 * A failed system call as dockerd reports it: Go's `*fs.PathError` text, `<op> <path>: <errno text>`
 * (`lstat /etc/hostname/x: not a directory`), with Go's lower-case errno strings. Strata's `FsError`
 * carries the errno; the operation and path are the ones dockerd's code calls with.
 */
import type { Errno } from "@strata/fs";

const TEXT: Record<Errno, string> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  ENOTEMPTY: "directory not empty",
  EEXIST: "file exists",
  EXDEV: "invalid cross-device link",
  EINVAL: "invalid argument",
  ELOOP: "too many levels of symbolic links",
  EPERM: "operation not permitted",
  EBUSY: "device or resource busy",
  ENAMETOOLONG: "file name too long",
  ENODATA: "no data available",
  ENOTSUP: "operation not supported",
  ERANGE: "numerical result out of range",
  E2BIG: "argument list too long",
  EFBIG: "file too large",
};

/**
 * Go's text for `errno` from system call `op` on `path`.
 *
 * @example
 * goSyscallError("ENOTDIR", "lstat", "/etc/hostname/x"); // "lstat /etc/hostname/x: not a directory"
 */
export function goSyscallError(errno: Errno, op: string, path: string): string {
  return `${op} ${path}: ${TEXT[errno]}`;
}
