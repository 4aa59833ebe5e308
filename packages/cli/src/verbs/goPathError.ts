/**
 * Go's `*os.PathError` text for a failed file operation (`stat /x: no such file or directory`), which
 * docker's CLI prints: the operation, the path, and the errno's text as Go's syscall package has it.
 */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EISDIR: "is a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  EEXIST: "file exists",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
  EINVAL: "invalid argument",
  EIO: "input/output error",
};

/** `op path: text` for a node error with an errno code; its own message otherwise. */
export function goPathError(op: string, path: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const text = code === undefined ? undefined : ERRNO_TEXT[code];
  return text === undefined ? (e as Error).message : `${op} ${path}: ${text}`;
}

/** Go's filepath.Dir: all but the last element, cleaned (`a/` → `a`, `x` → `.`). */
export function goDir(path: string): string {
  const dir = path.slice(0, path.lastIndexOf("/") + 1);
  if (dir === "") return ".";
  const parts: string[] = [];
  for (const p of dir.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === ".." && parts.length > 0 && parts.at(-1) !== "..") parts.pop();
    else if (p !== ".." || !dir.startsWith("/")) parts.push(p);
  }
  const joined = parts.join("/");
  return dir.startsWith("/") ? `/${joined}` : joined || ".";
}
