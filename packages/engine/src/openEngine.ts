/**
 * Opening an engine where its log lives, in one call:
 * - a directory: the file log in `<dir>/events` (several processes on one machine may write it), file
 *   contents in `<dir>/blobs`, snapshots in `<dir>/snapshots`;
 * - `postgres://…` (or `postgresql://…`; `?schema=name` picks the schema, default `strata`): the
 *   PostgreSQL log, with file contents and snapshots in tables beside it, so every host that reaches the
 *   database has everything; each host keeps a local copy of the contents it reads (in memory, or in
 *   `blobCache`);
 * - `memory:`: nothing durable (tests, experiments).
 *
 * @example
 * const engine = await openEngine({ location: "./data" });
 * await engine.execute({ type: "image.create", layers: [], tags: ["base:1"] });
 * await engine.close();
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { type BlobStore, DiskBlobStore, MemoryBlobStore } from "@strata/fs";
import {
  type EventLog,
  FileEventLog,
  LogNotFoundError,
  MemoryEventLog,
  PostgresEventLog,
  type SnapshotStorage,
  SnapshotStore,
  StorageError,
} from "@strata/store";
import { DurableEngine, type DurableEngineOptions } from "./DurableEngine.js";
import { ReplicatedBlobStore } from "./ReplicatedBlobStore.js";

export interface OpenEngineOptions extends Omit<DurableEngineOptions, "log" | "blobs" | "snapshots"> {
  /** Where the log is: a directory, `postgres://…`, or `memory:`. */
  readonly location: string;
  /**
   * Only read: the log (a directory or PostgreSQL) is opened read-only, nothing is created or written,
   * and the engine never appends (timers off; `execute` refuses). A missing log is a `LogNotFoundError`.
   */
  readonly readOnly?: boolean;
  /**
   * Start a new log where there is none (default: unless `readOnly`). False: a missing log is a
   * `LogNotFoundError`, though the engine writes to one that is there (a command that only waits, but
   * fires the timers due meanwhile).
   */
  readonly create?: boolean;
  /** PostgreSQL: the schema the tables live in (default `strata`). */
  readonly schema?: string;
  /** PostgreSQL: a directory for this host's copy of file contents (default: in memory). */
  readonly blobCache?: string;
  /** A directory: how long an append waits for another process's lock (default 30 s). */
  readonly lockWaitMs?: number;
}

/** Where an engine keeps its log, blobs and snapshots. */
export interface EngineStorage {
  readonly log: EventLog;
  readonly blobs: BlobStore;
  readonly snapshots: SnapshotStorage | null;
}

/** Whether `location` names a PostgreSQL database. */
export const isPostgresUrl = (location: string): boolean => /^postgres(ql)?:\/\//.test(location);

/** Opens the log, blobs and snapshots at `location` (see the module comment). */
export async function openStorage(
  location: string,
  options: Pick<OpenEngineOptions, "readOnly" | "create" | "schema" | "blobCache" | "lockWaitMs"> = {},
): Promise<EngineStorage> {
  if (location === "memory:")
    return { log: new MemoryEventLog(), blobs: new MemoryBlobStore(), snapshots: null };
  if (isPostgresUrl(location)) {
    // `?schema=name` chooses the schema (several logs in one database); it is ours, not the server's.
    const url = new URL(location);
    const schema = options.schema ?? url.searchParams.get("schema") ?? undefined;
    url.searchParams.delete("schema");
    const log = await PostgresEventLog.open({
      connectionString: url.toString(),
      ...(schema ? { schema } : {}),
      readOnly: options.readOnly === true,
      create: options.create ?? options.readOnly !== true,
    });
    const local = options.blobCache ? new DiskBlobStore(options.blobCache) : new MemoryBlobStore();
    return { log, blobs: new ReplicatedBlobStore(log.blobs(), local), snapshots: log.snapshots() };
  }
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(location, { throwIfNoEntry: false });
  } catch (e) {
    throw StorageError.from(e, "look at", location);
  }
  if (stat && !stat.isDirectory())
    throw new StorageError("use", location, "ENOTDIR", "it is a file, not a log directory");
  const create = options.create ?? options.readOnly !== true;
  if (!create && !stat) throw new LogNotFoundError(location, "there is no strata log here");
  if (!create && !statSync(join(location, "events"), { throwIfNoEntry: false }))
    throw new LogNotFoundError(location, "there is no strata log here (it has no events directory)");
  const log = await FileEventLog.open(join(location, "events"), {
    readOnly: options.readOnly === true,
    ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
  });
  return {
    log,
    blobs: new DiskBlobStore(join(location, "blobs")),
    snapshots: new SnapshotStore(join(location, "snapshots")),
  };
}

/** Opens an engine on the log at `options.location` (see the module comment). */
export async function openEngine(options: OpenEngineOptions): Promise<DurableEngine> {
  const storage = await openStorage(options.location, options);
  try {
    return await DurableEngine.open({
      ...options,
      ...storage,
      saveSnapshots: options.saveSnapshots ?? (storage.snapshots !== null && options.readOnly !== true),
    });
  } catch (e) {
    await storage.log.close().catch(() => {});
    throw e;
  }
}
