/**
 * The same sequence of commands that change things (create, start, stop, kill, restart, pause, rm,
 * rename, wait, exec, run, cp, commit, tag, rmi, save, load, prune) and their refusals, through `strata`
 * and through the real docker CLI (28.2), each against its own `strata serve` on twin logs: at every
 * step the two print the same stdout and stderr, line for line, and end with the same exit code; the
 * files they write are the same. Ids, the names the daemon makes up and relative times are masked
 * (test/support/masked.ts); strata's stderr is read with `strata` spelled `docker`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { masked } from "./support/masked.js";
import { BIN, type CliResult, client, type Running, serve } from "./support/strataServe.js";
import { tarNames } from "./support/tarNames.js";

interface Step {
  readonly args: readonly string[];
  /** Standard input: text, or the bytes of a file in the client's directory (`@name`). */
  readonly input?: string;
  /** Standard output is a tar: compared by its entries. */
  readonly tar?: boolean;
  /** Files in the client's directory compared (by content) after the step. */
  readonly files?: readonly string[];
}

const s = (...args: string[]): Step => ({ args });

/** Run in order: each step starts from the state the steps before it left, the same on both sides. */
const STEPS: readonly Step[] = [
  // create
  s("create", "--name", "aa", "base:1", "sleep", "100"),
  s("create", "--name", "aa", "base:1", "sleep", "100"),
  s("create", "--name", "ff", "nope:1"),
  s("create", "--name", "bad/name", "base:1"),
  s("create", "UPPER"),
  s("create", `base@sha256:${"a".repeat(64)}`),
  s("create", "--restart", "bogus", "base:1"),
  s("create", "--restart", "on-failure:x", "base:1"),
  s("create", "--restart", "on-failure:-1", "--name", "neg", "base:1"),
  s("create", "--restart", ":1", "base:1"),
  s("create", "--pull", "bogus", "base:1"),
  s("create", "--health-interval", "-1s", "base:1"),
  s("create", "--health-interval", "1x", "base:1"),
  s("create", "--health-timeout", "5", "base:1"),
  s("create", "--no-healthcheck", "--health-retries", "1", "base:1"),
  s("create", "--stop-timeout", "0x10", "--name", "hex", "base:1", "true"),
  s("create", "--bogus", "base:1"),
  s("create"),
  // start, pause, unpause
  s("start", "aa"),
  s("start", "aa", "nope"),
  s("start", " "),
  s("start", "-a", "aa", "nope"),
  s("pause", "aa"),
  s("pause", "aa"),
  s("pause", "nope"),
  s("unpause", "aa"),
  s("unpause", "aa"),
  s("unpause"),
  // stop, kill, restart
  s("stop", "-t", "0", "aa"),
  s("stop", "aa"),
  s("stop", "nope", "aa"),
  s("stop", "-t", "abc", "aa"),
  s("stop", "-t", "99999999999999999999", "aa"),
  s("stop", "-t"),
  s("stop", "--timeout"),
  s("stop", "--time", "0", "aa"),
  s("stop", "--time", "0", "-t", "0", "aa"),
  s("stop", " ", "aa"),
  s("stop", "-s", "BOGUS", "aa"),
  s("kill", "aa"),
  s("kill", "nope"),
  s("restart", "-t", "0", "aa"),
  s("restart", "nope"),
  s("restart", "-t", "x", "aa"),
  s("kill", "-s", "BOGUS", "aa"),
  s("kill", "-s", "KILL", "aa"),
  // wait
  s("wait", "aa"),
  s("wait", "nope"),
  s("wait", "aa", "nope"),
  // rename
  s("rename", "aa", "bb"),
  s("rename", "bb", "bb"),
  s("rename", "nope", "x"),
  s("rename", "bb", " "),
  s("rename", "bb", "bad/name"),
  s("rename", "bb"),
  // rm
  s("rm", "bb"),
  s("rm", "bb"),
  s("rm", "-f", "missing"),
  s("rm", "-f", "missing", "other"),
  s("rm", "-f", " "),
  s("rm", "/"),
  s("create", "--name", "ee", "base:1", "sleep", "100"),
  s("start", "ee"),
  s("rm", "ee"),
  s("rm", "-f", "ee"),
  // run
  s("run", "-d", "--name", "cc", "base:1", "true"),
  s("run", "--name", "dd", "base:1", "sh", "-c", "exit 7"),
  s("run", "--rm", "base:1", "false"),
  s("run", "--name", "ok", "base:1", "true"),
  s("run", "--name", "dd", "base:1", "true"),
  s("run", "nope:1"),
  s("run", "UPPER"),
  s("run", "-d", "--rm", "--restart", "always", "base:1", "true"),
  s("run", "--restart", "on-failure:-1", "base:1", "true"),
  s("run", "--restart", "bogus", "base:1", "true"),
  s("run", "--stop-timeout", "x", "base:1", "true"),
  s("run", "--bogus", "base:1"),
  s("run", "--pull", "bogus", "base:1"),
  s("run", "-it", "base:1", "true"),
  s("run", "-d", "--name", "det", "base:1", "true"),
  s("run", "-d", "--name", "ss", "base:1", "sleep", "100"),
  // A program the image lacks, or cannot execute: 127 and 126 where the start looks programs up.
  s("run", "-d", "--name", "nf", "base:1", "nosuchcmd"),
  s("run", "-d", "--name", "nx", "base:1", "/bin/x"),
  // exec
  s("exec", "-d", "ss", "sleep", "5"),
  s("exec", "ss", "sh", "-c", "exit 3"),
  s("exec", "ss", "true"),
  s("exec", "cc", "true"),
  s("exec", "-d", "cc", "true"),
  s("exec", "nope", "true"),
  s("exec", "ss"),
  s("exec", " ", "true"),
  s("exec", "-it", "ss", "true"),
  s("start", "-a", "cc"),
  // commit, tag, rmi
  s("commit", "-m", "msg", "-a", "me", "-c", "ENV A=1", "cc", "img:1"),
  s("commit", "nope"),
  s("commit", "-c", "BOGUS x", "cc"),
  s("commit", "cc", "UPPER:1"),
  s("commit", " "),
  s("commit", "cc", `x@sha256:${"a".repeat(64)}`),
  s("tag", "img:1", "other:2"),
  s("tag", "nope", "other:2"),
  s("tag", "img:1", "UP:per"),
  s("tag", "Bad", "other:3"),
  s("tag", "img:1", `x@sha256:${"a".repeat(64)}`),
  s("tag", "img:1"),
  s("rmi", "other:2"),
  s("rmi", "img:1"),
  s("rmi", "nope"),
  s("rmi", "base:1"),
  s("rmi", "-f", "nope"),
  // cp
  { args: ["cp", "cc:/bin/x", "x"], files: ["x"] },
  s("cp", "x", "cc:/bin/x2"),
  { args: ["cp", "cc:/bin/x2", "-"], tar: true },
  s("cp", "nope:/x", "-"),
  s("cp", "cc:/nosuch", "y"),
  s("cp", "x", "y"),
  // save, load
  { args: ["save", "-o", "base.tar", "base:1"], files: ["base.tar"] },
  { args: ["save", "base:1"], tar: true },
  s("save", "nope"),
  s("save", "-o", "/nonexistent/dir/x.tar", "base:1"),
  s("save", "-o", "", "base:1"),
  { args: ["save", "-o", "nope.tar", "nope"], files: ["nope.tar"] },
  s("save", "-o", ".", "base:1"),
  s("save", "-o", "base.tar/x", "base:1"),
  s("tag", "base:1", "copy:1"),
  { args: ["save", "-o", "copy.tar", "copy:1"], files: ["copy.tar"] },
  s("rmi", "copy:1"),
  s("load", "-i", "copy.tar"),
  s("rmi", "copy:1"),
  { args: ["load"], input: "@copy.tar" },
  { args: ["load", "-q"], input: "@copy.tar" },
  s("load", "-i", "/nonexistent"),
  { args: ["load"], input: "not a tar" },
  // prune
  { args: ["container", "prune"], input: "n\n" },
  s("container", "prune", "-f", "--filter", "label=none"),
  s("container", "prune", "-f", "--filter", "bogus=1"),
  s("container", "prune", "-f"),
  s("image", "prune", "-f"),
  s("image", "prune", "-a", "-f"),
  s("ps", "-a", "--format", "{{.Names}} {{.Image}} {{.Command}} {{.Status}}"),
  s("images", "--format", "{{.Repository}}:{{.Tag}}"),
];

/**
 * The root filesystem of `base:1`: the programs the steps run (executable, so that a start that looks
 * them up finds them) and /bin/x, a file that is not executable.
 */
function baseLog(dir: string): string {
  const root = join(dir, "root");
  mkdirSync(join(root, "bin"), { recursive: true });
  for (const program of ["sh", "sleep", "true", "false"])
    writeFileSync(join(root, "bin", program), "#!\n", { mode: 0o755 });
  writeFileSync(join(root, "bin", "x"), "x\n", { mode: 0o644 });
  execFileSync("tar", ["-C", root, "-cf", join(dir, "root.tar"), "."]);
  const log = join(dir, "log");
  const r = spawnSync(
    process.execPath,
    [BIN, "--log", log, "import", "-c", 'CMD ["sh"]', join(dir, "root.tar"), "base:1"],
    { encoding: "utf8" },
  );
  expect(r.status, r.stderr).toBe(0);
  return log;
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("strata and docker change the same things and print the same", () => {
  const dir = mkdtempSync(join(tmpdir(), "strata-parity-mut-"));
  const sides = { strata: join(dir, "strata"), docker: join(dir, "docker") } as const;
  const servers: Partial<Record<keyof typeof sides, Running>> = {};
  beforeAll(async () => {
    const log = baseLog(dir);
    for (const [side, cwd] of Object.entries(sides)) {
      mkdirSync(cwd);
      cpSync(log, join(cwd, "log"), { recursive: true });
      servers[side as keyof typeof sides] = await serve(
        "--log",
        join(cwd, "log"),
        "--socket",
        join(dir, `${side}.sock`),
      );
    }
  }, 60_000);
  afterAll(async () => {
    for (const s of Object.values(servers)) {
      s?.child.kill("SIGTERM");
      await s?.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test.each(STEPS.map((step) => [step.args.join(" "), step] as const))(
    "%s",
    async (_, step) => {
      const seen = await Promise.all(
        (["strata", "docker"] as const).map(async (side) => {
          const cwd = sides[side];
          const input = step.input?.startsWith("@")
            ? readFileSync(join(cwd, step.input.slice(1)))
            : step.input;
          const r: CliResult = await client(side, (servers[side] as Running).address, step.args, {
            cwd,
            ...(input !== undefined ? { input } : {}),
          });
          return {
            code: r.code,
            out: step.tar ? tarNames(r.out) : masked(r.out.toString("utf8"), { ids: true }),
            err: masked(side === "strata" ? r.err.replace(/\bstrata\b/g, "docker") : r.err, { ids: true }),
            files: (step.files ?? []).map((f) =>
              existsSync(join(cwd, f)) ? `${f} ${sha(readFileSync(join(cwd, f)))}` : `${f} missing`,
            ),
          };
        }),
      );
      expect(seen[0]).toEqual(seen[1]);
    },
    60_000,
  );
});
