/**
 * Measure 9: durable appends to the file backend (fsync before acknowledgement, group commit) against
 * better-sqlite3 (version 12) inserting the same events in transactions with synchronous=FULL (WAL
 * journal, its fastest durable setting). Two shapes of the same 2,000 events: 200 batches of 10 appended
 * one after the other (one transaction each), and 8 writers appending one event at a time (SQLite
 * commits each insert; the file log groups what is in flight into one fsync).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NewStoredEvent } from "@strata/store";
import { FileEventLog } from "@strata/store";
import { loadBetterSqlite } from "./betterSqlite.js";
import { type Measure, type Result, type RunOptions, sized } from "./Measure.js";
import { alternate, fmtRate } from "./timing.js";
import { writeHistory } from "./workloads.js";

function workload(events: number): NewStoredEvent[] {
  return writeHistory(events)
    .log.read()
    .slice(-events)
    .map(({ seq: _seq, ...e }) => e);
}

const sqliteMissing = async () =>
  loadBetterSqlite((s) => process.stderr.write(s)) ? null : "better-sqlite3 could not be built or loaded";

async function compare(shape: "batches" | "writers", o: RunOptions): Promise<Result> {
  const Database = loadBetterSqlite((s) => process.stderr.write(s));
  if (!Database) throw new Error("better-sqlite3 is not available");
  const events = workload(sized(o, 2_000, 40));
  const root = mkdtempSync(join(tmpdir(), "strata-bench-durable-"));
  let run = 0;
  try {
    const ours = async () => {
      const log = await FileEventLog.open(join(root, `log-${run++}`));
      if (shape === "batches") {
        for (let i = 0; i < events.length; i += 10) await log.append(events.slice(i, i + 10));
      } else {
        let next = 0;
        const writer = async () => {
          while (next < events.length) await log.append([events[next++] as NewStoredEvent]);
        };
        await Promise.all(Array.from({ length: 8 }, writer));
      }
      await log.close();
    };
    const sqlite = () => {
      const db = new Database(join(root, `sqlite-${run++}.db`));
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.exec(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, type TEXT NOT NULL, schema_version INTEGER NOT NULL, recorded_at INTEGER NOT NULL, data TEXT NOT NULL)",
      );
      const insert = db.prepare(
        "INSERT INTO events (stream_id, type, schema_version, recorded_at, data) VALUES (?, ?, ?, ?, ?)",
      );
      const batch = db.transaction((rows: readonly NewStoredEvent[]) => {
        for (const e of rows)
          insert.run(e.streamId, e.type, e.schemaVersion, e.recordedAt, JSON.stringify(e.data));
      });
      const size = shape === "batches" ? 10 : 1;
      for (let i = 0; i < events.length; i += size) batch(events.slice(i, i + size));
      db.close();
    };
    const t = await alternate(ours, sqlite, sized(o, 3, 1));
    return {
      ratio: t.baseline / t.ours,
      detail: `${fmtRate(events.length, t.ours, "events")} vs ${fmtRate(events.length, t.baseline, "events")}`,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export const durableBatches: Measure = {
  id: "9a",
  measure: "durable appends, file backend: 200 batches of 10, one after another",
  baseline: "better-sqlite3 12, a transaction per batch, synchronous=FULL",
  target: { op: ">=", value: 0.5 },
  unavailable: sqliteMissing,
  run: (o) => compare("batches", o),
};

export const durableWriters: Measure = {
  id: "9b",
  measure: "durable appends, file backend: 8 writers, one event each (group commit)",
  baseline: "better-sqlite3 12, a transaction per event, synchronous=FULL",
  target: { op: ">=", value: 0.5 },
  unavailable: sqliteMissing,
  run: (o) => compare("writers", o),
};
