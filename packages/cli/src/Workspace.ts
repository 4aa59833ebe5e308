/**
 * The CLI's workspace: a directory holding the event log (file backend, `events/`) and the blob store
 * (`blobs/`). Opening it checks and replays every event. A workspace opened for writing takes the log's
 * lock, and `save` appends what the commands of this run produced, in one batch, fsynced before the
 * command reports success. One opened read-only (`ps`, `ls`, `events --follow`, ...) takes no lock, so
 * it can run beside a writer, and cannot save.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { InMemoryEventLog, parseEvent, randomIds, systemClock } from "@strata/core";
import { DiskBlobStore, FsEngine } from "@strata/fs";
import {
  FileEventLog,
  FileEventLogReader,
  LogNotFoundError,
  StorageError,
  type StoredEvent,
  type TornTail,
} from "@strata/store";

export interface WorkspaceOptions {
  /** Open without the writer's lock; `save` then refuses. */
  readonly readOnly?: boolean;
  /** Told how far the replay of the log has got (for a progress bar). */
  readonly onReplay?: (done: number, total: number) => void;
}

export class Workspace {
  readonly dir: string;
  readonly engine: FsEngine;
  /** The durable log: the writer (holding the lock), or a lock-free reader. */
  readonly log: FileEventLog | FileEventLogReader;
  #saved: number;

  private constructor(dir: string, engine: FsEngine, log: FileEventLog | FileEventLogReader) {
    this.dir = dir;
    this.engine = engine;
    this.log = log;
    this.#saved = engine.log.lastSeq;
  }

  /** A torn tail the writer cut when it opened the log (a crash left it), if any. */
  get tornTail(): TornTail | null {
    return this.log instanceof FileEventLog ? this.log.openReport.truncated : null;
  }

  /**
   * Opens the workspace in `dir`: a writer creates it if needed; a read-only open never creates
   * anything, and a missing log is `LogNotFoundError`.
   */
  static async open(dir: string, options: WorkspaceOptions = {}): Promise<Workspace> {
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(dir, { throwIfNoEntry: false });
    } catch (e) {
      throw StorageError.from(e, "look at", dir);
    }
    if (stat && !stat.isDirectory())
      throw new StorageError("use", dir, "ENOTDIR", "it is a file, not a log directory");
    if (options.readOnly && !stat) throw new LogNotFoundError(dir, "there is no strata log here");
    const log = options.readOnly
      ? await FileEventLogReader.open(join(dir, "events"))
      : await FileEventLog.open(join(dir, "events"), { lockWaitMs: lockWaitMs() });
    try {
      const memory = new InMemoryEventLog();
      memory.append(toEngineEvents(await log.read()));
      const engine = new FsEngine({
        clock: systemClock,
        ids: randomIds,
        blobs: new DiskBlobStore(join(dir, "blobs")),
        log: memory,
        ...(options.onReplay ? { onReplay: options.onReplay } : {}),
      });
      return new Workspace(dir, engine, log);
    } catch (e) {
      await log.close();
      throw e;
    }
  }

  /** Appends the events produced since open (or the last save) to the durable log. */
  async save(): Promise<number> {
    const fresh = this.engine.log.read(this.#saved + 1).map(({ seq: _seq, ...e }) => e);
    if (fresh.length > 0) {
      if (!(this.log instanceof FileEventLog)) throw new Error("a read-only workspace cannot save");
      // The blobs the events name are durable before the events are.
      await this.engine.blobs.sync?.();
      await this.log.append(fresh);
    }
    this.#saved = this.engine.log.lastSeq;
    return fresh.length;
  }

  async close(): Promise<void> {
    await this.log.close();
  }
}

/** How long a command waits for another writer's lock: `STRATA_LOCK_WAIT_MS`, default 30 s. */
function lockWaitMs(): number {
  const ms = Number(process.env.STRATA_LOCK_WAIT_MS);
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : 30_000;
}

/** Stored events, checked against the event schemas (an error names the seq), without their seq. */
export function toEngineEvents(stored: readonly StoredEvent[]) {
  return stored.map((e) => {
    const { seq: _seq, ...event } = parseEvent(e, `seq ${e.seq}`);
    return event;
  });
}
