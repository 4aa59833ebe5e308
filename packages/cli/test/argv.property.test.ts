/**
 * Any command line, however wrong, gets a documented answer: random argv made of the real commands,
 * their flags (and wrong ones), and values that name things that exist, things that do not, and junk,
 * run against one log that lives through the whole run. The laws:
 * - the exit code is one docs/cli.md documents (0, 1, 3, 125; 126 and 127 for a `run` the runtime
 *   refuses), never an internal error (70), a throw or a crash;
 * - stderr never shows a stack trace, and a failure says why on stderr;
 * - a command that failed changed nothing but what it reported done on stdout: each event it appended
 *   belongs to a container or an image that a line of its stdout names (`stop c1 nosuch` stops c1 and
 *   prints it; `run -d` prints the id of the container it created before its start failed), so one that
 *   printed nothing left the log as it was.
 * Most runs call `main` in this process; a sample spawns the built `strata` (what a user runs: its own
 * error handlers, its exit), including `wait` and `events`, killed when they block as they may.
 * Commands that would block run so that they do not: `run` and `exec` with `-d`, `stop` and `restart`
 * with `-t 0`; flags that set timers running (restart policies, health checks, stop timeouts) and those
 * that attach are left out, as are `serve`, `ui`, `demo` and the log's maintenance commands.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EngineState } from "@strata/core";
import { openEngine } from "@strata/engine";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { CommandSpec } from "../src/CommandSpec.js";
import { COMMANDS } from "../src/commands.js";
import { main } from "../src/main.js";
import { BIN } from "./support/strataServe.js";

const LEFT_OUT = new Set(["serve", "ui", "demo", "log events", "log repair"]);
/** Verbs that may block however they are called: only spawned, and killed after a while. */
const BLOCKING = new Set(["wait", "events"]);
const TIMER_FLAGS = /^(restart|health-|stop-timeout|attach|interactive|follow)/;
/** Prepended to a verb's own arguments so that it does not wait (and taken out of the random flags). */
const NO_WAIT: Readonly<Record<string, { args: string[]; flags: RegExp }>> = {
  run: { args: ["-d"], flags: /^(detach|d)$/ },
  exec: { args: ["-d"], flags: /^(detach|d)$/ },
  stop: { args: ["-t", "0"], flags: /^(timeout|time|t)$/ },
  restart: { args: ["-t", "0"], flags: /^(timeout|time|t)$/ },
};
const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\)|\(<anonymous>\))$/m;
const DOCUMENTED = [0, 1, 3, 125];

let cwd: string;
let log: string;
const home = process.cwd();

interface Outcome {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
  /** Ended by the test's kill timeout (a blocking verb). */
  readonly killed: boolean;
}

async function inProcess(argv: readonly string[]): Promise<Outcome> {
  let out = "";
  let err = "";
  const code = await main(["--log", log, ...argv], {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    bytes: async (b) => {
      out += Buffer.from(b).toString("latin1");
    },
    tty: false,
    errTty: false,
  });
  return { code, out, err, killed: false };
}

/** The built `strata`, killed (SIGKILL) after `killAfterMs`. */
function spawned(argv: readonly string[], killAfterMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, "--log", log, ...argv], { cwd, stdio: "pipe" });
    let out = "";
    let err = "";
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, killAfterMs);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString("latin1");
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.stdin.on("error", () => {});
    child.stdin.end();
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, killed });
    });
  });
}

/** The log's state and last seq, read without the writer's lock. */
async function observe(): Promise<{ seq: number; state: EngineState }> {
  const engine = await openEngine({ location: log, readOnly: true });
  try {
    return { seq: await engine.log.lastSeq(), state: engine.state };
  } finally {
    await engine.close();
  }
}

/** The streams appended to after `seq`. */
async function streamsAfter(seq: number): Promise<Set<string>> {
  const engine = await openEngine({ location: log, readOnly: true });
  try {
    return new Set((await engine.log.read(seq + 1)).map((e) => e.streamId));
  } finally {
    await engine.close();
  }
}

/**
 * The containers and images a command's stdout names (a name, an id or its prefix, `Untagged: TAG`,
 * `Deleted: ID`), in the states before and after it: the streams its events may have touched.
 */
function namedStreams(out: string, states: readonly EngineState[]): Set<string> {
  const named = new Set<string>();
  for (const raw of out.split("\n")) {
    const text = raw.trim().replace(/^(Untagged|Deleted): /, "");
    if (text === "") continue;
    for (const st of states) {
      const byName = st.names[text.replace(/^\/+/, "")];
      if (byName) named.add(byName);
      const byTag = st.tags[text];
      if (byTag) named.add(byTag);
      if (/^(sha256:)?[0-9a-f]+$/.test(text)) {
        for (const id of Object.keys(st.containers)) if (id.startsWith(text)) named.add(id);
        for (const id of Object.keys(st.images))
          if (id.startsWith(text) || id.slice("sha256:".length).startsWith(text)) named.add(id);
      }
    }
  }
  return named;
}

beforeAll(async () => {
  // Not a tempDirs() directory: those go after each test, and this log lives through both.
  cwd = mkdtempSync(join(tmpdir(), "strata-argv-"));
  process.chdir(cwd); // whatever a command writes (save -o, cp, graph -o) lands here
  log = join(cwd, "log");
  mkdirSync(join(cwd, "sub"));
  const setup = join(cwd, "setup.jsonl");
  writeFileSync(
    setup,
    `${JSON.stringify({ type: "image.create", layers: [], tags: ["base:1"], cmd: ["sh"] })}\n`,
  );
  expect((await inProcess(["apply", setup])).code).toBe(0);
  expect((await inProcess(["create", "--name", "c1", "base:1"])).code).toBe(0);
  expect((await inProcess(["create", "--name", "c2", "base:1", "true"])).code).toBe(0);
  expect((await inProcess(["start", "c1"])).code).toBe(0);
});
afterAll(() => {
  process.chdir(home);
  rmSync(cwd, { recursive: true, force: true });
});

const VALUES = [
  "c1",
  "c2",
  "nosuch",
  "base:1",
  "base",
  "x:y",
  "new:tag",
  "-",
  "",
  " ",
  "0",
  "-1",
  "99999",
  "c1@3",
  "c1@0",
  "base:1@2",
  "c1:/",
  "c1:/etc",
  "c2:/nosuch",
  "sub",
  "sub/",
  "out.tar",
  "./a:b",
  "/",
  "/etc",
  "name=c1",
  "status=running",
  "dangling=true",
  "label=a",
  "json",
  "{{.ID}}",
  "--",
  "=",
  "é",
  "--bogus",
  "-z",
  "--log",
  "-H",
  "tcp://bad",
  "sha256:",
  "0123456789ab",
  "true",
  "sh",
  "a".repeat(300),
];

const paths = (c: CommandSpec) => [c.name, ...(c.aliases ?? [])];

/** A command line for one of `specs`: its name, what keeps it from waiting, random tokens. */
function argvOf(specs: readonly CommandSpec[]): fc.Arbitrary<string[]> {
  return fc
    .constantFrom(...specs)
    .chain((spec) => {
      const noWait = NO_WAIT[spec.name];
      const flagTokens = Object.entries(spec.flags ?? {})
        .filter(
          ([name, f]) =>
            !TIMER_FLAGS.test(name) && !noWait?.flags.test(name) && !noWait?.flags.test(f.short ?? ""),
        )
        .flatMap(([name, f]) => [`--${name}`, ...(f.short ? [`-${f.short}`] : [])]);
      const token = fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
        {
          weight: flagTokens.length > 0 ? 3 : 0,
          arbitrary: fc.constantFrom(...(flagTokens.length ? flagTokens : ["-x"])),
        },
        { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
      );
      return fc.tuple(
        fc.constant([...spec.name.split(" "), ...(noWait?.args ?? [])]),
        fc.array(token, { maxLength: 5 }),
      );
    })
    .map(([words, rest]) => [...words, ...rest]);
}

/** Whether a random token would set timers running or attach (such lines are skipped). */
const setsTimers = (args: readonly string[]) =>
  args.some((a) => a.startsWith("-") && TIMER_FLAGS.test(a.replace(/^-+/, "")));

/** The laws, for one command line and what it did. */
async function checkLaws(args: readonly string[], before: { seq: number; state: EngineState }, r: Outcome) {
  const what = `strata ${JSON.stringify(args)}${r.killed ? " (killed)" : ""}: ${r.err}`;
  expect(r.err, `${what}: a stack trace`).not.toMatch(STACK_FRAME);
  expect(r.err, `${what}: an internal error`).not.toMatch(/internal error/);
  if (r.killed) {
    expect(BLOCKING.has(args[0] as string), `${what}: did not end`).toBe(true);
    expect((await observe()).seq, what).toBe(before.seq);
    return;
  }
  const codes = args[0] === "run" ? [...DOCUMENTED, 126, 127] : DOCUMENTED;
  expect(codes, what).toContain(r.code);
  if (r.code === 0) return;
  expect(r.err.trim(), `${what}: failed silently`).not.toBe("");
  const after = await observe();
  if (after.seq === before.seq) return;
  const named = namedStreams(r.out, [before.state, after.state]);
  for (const stream of await streamsAfter(before.seq))
    expect(
      named,
      `${what}: changed ${stream}, which its stdout (${JSON.stringify(r.out)}) does not name`,
    ).toContain(stream);
}

const inProcessCommands = COMMANDS.filter((c) => !paths(c).some((n) => LEFT_OUT.has(n) || BLOCKING.has(n)));

test("random command lines in process: a documented exit code, a reason on failure, no change without success", async () => {
  await fc.assert(
    fc.asyncProperty(argvOf(inProcessCommands), async (args) => {
      if (setsTimers(args)) return;
      const before = await observe();
      // A command that never ends is a failure of its own (it would otherwise hang the whole run).
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        inProcess(args),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`strata ${JSON.stringify(args)} did not end in 30 s`)),
            30_000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      await checkLaws(args, before, r);
    }),
    { numRuns: 200 },
  );
}, 600_000);

test("random command lines through the built strata, wait and events included (killed when they block)", async () => {
  const all = COMMANDS.filter((c) => !paths(c).some((n) => LEFT_OUT.has(n)));
  const blocking = all.filter((c) => BLOCKING.has(c.name));
  await fc.assert(
    fc.asyncProperty(
      fc.oneof({ weight: 1, arbitrary: argvOf(blocking) }, { weight: 2, arbitrary: argvOf(all) }),
      async (args) => {
        if (setsTimers(args)) return;
        const before = await observe();
        const r = await spawned(args, BLOCKING.has(args[0] as string) ? 8_000 : 60_000);
        await checkLaws(args, before, r);
      },
    ),
    { numRuns: 30 },
  );
}, 900_000);
