/**
 * runc's check of a container's program before it starts it: Go's `exec.LookPath` (os/exec
 * lp_unix.go), run by runc's init inside the container's root after it took the container's user and
 * working directory. A name with a `/` is looked at where it points (relative to the working
 * directory); a bare name is searched in `PATH`'s directories, in order. Answers null when the program
 * can run, else Go's error text (`exec: "/x": stat /x: no such file or directory`).
 * Pure: a union view in, a string out. Contract: docs/lifecycle.md "start".
 */
import { posix } from "node:path";
import { goQuote } from "@strata/core";
import { FsError } from "./FsError.js";
import type { Stat } from "./Overlay.js";
import type { UnionView } from "./UnionView.js";

/** Docker's `PATH` when the container's environment has none (moby daemon/pkg/oci/defaults.go). */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Who runs the program, and where (what runc set up before it looks the program up). */
export interface LookPathContext {
  /** The container's environment (`KEY=value`); the last `PATH=` wins, none: {@link DEFAULT_PATH}. */
  readonly env: readonly string[];
  /** The working directory (absolute; empty: `/`). */
  readonly workingDir: string;
  readonly uid: number;
  readonly gid: number;
}

/** Go's text for an errno (its syscall table: glibc's strerror in lower case). */
const goErrno = (e: FsError): string => {
  const text: Partial<Record<string, string>> = {
    ENOENT: "no such file or directory",
    ENOTDIR: "not a directory",
    ELOOP: "too many levels of symbolic links",
    ENAMETOOLONG: "file name too long",
    EINVAL: "invalid argument",
  };
  return text[e.errno] ?? e.errno.toLowerCase();
};

/** faccessat(X_OK, AT_EACCESS) for a non-directory: root needs one execute bit, others their own. */
function executable(st: Stat, uid: number, gid: number): boolean {
  const mode = st.mode & 0o777;
  if (uid === 0) return (mode & 0o111) !== 0;
  if (st.uid === uid) return (mode & 0o100) !== 0;
  if (st.gid === gid) return (mode & 0o010) !== 0;
  return (mode & 0o001) !== 0;
}

/** Go's `findExecutable`: null, or the error (stat's, EISDIR, EACCES) as Go words it. */
function findExecutable(view: UnionView, file: string, context: LookPathContext): string | null {
  const cwd = context.workingDir === "" ? "/" : context.workingDir;
  let st: Stat;
  try {
    st = view.stat(file.startsWith("/") ? file : `${cwd}/${file}`);
  } catch (e) {
    if (!(e instanceof FsError)) throw e;
    return `stat ${file}: ${goErrno(e)}`;
  }
  if (st.type === "dir") return "is a directory";
  return executable(st, context.uid, context.gid) ? null : "permission denied";
}

/** The `PATH` runc's init has: the container's last `PATH=`, or Docker's default. */
function pathOf(env: readonly string[]): string {
  let path = DEFAULT_PATH;
  for (const e of env) if (e.startsWith("PATH=")) path = e.slice("PATH=".length);
  return path;
}

/**
 * Whether the runtime can run `file` in `view`: null, or Go's `exec.Error` text.
 *
 * @example
 * lookPath(view, "/nonexistent", ctx); // 'exec: "/nonexistent": stat /nonexistent: no such file or directory'
 * lookPath(view, "nosuch", ctx);       // 'exec: "nosuch": executable file not found in $PATH'
 */
export function lookPath(view: UnionView, file: string, context: LookPathContext): string | null {
  const fail = (why: string) => `exec: ${goQuote(file)}: ${why}`;
  if (file.includes("/")) {
    const why = findExecutable(view, file, context);
    return why === null ? null : fail(why);
  }
  const path = pathOf(context.env);
  // filepath.SplitList: "" is no directory at all; an empty element is ".".
  for (const dir of path === "" ? [] : path.split(":")) {
    const candidate = posix.join(dir === "" ? "." : dir, file);
    if (findExecutable(view, candidate, context) !== null) continue;
    // Go refuses a program found through a relative PATH entry (exec.ErrDot, Go 1.19).
    return candidate.startsWith("/")
      ? null
      : fail("cannot run executable found relative to current directory");
  }
  return fail("executable file not found in $PATH");
}
