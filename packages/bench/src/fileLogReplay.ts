/**
 * Measure 2: reading every event back from the file log, with every check the log makes (CRC-32, seq
 * order, the sha256 hash chain, JSON) against `JSON.parse` alone over the same events as JSON lines.
 * This is the log's share of a replay; measure 1 is the fold's.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileEventLog, FileEventLogReader } from "@strata/store";
import { type Measure, sized } from "./Measure.js";
import { alternate, fmtMB, fmtRate } from "./timing.js";
import { writeHistory } from "./workloads.js";

export const fileLogReplay: Measure = {
  id: "2",
  measure: "replay from the file log (read and check every record)",
  baseline: "JSON.parse alone over the same lines",
  target: { op: ">=", value: 0.5 },
  async run(o) {
    const events = writeHistory(sized(o, 20_000, 200)).log.read();
    const dir = mkdtempSync(join(tmpdir(), "strata-bench-log-"));
    try {
      const log = await FileEventLog.open(dir);
      for (let i = 0; i < events.length; i += 1_000)
        await log.append(events.slice(i, i + 1_000).map(({ seq: _seq, ...e }) => e));
      await log.close();
      const lines = events.map((e) => JSON.stringify(e));
      const bytes = lines.reduce((n, l) => n + l.length + 1, 0);
      let sink: unknown;
      const t = await alternate(
        async () => {
          const reader = await FileEventLogReader.open(dir);
          sink = await reader.read();
          await reader.close();
        },
        () => {
          const out = [];
          for (const line of lines) out.push(JSON.parse(line));
          sink = out;
        },
        sized(o, 5, 1),
      );
      void sink;
      return {
        ratio: t.baseline / t.ours,
        detail: `${fmtRate(events.length, t.ours, "events")} vs ${fmtRate(events.length, t.baseline, "events")} (${events.length} events, ${fmtMB(bytes)} of JSON)`,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
