/**
 * Measure 12: what the durable engine adds to a write. `await engine.execute` of file writes into a
 * running container, one after another, on the file log (each catches up, decides, stores the contents
 * durably, appends on its condition and fsyncs), against appending the same events to the file log
 * directly, one batch per command, each awaited (the fsync alone).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sequentialIds, simulatedClock } from "@strata/core";
import { openEngine } from "@strata/engine";
import { FileEventLog, type NewStoredEvent } from "@strata/store";
import { type Measure, sized } from "./Measure.js";
import { fmtRate, median } from "./timing.js";
import { imageEngine } from "./workloads.js";

/** The events before the writes: a 100-file image and one running container, `app`. */
function prefix(): NewStoredEvent[] {
  const e = imageEngine(100, 1);
  const created = e.execute({ type: "container.create", image: "scale:1", name: "app" });
  if (!created.ok) throw created.error;
  const started = e.execute({ type: "container.start", container: "app" });
  if (!started.ok) throw started.error;
  return e.log.read().map(({ seq: _seq, ...rest }) => rest);
}

const strip = ({ seq: _seq, ...rest }: NewStoredEvent & { seq: number }): NewStoredEvent => rest;

export const engineWrites: Measure = {
  id: "12",
  measure: "await engine.execute of file writes on the file log, one by one",
  baseline: "appending the same events to the file log directly, one by one",
  target: { op: ">=", value: 0.5 },
  async run(o) {
    const writes = sized(o, 300, 10);
    const head = prefix();
    const root = mkdtempSync(join(tmpdir(), "strata-bench-writes-"));
    let n = 0;
    const freshLog = async () => {
      const dir = join(root, `run-${n++}`);
      const log = await FileEventLog.open(join(dir, "events"));
      await log.append(head);
      await log.close();
      return dir;
    };
    /** Each command's events, as ours appended them (the baseline appends the same). */
    let batches: NewStoredEvent[][] = [];
    const ours = async () => {
      const dir = await freshLog();
      const engine = await openEngine({
        location: dir,
        timers: false,
        snapshotEvery: 0,
        clock: simulatedClock(),
        ids: sequentialIds("bench-writes"),
      });
      const appended: NewStoredEvent[][] = [];
      const start = performance.now();
      for (let i = 0; i < writes; i++) {
        const r = await engine.execute({
          type: "fs.writeFile",
          container: "app",
          path: `/d0/w${i}`,
          content: `write ${i}\n`,
        });
        if (!r.ok) throw r.error ?? new Error(`write ${i} was refused`);
        appended.push(r.events.map(strip));
      }
      const took = performance.now() - start;
      await engine.close();
      batches = appended;
      return took;
    };
    const direct = async () => {
      const log = await FileEventLog.open(join(await freshLog(), "events"));
      const start = performance.now();
      for (const batch of batches) await log.append(batch);
      const took = performance.now() - start;
      await log.close();
      return took;
    };
    try {
      // Time only the writes (not creating, opening or closing), alternate rounds, medians.
      await ours();
      await direct();
      const mine: number[] = [];
      const theirs: number[] = [];
      for (let r = 0; r < sized(o, 5, 1); r++) {
        mine.push(await ours());
        theirs.push(await direct());
      }
      const [a, b] = [median(mine), median(theirs)];
      const events = batches.reduce((k, batch) => k + batch.length, 0);
      return {
        ratio: b / a,
        detail: `${fmtRate(writes, a, "writes")} vs ${fmtRate(writes, b, "appends")} (${writes} commands, ${events} events)`,
      };
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
};
