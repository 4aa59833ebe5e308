/**
 * A lock file so that two processes cannot interleave writes to one log: `LOCK` holds the owner's
 * pid, created exclusively. A lock whose owner is no longer alive (a crash) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { LogLockedError } from "../errors.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock at `path`; returns the function that releases it. */
export function acquireLock(path: string): () => void {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder: number | null = null;
      try {
        holder = Number.parseInt(readFileSync(path, "utf8"), 10);
      } catch {
        holder = null;
      }
      if (holder !== null && Number.isFinite(holder) && holder !== process.pid && alive(holder)) {
        throw new LogLockedError(path, holder);
      }
      if (holder === process.pid) throw new LogLockedError(path, holder);
      // Stale: its owner died without releasing it.
      try {
        unlinkSync(path);
      } catch {
        // someone else took it over first; try again
      }
    }
  }
  throw new LogLockedError(path, null);
}
