/**
 * What the kernel accepts as a name, a path and a symlink target, counted as it counts them: in
 * bytes of UTF-8. A name is at most NAME_MAX (255) bytes; a path argument and a symlink target are
 * shorter than PATH_MAX (4096 bytes, the terminating NUL included). A path reached through symlinks may
 * be longer: the kernel bounds each string it is given, and the number of links followed (40), never
 * the length of where they lead.
 *
 * Names are bytes, and a JavaScript string is UTF-16: a string with a lone surrogate has no UTF-8
 * form, and NUL ends a C string. Both are refused with an {@link FsError} naming the path, never
 * changed quietly into U+FFFD or cut short.
 */
import { FsError } from "./FsError.js";

/** Longest name, in bytes (Linux NAME_MAX). */
export const NAME_MAX = 255;
/** A path argument or a symlink target must be shorter than this, in bytes (Linux PATH_MAX, NUL included). */
export const PATH_MAX = 4096;

/**
 * The largest regular file the model holds, in bytes (256 MiB). Contents are whole byte strings (no
 * sparse files), so a truncate to 1 TiB, which the kernel makes sparse, would be a 1 TiB allocation:
 * a larger size is EFBIG, as on a filesystem whose largest file is this size.
 */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

/** UTF-8 length of a well-formed string, without encoding it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i += 1;
    } else n += 3;
  }
  return n;
}

/** With the `u` flag a surrogate pair is one code point: only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why `s` cannot be stored as bytes (a lone surrogate, NUL), or undefined when it can. */
export function notBytes(s: string): string | undefined {
  if (s.includes("\0")) return "it holds NUL, which ends a name in the kernel";
  if (LONE_SURROGATE.test(s))
    return `it is not well-formed Unicode (a lone surrogate at ${loneSurrogateAt(s)} has no UTF-8 form)`;
  return undefined;
}

function loneSurrogateAt(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i += 1;
        continue;
      }
      return i;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return i;
  }
  return -1;
}

/** A path as shown in an error message: JSON-escaped when it holds what a terminal would not show. */
export function shownPath(path: string): string {
  return notBytes(path) === undefined ? path : JSON.stringify(path).slice(1, -1);
}

/** Checks a path argument: bytes, and shorter than PATH_MAX. Throws EINVAL or ENAMETOOLONG. */
export function checkPathArg(path: string, op: string): void {
  const bad = notBytes(path);
  if (bad !== undefined)
    throw new FsError("EINVAL", op, shownPath(path), `the path cannot be a name: ${bad}`);
  if (path.length >= PATH_MAX / 3 && utf8Length(path) >= PATH_MAX)
    throw new FsError(
      "ENAMETOOLONG",
      op,
      `${path.slice(0, 64)}…`,
      `${utf8Length(path)} bytes; a path has fewer than ${PATH_MAX}`,
    );
}

/** Checks a symlink target as symlink(2) does: bytes, not empty, shorter than PATH_MAX. */
export function checkSymlinkTarget(target: string, op: string, path: string): void {
  const bad = notBytes(target);
  if (bad !== undefined)
    throw new FsError("EINVAL", op, shownPath(path), `the target cannot be stored: ${bad}`);
  if (target === "") throw new FsError("ENOENT", op, path, "an empty symlink target");
  if (utf8Length(target) >= PATH_MAX)
    throw new FsError(
      "ENAMETOOLONG",
      op,
      path,
      `the target is ${utf8Length(target)} bytes; a target has fewer than ${PATH_MAX}`,
    );
}

/** Whether one name is longer than NAME_MAX bytes (cheap for short names). */
export function nameTooLong(name: string): boolean {
  return name.length > NAME_MAX / 3 && utf8Length(name) > NAME_MAX;
}

/** Checks an extended attribute's name as the kernel copies it in: bytes (EINVAL), at most 255 of them (ERANGE). */
export function checkXattrName(name: string, op: string, path: string): void {
  const bad = notBytes(name);
  if (bad !== undefined)
    throw new FsError("EINVAL", op, shownPath(path), `the attribute name cannot be stored: ${bad}`);
  if (name === "" || utf8Length(name) > NAME_MAX)
    throw new FsError("ERANGE", op, shownPath(path), `an attribute name has 1 to ${NAME_MAX} bytes`);
}
