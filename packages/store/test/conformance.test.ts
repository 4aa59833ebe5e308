import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileEventLog, MemoryEventLog } from "@strata/store";
import { runEventLogSuite } from "@strata/store/testsuite";

runEventLogSuite("memory", async () => ({ log: new MemoryEventLog(), cleanup: async () => {} }), {
  durable: false,
  runs: 200,
});

runEventLogSuite(
  "file",
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "strata-log-"));
    return {
      log: await FileEventLog.open(dir, { segmentBytes: 4096 }),
      reopen: () => FileEventLog.open(dir, { segmentBytes: 4096 }),
      another: () => FileEventLog.open(dir, { segmentBytes: 4096 }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
  { durable: true, sharedWriters: true, runs: 100 },
);
