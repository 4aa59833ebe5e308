/**
 * The CLI's workspace: a directory holding the event log (file backend, `events/`) and the blob store
 * (`blobs/`). Opening it takes the log's lock, checks and replays every event; `save` appends what the
 * commands of this run produced, in one batch, fsynced before the command reports success.
 */
import { join } from "node:path";
import { InMemoryEventLog, parseEvent, randomIds, systemClock } from "@strata/core";
import { DiskBlobStore, FsEngine } from "@strata/fs";
import { FileEventLog } from "@strata/store";

export class Workspace {
  readonly dir: string;
  readonly engine: FsEngine;
  readonly log: FileEventLog;
  #saved: number;

  private constructor(dir: string, engine: FsEngine, log: FileEventLog) {
    this.dir = dir;
    this.engine = engine;
    this.log = log;
    this.#saved = engine.log.lastSeq;
  }

  /** Opens (creating) the workspace in `dir`. */
  static async open(dir: string): Promise<Workspace> {
    const log = await FileEventLog.open(join(dir, "events"));
    try {
      const memory = new InMemoryEventLog();
      const stored = await log.read();
      memory.append(
        stored.map((e) => {
          const { seq: _seq, ...event } = parseEvent(e, `seq ${e.seq}`);
          return event;
        }),
      );
      const engine = new FsEngine({
        clock: systemClock,
        ids: randomIds,
        blobs: new DiskBlobStore(join(dir, "blobs")),
        log: memory,
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
    if (fresh.length > 0) await this.log.append(fresh);
    this.#saved = this.engine.log.lastSeq;
    return fresh.length;
  }

  async close(): Promise<void> {
    await this.log.close();
  }
}
