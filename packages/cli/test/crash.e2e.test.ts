/**
 * The built `strata` killed with SIGKILL at random moments, often inside a large write, and the log's
 * verified-prefix mark then kept, lost, cut short or stale (what a crash or a power failure can leave):
 * afterwards `strata log verify` passes, the next command appends, every run that reported success has
 * all its events in the log, and no command is kept in part (each is one batch).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";

const BIN = new URL("../dist/bin.js", import.meta.url).pathname;
const tmp = tempDirs("strata-crash-");
const RUNS = Number(process.env.STRATA_CLI_CRASH_RUNS ?? 24);
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`run pnpm build first (${BIN} is missing)`);
});

function strata(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs strata, killing it with SIGKILL after `killAfterMs` unless it ended first. */
function strataKilled(killAfterMs: number, ...args: string[]) {
  return new Promise<{ code: number | null; killed: boolean; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, killed: signal === "SIGKILL", out, err });
    });
  });
}

describe("strata killed at random moments", () => {
  test(`SIGKILL ${RUNS} times, inside small and large writes: verify passes, nothing reported is lost, no command is kept in part`, async () => {
    const dir = tmp();
    const log = join(dir, "log");
    const setup = join(dir, "setup.jsonl");
    writeFileSync(
      setup,
      [
        { type: "image.create", layers: [], tags: ["base:1"] },
        { type: "container.create", image: "base:1", name: "web" },
      ]
        .map((c) => JSON.stringify(c))
        .join("\n"),
    );
    expect(strata("apply", setup, "--log", log).code).toBe(0);
    let seed = 20261202;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const lines = 6;
    const reported = new Map<number, string>(); // seq → the path its line wrote
    let kills = 0;
    const events = join(log, "events");
    const copy = (name: string) => (existsSync(join(events, name)) ? readFileSync(join(events, name)) : null);
    const put = (name: string, bytes: Buffer | null) => {
      if (bytes) writeFileSync(join(events, name), bytes);
      else rmSync(join(events, name), { force: true });
    };
    const earlier: { mark: Buffer | null; index: Buffer | null }[] = [];
    let held = true; // whether the mark held (or there was none) after the last run
    for (let run = 0; run < RUNS; run++) {
      // Every third run writes about 6 MiB (a kill often lands in its blobs or its batch).
      const size = run % 3 === 2 ? 1_000_000 : 200 + Math.floor(random() * 2000);
      const script = join(dir, `run${run}.jsonl`);
      // Writes, and between them an image with a tag: two events of one command.
      writeFileSync(
        script,
        Array.from({ length: lines }, (_, i) =>
          JSON.stringify(
            i % 2 === 0
              ? {
                  type: "fs.writeFile",
                  container: "web",
                  path: `/r${run}-${i}`,
                  content: `${run}.${i}:`.repeat(Math.ceil(size / 8)),
                }
              : { type: "image.create", layers: [], tags: [`r${run}-${i}:1`] },
          ),
        ).join("\n"),
      );
      const r = await strataKilled(
        150 + Math.floor(random() * 700),
        "apply",
        script,
        "--log",
        log,
        "--format",
        "json",
      );
      if (r.killed) kills++;
      else {
        expect(r.code, r.err).toBe(0);
        for (const [i, line] of (JSON.parse(r.out) as { ok: boolean; events: number[] }[]).entries()) {
          expect(line.ok).toBe(true);
          for (const seq of line.events) reported.set(seq, i % 2 === 0 ? `/r${run}-${i}` : `r${run}-${i}:1`);
        }
      }
      // What the crash left of the mark: as it was, lost, cut short, or an older one.
      const fate = Math.floor(random() * 6);
      const older = earlier[Math.floor(random() * earlier.length)] ?? { mark: null, index: null };
      earlier.push({ mark: copy("MARK"), index: copy("INDEX") });
      if (fate === 1) put("MARK", null);
      if (fate === 2 || fate === 3) {
        const name = fate === 2 ? "MARK" : "INDEX";
        const bytes = copy(name);
        if (bytes) put(name, bytes.subarray(0, Math.floor(random() * bytes.length)));
      }
      if (fate === 4) {
        put("MARK", older.mark);
        put("INDEX", older.index);
      }
      if (fate === 5) put("INDEX", older.index);
      const verify = strata("log", "verify", "--log", log, "--format", "json");
      expect(verify.code, `${verify.out}${verify.err}`).toBe(0);
      // A kill alone never turns a mark that holds into one that does not.
      const holds = !("ignored" in (JSON.parse(verify.out).mark ?? {}));
      if (fate === 0 && held) expect(holds, verify.out).toBe(true);
      held = holds;
    }
    expect(kills).toBeGreaterThan(RUNS / 4); // the kills did land
    // The next command appends.
    const last = join(dir, "last.jsonl");
    writeFileSync(
      last,
      JSON.stringify({ type: "fs.writeFile", container: "web", path: "/last", content: "end" }),
    );
    const after = strata("apply", last, "--log", log);
    expect(after.code, after.err).toBe(0);
    const stored = JSON.parse(strata("log", "events", "--format", "json", "--log", log).out) as {
      seq: number;
      type: string;
      data: { path?: string };
    }[];
    const bySeq = new Map(stored.map((e) => [e.seq, e]));
    for (const [seq, what] of reported) {
      const e = bySeq.get(seq);
      expect(e, `reported seq ${seq} is missing`).toBeDefined();
      if (what.startsWith("/")) expect(e).toMatchObject({ type: "fs.fileWritten", data: { path: what } });
      else expect(["image.created", "image.tagged"]).toContain(e?.type);
    }
    // No command is kept in part: every image created is tagged in the same batch, right after.
    for (const [i, e] of stored.entries())
      if (e.type === "image.created")
        expect(stored[i + 1]?.type, `the tag of seq ${e.seq}`).toBe("image.tagged");
    expect(strata("cat", "web", "/last", "--log", log).out).toBe("end");
  }, 300_000);
});
