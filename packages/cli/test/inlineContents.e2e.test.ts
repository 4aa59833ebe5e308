/**
 * End to end: contents carried inline in the log (docs/store.md#blobs). `strata log verify` checks each
 * against the digest and size its event names, and lists a damaged one by seq (exit 1); a command that
 * replays such a log refuses to open it, naming the seq (exit 3).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync } from "node:fs";
import { join } from "node:path";
import { simulatedClock } from "@strata/core";
import { openEngine } from "@strata/engine";
import { FileEventLog } from "@strata/store";
import { beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const BIN = new URL("../dist/bin.js", import.meta.url).pathname;
const tmp = tempDirs("strata-cli-inline-");
beforeAll(() => {
  if (!existsSync(BIN))
    throw new Error(`the e2e tests run the built binary: run pnpm build first (${BIN} is missing)`);
});

function strata(log: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, "--log", log, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("inline contents", () => {
  test("log verify checks each inline content and names a damaged one by seq; opening the log refuses it", async () => {
    const log = join(tmp(), "log");
    const engine = await openEngine({ location: log, clock: simulatedClock(), timers: false });
    await engine.execute({ type: "image.create", layers: [], tags: ["base:1"] });
    await engine.execute({ type: "container.create", image: "base:1", name: "web" });
    await engine.execute({ type: "fs.writeFile", container: "web", path: "/a", content: "hello" });
    await engine.execute({
      type: "fs.writeFile",
      container: "web",
      path: "/big",
      content: "x".repeat(10_000),
    });
    await engine.close();
    const ok = strata(log, "log", "verify");
    expect(ok.code).toBe(0);
    // The blobs: the big content and the image's config (images are named by their content).
    expect(ok.out).toMatch(/^ok: 5 events, head [0-9a-f]{64}, 2 blobs checked, 1 inline contents checked\n/);
    expect(strata(log, "cat", "web", "/a").out).toBe("hello");

    // The same events in another log, /a's content forged: its CRCs and hash chain are whole.
    const forged = join(tmp(), "log");
    const source = await FileEventLog.open(join(log, "events"), { readOnly: true });
    const events = await source.read();
    await source.close();
    const target = events.find((e) => (e.data as { path?: string }).path === "/a");
    if (!target) throw new Error("no write of /a");
    const copy = await FileEventLog.open(join(forged, "events"));
    await copy.append(
      events.map(({ seq, ...e }) =>
        seq === target.seq
          ? { ...e, data: { ...(e.data as object), content: Buffer.from("jello").toString("base64") } }
          : e,
      ),
    );
    await copy.close();
    cpSync(join(log, "blobs"), join(forged, "blobs"), { recursive: true });
    const damaged = strata(forged, "log", "verify");
    expect(damaged.code).toBe(1);
    expect(damaged.err).toMatch(
      new RegExp(`^seq ${target.seq}: content sha256:[0-9a-f]{64}: carried inline, but it hashes to sha256:`),
    );
    expect(damaged.out).toMatch(/^damaged: 5 events, .*1 missing or changed\n/);
    const json = JSON.parse(strata(forged, "log", "verify", "--format", "json").out);
    expect(json.problems).toEqual([
      {
        seq: target.seq,
        digest: (target.data as { digest: string }).digest,
        problem: expect.stringMatching(/^carried inline, but it hashes to/),
      },
    ]);
    const opened = strata(forged, "cat", "web", "/a");
    expect(opened.code).toBe(3);
    expect(opened.err).toMatch(
      new RegExp(
        `^Error: the log could not be opened: event seq ${target.seq}: the content fs.fileWritten carries inline for /a is not sha256:`,
      ),
    );
  });
});
