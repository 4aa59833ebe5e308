/**
 * The explicit repair of a damaged file log, for when opening it fails with a `CorruptLogError`: the log
 * is cut at the first damage, and everything from there on — the rest of that segment and every later
 * segment — is moved aside into `<dir>/damaged/` (never deleted), so it can be examined or recovered by
 * hand. A torn tail is cut as opening would cut it. The verified-prefix mark is removed first (the next
 * writer to open checks the whole log and marks it again). Takes the writer's lock: no writer may be
 * running.
 *
 * Cutting is the only repair that keeps the log consistent: the events after the damage cannot be kept,
 * since their seqs and hash chain follow the damaged ones.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import { CorruptLogError } from "../errors.js";
import { acquireLock } from "./lock.js";
import { scanLog } from "./scanLog.js";
import { ensureDirectory, io, listSegments, type SegmentFile, syncDirectory } from "./segmentFiles.js";
import { dropMark } from "./verifiedMark.js";

export interface RepairReport {
  /** Events in the log after the repair. */
  readonly events: number;
  /** The damage found (null: none, only perhaps a torn tail). */
  readonly damage: {
    readonly file: string;
    readonly offset: number;
    readonly seq: number | null;
    readonly problem: string;
  } | null;
  /** What was moved aside: the file it came from, from which offset, how many bytes, and where it is now. */
  readonly movedAside: readonly {
    readonly file: string;
    readonly offset: number;
    readonly bytes: number;
    readonly savedAs: string;
  }[];
  /** A torn tail that was cut (never acknowledged), if any. */
  readonly tornTail: { readonly file: string; readonly offset: number; readonly bytes: number } | null;
}

/** Repairs the file log in `dir` (see above). */
export async function repairFileLog(dir: string): Promise<RepairReport> {
  ensureDirectory(dir, false);
  const release = await acquireLock(join(dir, "LOCK"));
  try {
    const segDir = join(dir, "segments");
    ensureDirectory(segDir, false);
    // The verified-prefix mark describes the log as it is; it goes (durably) before anything is cut, so
    // it can never vouch for a log a repair changed.
    dropMark(dir);
    let segments: SegmentFile[];
    let damage: RepairReport["damage"] = null;
    const movedAside: { file: string; offset: number; bytes: number; savedAs: string }[] = [];
    const aside = join(dir, "damaged");
    try {
      segments = listSegments(segDir);
    } catch (e) {
      if (!(e instanceof CorruptLogError)) throw e;
      // A segment that is not a file: move it aside, then look again.
      io("create the directory", aside, () => mkdirSync(aside, { recursive: true }));
      const savedAs = join(aside, `${basename(e.file)}.${Date.now()}`);
      io("move aside", e.file, () => renameSync(e.file, savedAs));
      movedAside.push({ file: e.file, offset: 0, bytes: 0, savedAs });
      damage = { file: e.file, offset: 0, seq: null, problem: e.message };
      segments = listSegments(segDir);
    }
    for (let round = 0; ; round++) {
      try {
        const scan = scanLog(segments, { full: true });
        let tornTail: RepairReport["tornTail"] = null;
        if (scan.tail) {
          const segment = segments[scan.tail.segment] as SegmentFile;
          cut(segment.path, scan.tail.offset);
          tornTail = { file: segment.path, offset: scan.tail.offset, bytes: scan.tail.bytes };
        }
        if (movedAside.length > 0) {
          syncDirectory(aside);
          syncDirectory(segDir);
        }
        return { events: scan.events, damage, movedAside, tornTail };
      } catch (e) {
        // One cut ends the log before the damage; damage found again after it is not ours to hide.
        if (!(e instanceof CorruptLogError) || round > 0) throw e;
        damage ??= { file: e.file, offset: e.offset, seq: e.seq, problem: e.message };
        io("create the directory", aside, () => mkdirSync(aside, { recursive: true }));
        const at = segments.findIndex((s) => s.path === e.file);
        if (at < 0) throw e;
        const stamp = Date.now();
        const first = segments[at] as SegmentFile;
        const from = e.batchOffset;
        if (from > 0) {
          const savedAs = join(aside, `${basename(first.path)}.from-${from}.${stamp}`);
          const bytes = copyFrom(first.path, from, savedAs);
          movedAside.push({ file: first.path, offset: from, bytes, savedAs });
          cut(first.path, from);
        }
        for (const later of segments.slice(from > 0 ? at + 1 : at)) {
          const target = join(aside, `${basename(later.path)}.${stamp}`);
          io("move aside", later.path, () => renameSync(later.path, target));
          movedAside.push({ file: later.path, offset: 0, bytes: later.size, savedAs: target });
        }
        segments = listSegments(segDir);
      }
    }
  } finally {
    release();
  }
}

/** Copies `path` from `offset` to its end into `target` (synced); returns the bytes copied. */
function copyFrom(path: string, offset: number, target: string): number {
  return io("copy aside", path, () => {
    const from = openSync(path, "r");
    const to = openSync(target, "wx");
    try {
      const buf = Buffer.alloc(1 << 20);
      let position = offset;
      let total = 0;
      for (;;) {
        const n = readSync(from, buf, 0, buf.length, position);
        if (n === 0) break;
        let done = 0;
        while (done < n) done += writeSync(to, buf, done, n - done);
        position += n;
        total += n;
      }
      fsyncSync(to);
      return total;
    } finally {
      closeSync(from);
      closeSync(to);
    }
  });
}

function cut(path: string, size: number): void {
  io("cut", path, () => {
    const fd = openSync(path, "r+");
    try {
      ftruncateSync(fd, size);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}
