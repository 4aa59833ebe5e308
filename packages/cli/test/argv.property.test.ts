/**
 * Any command line, however wrong, gets a documented answer: random argv made of the real commands,
 * their flags (and wrong ones), and values that name things that exist, things that do not, and junk,
 * run through `main` against one log that lives through the whole run. The laws:
 * - the exit code is one docs/cli.md documents (0, 1, 3, 125), never an internal error (70) or a throw;
 * - a failure says why on stderr;
 * - a command that failed and reported no success of its own (nothing on stdout) left the log as it was.
 * Commands that wait for something outside the test (attached run and exec, wait, stop's grace period,
 * follow modes, serve, ui) and flags that set timers running (restart policies, health checks) are left out.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openEngine } from "@strata/engine";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import { tempDirs } from "../../../test-support/tempDirs.js";
import { COMMANDS } from "../src/commands.js";
import { main } from "../src/main.js";

const tmp = tempDirs("strata-argv-");
const LEFT_OUT = new Set([
  "run",
  "exec",
  "wait",
  "stop",
  "restart",
  "serve",
  "ui",
  "demo",
  "events",
  "log events",
  "log repair",
]);
const TIMER_FLAGS = /^(restart|health-|stop-timeout|attach|interactive|follow)/;
let cwd: string;
let log: string;
const home = process.cwd();

async function strata(argv: readonly string[]) {
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
  return { code, out, err };
}

async function lastSeq(): Promise<number> {
  const engine = await openEngine({ location: log, readOnly: true });
  try {
    return await engine.log.lastSeq();
  } finally {
    await engine.close();
  }
}

beforeAll(async () => {
  cwd = tmp();
  process.chdir(cwd); // whatever a command writes (save -o, cp, graph -o) lands here
  log = join(cwd, "log");
  mkdirSync(join(cwd, "sub"));
  const setup = join(cwd, "setup.jsonl");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(
    setup,
    `${JSON.stringify({ type: "image.create", layers: [], tags: ["base:1"], cmd: ["sh"] })}\n`,
  );
  expect((await strata(["apply", setup])).code).toBe(0);
  expect((await strata(["create", "--name", "c1", "base:1"])).code).toBe(0);
  expect((await strata(["create", "--name", "c2", "base:1", "true"])).code).toBe(0);
  expect((await strata(["start", "c1"])).code).toBe(0);
});
afterAll(() => process.chdir(home));

const commands = COMMANDS.filter((c) => ![c.name, ...(c.aliases ?? [])].some((n) => LEFT_OUT.has(n)));
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
  "a".repeat(300),
];

const argv = fc
  .constantFrom(...commands)
  .chain((spec) => {
    const flagTokens = Object.entries(spec.flags ?? {})
      .filter(([name]) => !TIMER_FLAGS.test(name))
      .flatMap(([name, f]) => [`--${name}`, ...(f.short ? [`-${f.short}`] : [])]);
    const token = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...VALUES) },
      {
        weight: flagTokens.length > 0 ? 3 : 0,
        arbitrary: fc.constantFrom(...(flagTokens.length ? flagTokens : ["-x"])),
      },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    );
    return fc.tuple(fc.constant(spec.name.split(" ")), fc.array(token, { maxLength: 5 }));
  })
  .map(([words, rest]) => [...words, ...rest]);

test("random command lines: a documented exit code, a reason on failure, no change without success", async () => {
  await fc.assert(
    fc.asyncProperty(argv, async (args) => {
      if (args.some((a) => TIMER_FLAGS.test(a.replace(/^-+/, "")))) return;
      const before = await lastSeq();
      // A command that never ends is a failure of its own (it would otherwise hang the whole run).
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        strata(args),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`strata ${JSON.stringify(args)} did not end in 30 s`)),
            30_000,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      expect([0, 1, 3, 125], `strata ${JSON.stringify(args)}: ${r.err}`).toContain(r.code);
      if (r.code !== 0) {
        expect(r.err.trim(), `strata ${JSON.stringify(args)} failed silently`).not.toBe("");
        if (r.out === "") expect(await lastSeq(), `strata ${JSON.stringify(args)}: ${r.err}`).toBe(before);
      }
    }),
    { numRuns: 200 },
  );
}, 300_000);
