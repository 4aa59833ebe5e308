/**
 * A lock file so that two processes cannot interleave writes to one log.
 *
 * `LOCK` holds `<pid> <nonce>`. It is created atomically: the content is written to a temporary file
 * that is then hard-linked to `LOCK` (link(2) fails if `LOCK` exists), so nobody ever reads a lock
 * half-written. A lock whose process is no longer alive (a crash) is stale and may be taken over; a
 * takeover first takes `LOCK.takeover` the same way, checks that `LOCK` still holds the stale content,
 * and replaces it with rename(2), so two processes can never both take over one stale lock.
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { LogLockedError } from "../errors.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

const pidOf = (content: string | null) => {
  const pid = Number.parseInt(content ?? "", 10);
  return Number.isFinite(pid) && pid > 0 ? pid : null;
};

/** Writes `content` to a temporary file next to `path`; returns its name. */
function staged(path: string, content: string): string {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(tmp, content);
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
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

/** Takes the lock at `path`; returns the function that releases it. */
export function acquireLock(path: string): () => void {
  const mine = `${process.pid} ${randomBytes(8).toString("hex")}\n`;
  const release = () => {
    if (read(path) === mine) unlinkSync(path);
  };
  for (let attempt = 0; attempt < 50; attempt++) {
    if (tryCreate(path, mine)) return release;
    const held = read(path);
    if (held === null) continue; // released meanwhile: try again
    const holder = pidOf(held);
    if (holder !== null && alive(holder)) throw new LogLockedError(path, holder);
    // Stale. Take it over under the takeover lock, and only if it is still the same stale lock.
    const takeover = `${path}.takeover`;
    if (!tryCreate(takeover, mine)) {
      const other = pidOf(read(takeover));
      if (other !== null && !alive(other)) {
        try {
          unlinkSync(takeover); // its taker died mid-takeover
        } catch {
          // gone already
        }
      }
      continue;
    }
    try {
      if (read(path) === held) {
        renameSync(staged(path, mine), path);
        return release;
      }
    } finally {
      unlinkSync(takeover);
    }
  }
  throw new LogLockedError(path, pidOf(read(path)));
}
