/**
 * What the built `strata` does with bad input, damaged logs and a hostile disk: every failure is one
 * named line with a documented exit code (never a stack), nothing acknowledged is lost, nothing damaged
 * is cut without being asked, nothing is created by a command that only reads.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import type { CommandSpec } from "../src/CommandSpec.js";
import { COMMANDS } from "../src/commands.js";

const BIN = new URL("../dist/bin.js", import.meta.url).pathname;

/** Arguments to try each command that starts no log with (see the test on a missing log). */
const READER_ARGS: Readonly<Record<string, readonly string[]>> = {
  "log events": [],
  graph: ["web"],
  ls: ["web", "/"],
  tree: ["web", "/"],
  cat: ["web", "/x"],
  "oci export": ["base:1", "out"],
  replay: [],
  "log verify": [],
  "log repair": [],
  ui: ["--port", "0"],
  wait: ["web"],
  diff: ["web"],
  cp: ["web:/x", "./out"],
  save: ["a"],
  ps: [],
  images: [],
  inspect: ["web"],
  history: ["base:1"],
  events: [],
  version: [],
  info: [],
};
const tmp = tempDirs("strata-rel-");
beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`run pnpm build first (${BIN} is missing)`);
});

function strata(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: "utf8",
    cwd: tmp(),
    env: { ...process.env, STRATA_LOCK_WAIT_MS: "500" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `strata` run in `cwd`, without blocking the test (so several run at once). */
function strataAsync(cwd: string, ...args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, err });
    });
  });
}

/** Never a stack trace, never an "unexpected"/"internal" error. */
function expectNamed(r: { code: number | null; err: string }, code: number, message: RegExp) {
  expect(r.err, r.err).toMatch(message);
  expect(r.code, r.err).toBe(code);
  expect(r.err).not.toMatch(/\n\s+at |internal error|unexpected error/);
}

const script = (...commands: object[]) => {
  const file = join(tmp(), "script.jsonl");
  writeFileSync(file, commands.map((c) => JSON.stringify(c)).join("\n"));
  return file;
};
/** A script that makes image base:1 and container web holding /hello (a fresh file each time). */
const setupScript = () =>
  script(
    { type: "image.create", layers: [], tags: ["base:1"] },
    { type: "container.create", image: "base:1", name: "web" },
    { type: "fs.writeFile", container: "web", path: "/hello", content: "hello\n" },
  );

/** A script that writes one more file into web. */
const touchScript = () => script({ type: "fs.writeFile", container: "web", path: "/again", content: "x" });

/** A log with a container `web` holding /hello. */
function aLog(): string {
  const log = join(tmp(), "log");
  const r = strata("apply", setupScript(), "--log", log);
  expect(r.code, r.err).toBe(0);
  return log;
}

const segments = (log: string) =>
  readdirSync(join(log, "events", "segments"))
    .sort()
    .map((f) => join(log, "events", "segments", f));

describe("a log that is not there, or not a log", () => {
  test("read-only commands on a missing log say so (exit 3) and create nothing", async () => {
    // Every command of the registry that does not start a log: those that only read (for `cp`, out of a
    // container) and those that only wait (`wait`). A new one without arguments here fails the test.
    const log = join(tmp(), "nope");
    const starting = COMMANDS.filter((s) => s.readOnly !== undefined || s.needsLog === true);
    expect(starting.map((s) => s.name)).toEqual(
      expect.arrayContaining(["ps", "images", "save", "wait", "cp", "log events"]),
    );
    // Four at a time (each mostly waits for node to start), then checked one by one.
    const results: { spec: CommandSpec; cwd: string; r: { code: number | null; err: string } }[] = [];
    const queue = [...starting];
    const worker = async () => {
      for (let spec = queue.shift(); spec; spec = queue.shift()) {
        const args = READER_ARGS[spec.name];
        expect(args, `arguments to try '${spec.name}' with (it starts no log)`).toBeDefined();
        if (typeof spec.readOnly === "function")
          expect(spec.readOnly(args as string[]), spec.name).toBe(true);
        const cwd = tmp();
        const r = await strataAsync(cwd, ...spec.name.split(" "), ...(args as string[]), "--log", log);
        results.push({ spec, cwd, r });
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    for (const { spec, cwd, r } of results) {
      expectNamed(
        { code: r.code, err: `strata ${spec.name}: ${r.err}` },
        3,
        new RegExp(`${log}: there is no strata log here`),
      );
      expect(readdirSync(cwd), `strata ${spec.name} wrote in its directory`).toEqual([]);
    }
    expect(existsSync(log)).toBe(false);
  }, 300_000);

  test("--log naming a regular file is named, for readers and writers", () => {
    const file = join(tmp(), "afile");
    writeFileSync(file, "x");
    expectNamed(strata("ps", "--log", file), 3, /is a file, not a log directory/);
    expectNamed(strata("apply", setupScript(), "--log", file), 3, /is a file, not a log directory/);
  });

  test("a LOCK that is a directory, segments/ that is a file, a segment that is a directory: each named", () => {
    const a = aLog();
    rmSync(join(a, "events", "LOCK"), { force: true });
    mkdirSync(join(a, "events", "LOCK"));
    expectNamed(strata("apply", setupScript(), "--log", a), 3, /LOCK: it is a directory, not a lock file/);

    const b = aLog();
    rmSync(join(b, "events", "segments"), { recursive: true });
    writeFileSync(join(b, "events", "segments"), "");
    expectNamed(strata("apply", setupScript(), "--log", b), 3, /segments: it is a file, not a directory/);
    expectNamed(strata("ps", "--log", b), 3, /segments/);

    const c = aLog();
    mkdirSync(join(c, "events", "segments", "0000000000099999.seg"));
    expectNamed(strata("ps", "--log", c), 3, /must be a regular file/);
    expectNamed(strata("apply", setupScript(), "--log", c), 3, /must be a regular file/);
  });

  test("an unknown flag in front of --log is refused, not taken as swallowing it (nothing is written anywhere)", () => {
    const log = join(tmp(), "log");
    const cwd = tmp();
    const r = spawnSync(process.execPath, [BIN, "apply", setupScript(), "--bogus", "--log", log], {
      encoding: "utf8",
      cwd,
    });
    expectNamed({ code: r.status, err: r.stderr }, 125, /unknown flag: --bogus/);
    expect(existsSync(log)).toBe(false);
    expect(readdirSync(cwd)).toEqual([]);
    expectNamed(strata("ps", "--log"), 125, /flag needs an argument: --log/);
    expectNamed(
      strata("log", "events", "--format", "yaml", "--log", log),
      125,
      /invalid argument "yaml" for "--format" flag/,
    );
  });
});

describe("damage is named, never repaired by deleting unless asked", () => {
  test("a damaged length byte in the middle: verify says where and writes nothing; repair moves the rest aside; then the log works", () => {
    const log = aLog();
    const more = script({ type: "fs.writeFile", container: "web", path: "/two", content: "2" });
    for (let i = 0; i < 3; i++) expect(strata("apply", more, "--log", log).code).toBe(0);
    const [file] = segments(log) as [string];
    const bytes = readFileSync(file);
    // Each command is one batch (20-byte header, then records): damage the fifth one's first record's
    // length (the second of the three writes), so that what stays before it still has the container.
    const batches: number[] = [];
    for (let at = 0; at < bytes.length; at += 20 + bytes.readUInt32LE(at + 8)) batches.push(at);
    const secondBatch = batches[4] as number;
    bytes[secondBatch + 20] = (bytes[secondBatch + 20] as number) ^ 0x40;
    writeFileSync(file, bytes);
    const verify = strata("log", "verify", "--log", log);
    expectNamed(verify, 3, new RegExp(`${file} at byte ${secondBatch + 20} \\(seq \\d+\\)`));
    expect(verify.err).toMatch(/strata log repair/);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expectNamed(strata("ps", "-a", "--log", log), 3, /at byte/);
    expectNamed(strata("apply", more, "--log", log), 3, /at byte/);
    expect(readFileSync(file).equals(bytes)).toBe(true);

    const repair = strata("log", "repair", "--log", log);
    expect(repair.code, repair.err).toBe(0);
    expect(repair.out).toMatch(/moved aside: .* from byte \d+/);
    const aside = readdirSync(join(log, "events", "damaged"));
    expect(aside).toHaveLength(1);
    expect(
      readFileSync(join(log, "events", "damaged", aside[0] as string)).equals(bytes.subarray(secondBatch)),
    ).toBe(true);
    expect(strata("log", "verify", "--log", log).code).toBe(0);
    expect(strata("apply", more, "--log", log).code).toBe(0);
  });

  test("a segment of garbage is damage, not an empty log", () => {
    const log = aLog();
    const [file] = segments(log) as [string];
    writeFileSync(file, "garbage ".repeat(100));
    expectNamed(strata("log", "verify", "--log", log), 3, /at byte 0/);
    expectNamed(strata("ps", "-a", "--log", log), 3, /at byte 0/);
  });

  test("a blob the log names, deleted or altered: cat and export refuse it by name, log verify lists it", () => {
    const log = aLog();
    // A small content is packed with the store's other small blobs: its bytes are changed where they lie.
    const packs = join(log, "blobs", "packs");
    const [pack] = readdirSync(packs) as [string];
    const blob = createHash("sha256").update("hello\n").digest("hex");
    const data = join(packs, pack, "data");
    const bytes = readFileSync(data);
    bytes.set(Buffer.from("HELLO\n"), bytes.indexOf("hello\n"));
    writeFileSync(data, bytes);
    expectNamed(strata("cat", "web", "/hello", "--log", log), 1, /the stored bytes were changed/);
    const verify = strata("log", "verify", "--log", log);
    expect(verify.code).toBe(1);
    expect(verify.err).toMatch(new RegExp(`seq \\d+: content sha256:${blob}: .*changed`));
    expect(verify.out).toMatch(/^damaged: /);
    rmSync(join(packs, pack), { recursive: true });
    expectNamed(strata("cat", "web", "/hello", "--log", log), 1, /is not in the blob store/);
    expect(strata("log", "verify", "--log", log).err).toMatch(/missing from the blob store/);
    const target = join(tmp(), "out.tar");
    expectNamed(strata("oci", "export", "web", target, "--log", log), 1, /is not in the blob store/);
  });
});

describe("what a run reports is what is stored", () => {
  test("an event over 64 MiB (a huge exec argument) is refused by name, nothing is stored, the log stays whole", () => {
    const log = aLog();
    const before = segments(log).map((f) => readFileSync(f).length);
    const start = script({ type: "container.start", container: "web" });
    expect(strata("apply", start, "--log", log).code).toBe(0);
    const afterStart = segments(log).map((f) => readFileSync(f).length);
    expect(afterStart).not.toEqual(before);
    const huge = script({ type: "container.exec", container: "web", cmd: ["echo", "x".repeat(70_000_000)] });
    const r = strata("apply", huge, "--log", log);
    expectNamed(r, 1, /over the limit of \d+ bytes \(64 MiB\)/);
    expect(r.out).not.toMatch(/#\d+/);
    expect(segments(log).map((f) => readFileSync(f).length)).toEqual(afterStart);
    expect(strata("log", "verify", "--log", log).code).toBe(0);
  });

  test("a line that is not valid UTF-8 is refused by line; the others are applied", () => {
    const log = aLog();
    const file = join(tmp(), "bytes.jsonl");
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(
          `${JSON.stringify({ type: "fs.writeFile", container: "web", path: "/ok", content: "fine" })}\n`,
        ),
        Buffer.from('{"type":"fs.writeFile","container":"web","path":"/caf'),
        Buffer.from([0xe9]),
        Buffer.from('","content":"x"}\n'),
      ]),
    );
    const r = strata("apply", file, "--log", log);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/line 2: not valid UTF-8/);
    expect(strata("cat", "web", "/ok", "--log", log).out).toBe("fine");
    expect(strata("ls", "web", "/", "--format", "json", "--log", log).out).not.toMatch(/caf/);
  });
});

describe("locks", () => {
  test("a LOCK left by a process that is now a zombie does not block the next writer", async () => {
    const log = aLog();
    // python starts `true` and never waits for it: the child stays a zombie while python sleeps. (sh
    // with `true & ...; exec sleep` raced: sh could reap the child before it exec'd.)
    const parent = spawn(
      "python3",
      [
        "-c",
        "import subprocess, time; p = subprocess.Popen(['true']); print(p.pid, flush=True); time.sleep(5)",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    try {
      const zombie = await new Promise<number>((resolve) =>
        parent.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))),
      );
      for (let i = 0; i < 50 && !readFileSync(`/proc/${zombie}/stat`, "utf8").includes(") Z "); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(readFileSync(`/proc/${zombie}/stat`, "utf8")).toContain(") Z ");
      writeFileSync(join(log, "events", "LOCK"), `${zombie} 0123456789abcdef\n`);
      const r = strata("apply", touchScript(), "--log", log);
      expect(r.code, r.err).toBe(0);
    } finally {
      parent.kill("SIGKILL");
    }
  });

  test("a LOCK held by a live writer names it and says how to check; one naming a reused pid is taken over", () => {
    const log = aLog();
    const lock = join(log, "events", "LOCK");
    // A live process (this test's runner) that is not the one that took the lock: its start time differs.
    writeFileSync(lock, `${process.pid} 0123456789abcdef 1\n`);
    const taken = strata("apply", touchScript(), "--log", log);
    expect(taken.code, taken.err).toBe(0);
    // An old-format lock naming a live process cannot be told from a live writer: refused, with the way out.
    writeFileSync(lock, `${process.pid} 0123456789abcdef\n`);
    const r = strata("apply", touchScript(), "--log", log);
    expectNamed(r, 3, new RegExp(`locked by process ${process.pid}`));
    expect(r.err).toMatch(new RegExp(`ps -p ${process.pid}`));
    expect(r.err).toMatch(new RegExp(`remove ${lock}`));
    rmSync(lock);
  });
});

// Root only: mounts.
const root = process.getuid?.() === 0;
if (!root && process.env.CI === "true") throw new Error("the mount tests must run under CI (as root)");
const mounted: string[] = [];
afterEach(() => {
  for (const dir of mounted.splice(0)) spawnSync("umount", [dir]);
});
function tmpfs(size: string): string {
  const dir = tmp();
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  mounted.push(dir);
  return dir;
}

describe.skipIf(!root)("a hostile disk (tmpfs mounts)", () => {
  test("a read-only mount: writers are refused by name (exit 3), readers still read", () => {
    const disk = tmpfs("8m");
    const log = join(disk, "log");
    expect(strata("apply", setupScript(), "--log", log).code).toBe(0);
    execFileSync("mount", ["-o", "remount,ro", disk]);
    expectNamed(strata("apply", setupScript(), "--log", log), 3, /read-only \(EROFS\)/);
    expect(strata("cat", "web", "/hello", "--log", log).out).toBe("hello\n");
    expect(strata("log", "verify", "--log", log).code).toBe(0);
  });

  test("a disk that fills up: the run that ran out of space is named (exit 1); every event a run reported is stored", () => {
    const disk = tmpfs("1m");
    const log = join(disk, "log");
    expect(strata("apply", setupScript(), "--log", log).code).toBe(0);
    // Each run writes 12 new files of 30 KB (new content: no blob is shared).
    const big = (run: number) =>
      script(
        ...Array.from({ length: 12 }, (_, i) => ({
          type: "fs.writeFile",
          container: "web",
          path: `/big${i}`,
          content: `${run}/${i}:`.repeat(5_000),
        })),
      );
    let failure: ReturnType<typeof strata> | null = null;
    const reported: number[] = [];
    for (let i = 0; i < 40 && failure === null; i++) {
      const r = strata("apply", big(i), "--log", log, "--format", "json");
      // What a run reports as done (exit 0 or not) is what it claims is stored.
      if (r.out !== "")
        for (const line of JSON.parse(r.out) as { ok: boolean; events?: number[] }[])
          if (line.ok) reported.push(...(line.events ?? []));
      if (r.code !== 0) failure = r;
    }
    expect(failure).not.toBeNull();
    const f = failure as ReturnType<typeof strata>;
    expect(f.code).toBe(1);
    // Named: in the failed lines' errors (the blobs did not fit) or on stderr (the events did not).
    expect(`${f.err}${f.out}`).toMatch(/no space left on (the )?device/i);
    expect(f.err).not.toMatch(/\n\s+at |internal error/);
    expect(readdirSync(join(log, "events")).filter((n) => n.startsWith("LOCK"))).toEqual([]);
    // Every event a run reported is there.
    const events = JSON.parse(strata("log", "events", "--format", "json", "--log", log).out) as {
      seq: number;
    }[];
    const seqs = new Set(events.map((e) => e.seq));
    expect(reported.length).toBeGreaterThan(0);
    for (const s of reported) expect(seqs.has(s), `reported seq ${s} is missing`).toBe(true);
    expect(strata("log", "verify", "--log", log).code).toBe(0);
  });

  test("a disk with no space at all: opening the log is named, and no LOCK temporary is left behind", () => {
    const disk = tmpfs("256k");
    const log = join(disk, "log");
    expect(strata("apply", setupScript(), "--log", log).code).toBe(0);
    try {
      writeFileSync(join(disk, "filler"), Buffer.alloc(1 << 20));
    } catch {
      // full now
    }
    for (let i = 0; ; i++) {
      try {
        writeFileSync(join(disk, `f${i}`), "x");
      } catch {
        break;
      }
    }
    expectNamed(strata("apply", setupScript(), "--log", log), 3, /no space left on the device \(ENOSPC\)/);
    expect(readdirSync(join(log, "events")).filter((n) => n.startsWith("LOCK"))).toEqual([]);
  });

  test("a log another user owns: named (permission denied), never a stack", () => {
    const log = aLog();
    chmodSync(log, 0o700);
    chmodSync(join(log, "events"), 0o700);
    const r = spawnSync(
      "setpriv",
      ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, BIN, "ps", "--log", log],
      {
        encoding: "utf8",
      },
    );
    if (r.error) return; // no setpriv here
    expectNamed({ code: r.status, err: r.stderr }, 3, /permission denied \(EACCES\)/);
  });
});
