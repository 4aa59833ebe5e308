/**
 * Measure 11: what `strata ps` costs on an old log. Opening an engine (read-only, as the CLI opens it
 * for `ps`) on a directory whose file log holds 100,000 events, with a snapshot 100 events before the
 * end, then listing the running containers as `GET /containers/json` does; against the same on a log
 * of 1,000 events with a snapshot as recent. With snapshots, opening should cost the tail, not the log.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { containerSummary } from "@strata/docker";
import { openEngine } from "@strata/engine";
import { DiskBlobStore } from "@strata/fs";
import { FileEventLog, type NewStoredEvent } from "@strata/store";
import { type Measure, sized } from "./Measure.js";
import { alternate, fmtMs } from "./timing.js";
import { writeHistory } from "./workloads.js";

/** A log directory of about `events` events (file writes into one running container), snapshot `tail` before the end. */
async function logWithSnapshot(root: string, name: string, events: number, tail: number): Promise<string> {
  const dir = join(root, name);
  const all = writeHistory(Math.max(0, events - 4), {
    blobs: new DiskBlobStore(join(dir, "blobs")),
    contents: 1_000,
  })
    .log.read()
    .map(({ seq: _seq, ...e }): NewStoredEvent => e);
  const appendAll = async (batch: readonly NewStoredEvent[]) => {
    const log = await FileEventLog.open(join(dir, "events"));
    for (let i = 0; i < batch.length; i += 1_000) await log.append(batch.slice(i, i + 1_000));
    await log.close();
  };
  await appendAll(all.slice(0, all.length - tail));
  const engine = await openEngine({ location: dir, timers: false, snapshotEvery: 0 });
  if ((await engine.snapshot()) !== all.length - tail) throw new Error(`no snapshot saved in ${dir}`);
  await engine.close();
  await appendAll(all.slice(all.length - tail));
  return dir;
}

/** `strata ps`: open read-only, list the running containers as docker's API does, close. */
async function ps(dir: string): Promise<number> {
  const engine = await openEngine({ location: dir, readOnly: true, timers: false });
  try {
    const state = engine.state;
    const now = engine.clock.now();
    const rows = Object.values(state.containers)
      .filter((c) => c.status === "running" || c.status === "paused" || c.status === "restarting")
      .sort((a, b) => b.context.createdAt - a.context.createdAt)
      .map((c) => containerSummary(c, state, now));
    if (rows.length !== 1) throw new Error(`ps listed ${rows.length} containers in ${dir}, not 1`);
    return engine.seq;
  } finally {
    await engine.close();
  }
}

export const engineOpen: Measure = {
  id: "11",
  measure: "open an engine on a 100,000-event log with a recent snapshot, then ps",
  baseline: "the same on a 1,000-event log",
  target: { op: "<=", value: 2 },
  async run(o) {
    const root = mkdtempSync(join(tmpdir(), "strata-bench-open-"));
    try {
      const tail = sized(o, 100, 10);
      const big = await logWithSnapshot(root, "big", sized(o, 100_000, 1_000), tail);
      const small = await logWithSnapshot(root, "small", sized(o, 1_000, 100), tail);
      const bigSeq = await ps(big);
      const smallSeq = await ps(small);
      const t = await alternate(
        () => ps(big),
        () => ps(small),
        sized(o, 7, 1),
      );
      return {
        ratio: t.ours / t.baseline,
        detail: `${fmtMs(t.ours)} vs ${fmtMs(t.baseline)} (${bigSeq.toLocaleString("en")} and ${smallSeq.toLocaleString("en")} events, ${tail} after the snapshot)`,
      };
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};
