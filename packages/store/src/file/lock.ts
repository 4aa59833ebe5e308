/**
 * A lock file so that two processes cannot interleave writes to one log. Writers take it for each
 * group of appends and release it after the sync, so several processes can write one log in turn; a
 * writer that finds it held waits (`acquireLock`), up to a timeout.
 *
 * `LOCK` holds `<pid> <nonce> <start time>`: the writer's pid, a random nonce, and the process's start
 * time as the kernel counts it (`/proc/<pid>/stat`, field 22), so that a pid reused by an unrelated
 * process after a crash is recognised. It is created atomically: the content is written to a temporary
 * file that is then hard-linked to `LOCK` (link(2) fails if `LOCK` exists), so nobody ever reads a lock
 * half-written. A lock whose process is gone — ended, a zombie not yet reaped, or a different process
 * under the same pid — is stale and may be taken over; a takeover first takes `LOCK.takeover` the same
 * way, checks that `LOCK` still holds the stale content, and replaces it with rename(2), so two processes
 * can never both take over one stale lock.
 */
import { randomBytes } from "node:crypto";
import { linkSync, lstatSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { LogLockedError, StorageError } from "../errors.js";

interface ProcessInfo {
  /** Whether the process can still hold files: running or sleeping, not a zombie. */
  readonly live: boolean;
  /** Its start time in clock ticks since boot (from /proc), if known. */
  readonly startTime: string | null;
  /** Its command line, if readable. */
  readonly command: string | null;
}

/** What the kernel says of `pid`: null if there is no such process. */
function processInfo(pid: number): ProcessInfo | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      // No /proc/<pid>: either no such process, or no /proc at all (then ask with a signal 0).
      try {
        lstatSync("/proc/self");
        return null;
      } catch {
        return signalZero(pid);
      }
    }
    return signalZero(pid);
  }
  // "pid (comm) state ppid ..." — comm may hold spaces and parentheses: split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const state = fields[0] ?? "";
  let command: string | null = null;
  try {
    command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ") || null;
  } catch {
    // unreadable: leave it out
  }
  return { live: state !== "Z" && state !== "X", startTime: fields[19] ?? null, command };
}

function signalZero(pid: number): ProcessInfo | null {
  try {
    process.kill(pid, 0);
    return { live: true, startTime: null, command: null };
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
      ? { live: true, startTime: null, command: null }
      : null;
  }
}

interface Holder {
  readonly pid: number;
  readonly startTime: string | null;
}

const holderOf = (content: string | null): Holder | null => {
  const [pidText, , startTime] = (content ?? "").trim().split(" ");
  const pid = Number.parseInt(pidText ?? "", 10);
  return Number.isFinite(pid) && pid > 0 ? { pid, startTime: startTime ?? null } : null;
};

/** The holder's process if it is the one that took the lock and it still lives; null if stale. */
function liveHolder(holder: Holder): ProcessInfo | null {
  const info = processInfo(holder.pid);
  if (!info?.live) return null;
  if (holder.startTime !== null && info.startTime !== null && holder.startTime !== info.startTime)
    return null; // the pid now belongs to another process
  return info;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return null;
    if (code === "EISDIR")
      throw new StorageError(
        "use the lock file",
        path,
        "EISDIR",
        "it is a directory, not a lock file; if no strata process uses this log, remove it",
      );
    throw StorageError.from(e, "read the lock file", path);
  }
}

/** Writes `content` to a temporary file next to `path`; returns its name. Leaves nothing on failure. */
function staged(path: string, content: string): string {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(tmp, content, { flag: "wx" });
  } catch (e) {
    rmSync(tmp, { force: true });
    throw StorageError.from(e, "write the lock file", tmp);
  }
  return tmp;
}

/** Creates `path` with `content` if it does not exist, atomically. */
function tryCreate(path: string, content: string): boolean {
  const tmp = staged(path, content);
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw StorageError.from(e, "create the lock file", path);
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** What one attempt at the lock found: taken (and how to release it), or held by a live process. */
type Attempt =
  | { readonly taken: true; readonly release: () => void }
  | { readonly taken: false; readonly holder: number | null; readonly command: string | null };

/** One attempt at the lock at `path`, without waiting; takes over a stale lock. */
export function tryLock(path: string): Attempt {
  const self = processInfo(process.pid);
  const mine = `${process.pid} ${randomBytes(8).toString("hex")} ${self?.startTime ?? "-"}\n`;
  const release = () => {
    try {
      if (read(path) === mine) unlinkSync(path);
    } catch {
      // the lock is gone or unreadable: nothing left to release
    }
  };
  for (let attempt = 0; attempt < 50; attempt++) {
    if (tryCreate(path, mine)) return { taken: true, release };
    const held = read(path);
    if (held === null) continue; // released meanwhile: try again
    const holder = holderOf(held);
    const info = holder ? liveHolder(holder) : null;
    if (holder && info) return { taken: false, holder: holder.pid, command: info.command };
    // Stale. Take it over under the takeover lock, and only if it is still the same stale lock.
    const takeover = `${path}.takeover`;
    if (!tryCreate(takeover, mine)) {
      const other = holderOf(read(takeover));
      if (other === null || !liveHolder(other)) rmSync(takeover, { force: true }); // its taker died
      continue;
    }
    try {
      if (read(path) === held) {
        renameSync(staged(path, mine), path);
        return { taken: true, release };
      }
    } finally {
      rmSync(takeover, { force: true });
    }
  }
  return { taken: false, holder: holderOf(read(path))?.pid ?? null, command: null };
}

/**
 * Takes the lock at `path`, waiting while a live process holds it, up to `waitMs` (0: do not wait);
 * returns the function that releases it. Throws `LogLockedError` naming the holder after that.
 */
export async function acquireLock(path: string, waitMs = 0): Promise<() => void> {
  const start = performance.now();
  let pause = 1;
  for (;;) {
    const attempt = tryLock(path);
    if (attempt.taken) return attempt.release;
    if (performance.now() - start >= waitMs) throw new LogLockedError(path, attempt.holder, attempt.command);
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 25);
  }
}
