/**
 * The files of a file log: the directory, its `segments/` and the segment files in it, named after the
 * seq they start with. Every file operation here reports a refusal of the operating system as a
 * `StorageError` naming the path and the errno in words.
 */
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  type Stats,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { CorruptLogError, LogNotFoundError, StorageError } from "../errors.js";

export interface SegmentFile {
  readonly firstSeq: number;
  readonly path: string;
  /** Bytes in the file when it was listed (the writer keeps it up to date as it appends). */
  size: number;
}

const SEGMENT = /^\d{16}\.seg$/;

export const segmentName = (firstSeq: number): string => `${String(firstSeq).padStart(16, "0")}.seg`;

/** Runs `f`, reporting a file system refusal as a StorageError naming `op` and `path`. */
export function io<T>(op: string, path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw StorageError.from(e, op, path);
  }
}

/** Like `io`, for a promise. */
export async function ioAsync<T>(op: string, path: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw StorageError.from(e, op, path);
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw StorageError.from(e, "look at", path);
  }
}

/**
 * Makes sure `path` is a directory: creates it (and its parents) when `create`, else a missing one is
 * `LogNotFoundError`. Anything else there (a file, a link to a file) is a `StorageError`.
 */
export function ensureDirectory(path: string, create: boolean): void {
  const stat = statOrNull(path);
  if (stat?.isDirectory()) return;
  if (stat?.isSymbolicLink()) {
    // A link to a directory is fine; follow it once to see.
    const target = io("look at", path, () => statSync(path, { throwIfNoEntry: false }));
    if (target?.isDirectory()) return;
  }
  if (stat) throw new StorageError("use", path, "ENOTDIR", "it is a file, not a directory");
  if (!create) throw new LogNotFoundError(path);
  io("create the directory", path, () => mkdirSync(path, { recursive: true }));
}

/** The segment files in `segDir`, in order. A non-file with a segment's name is damage. */
export function listSegments(segDir: string): SegmentFile[] {
  return io("list", segDir, () => readdirSync(segDir))
    .filter((f) => SEGMENT.test(f))
    .sort()
    .map((f) => {
      const path = join(segDir, f);
      const stat = statOrNull(path);
      if (!stat?.isFile())
        throw new CorruptLogError(path, 0, null, "a segment must be a regular file, and this is not one");
      return { firstSeq: Number(f.slice(0, 16)), path, size: stat.size };
    });
}

/** fsyncs a directory, so the files created or renamed in it survive a crash. */
export function syncDirectory(path: string): void {
  io("sync the directory", path, () => {
    const fd = openSync(path, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}
