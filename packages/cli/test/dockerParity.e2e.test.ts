/**
 * The same read commands through `strata` and through the real docker CLI (28.2), both against one
 * `strata serve` on a demo log: the outputs agree line for line, and so do the refusals of flags docker's
 * parser finds wrong. Relative times are masked (test/support/masked.ts). The commands that change
 * things are compared in dockerParityMutations.e2e.test.ts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { masked } from "./support/masked.js";
import { BIN, client, docker, type Running, serve } from "./support/strataServe.js";

const strata = async (host: string, args: readonly string[]) => {
  const r = await client("strata", host, args);
  return { code: r.code, out: r.out.toString("utf8"), err: r.err };
};

/** Lines docker refuses (a flag's value, a missing object, a bad template): the rest must succeed. */
const REFUSED = (args: readonly string[]) =>
  args.includes("nope") ||
  args.includes("{{.ID") ||
  ["--filter", "--last", "-f", "-n"].includes(args.at(-1) as string) ||
  args.some((a) => ["x", "1x", "99999999999999999999", "noequals", "-az", "-a=x"].includes(a));

describe("strata and docker print the same for the same server", () => {
  const dir = mkdtempSync(join(tmpdir(), "strata-parity-"));
  const log = join(dir, "log");
  let server: Running;
  beforeAll(async () => {
    for (const args of [["demo"], ["run", "-d", "--name", "idle", "demo/web:2"]]) {
      const r = spawnSync(process.execPath, [BIN, "--log", log, ...args], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
    }
    server = await serve("--log", log, "--socket", join(dir, "strata.sock"));
  }, 60_000);
  afterAll(async () => {
    server?.child.kill("SIGTERM");
    await server?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  /** `--until` now: the log's events are all in the past, so both stop after the replay. */
  const until = "UNTIL";
  test.each([
    [["ps"]],
    [["ps", "-a"]],
    [["ps", "-a", "--format", "json"]],
    [["ps", "-a", "--no-trunc"]],
    [["ps", "-aq"]],
    [["ps", "-a", "--format", "table {{.ID}}\\t{{.Names}}\\t{{.Image}}\\t{{.State}}"]],
    [["ps", "-a", "-f", "name=web", "--format", "{{.Names}} {{upper .State}}"]],
    [["ps", "-a", "-n", "1"]],
    [["ps", "-l", "--format", "{{json .}}"]],
    [["ps", "-n", "0x1"]],
    [["ps", "-a", "-f", ""]],
    [["ps", "--filter"]],
    [["ps", "-a", "--last"]],
    [["ps", "-f"]],
    [["ps", "-n"]],
    [["ps", "-n", "x"]],
    [["ps", "-n", "99999999999999999999"]],
    [["ps", "-f", "noequals"]],
    [["ps", "-az"]],
    [["ps", "-a=x"]],
    [["images", "--filter"]],
    [["events", "--filter"]],
    [["images"]],
    [["images", "--format", "json"]],
    [["images", "-q"]],
    [["history", "demo/web:2"]],
    [["history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", "demo/web:2"]],
    [["inspect", "-f", "{{.Name}} {{.State.Status}} {{.Config.Cmd}}", "web", "idle"]],
    [["inspect", "web"]],
    [["inspect", "--type", "image", "-f", "{{.Id}}", "demo/web:2"]],
    [["inspect", "nope"]],
    [["inspect", "-f", "{{.ID", "web"]],
    [["events", "--since", "0", "--until", until]],
    [
      [
        "events",
        "--since",
        "0",
        "--until",
        until,
        "--format",
        "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
      ],
    ],
    [["events", "--since", "0", "--until", until, "-f", "type=container", "--format", "json"]],
  ])("%j", async (template) => {
    const now = String(Math.floor(Date.now() / 1000));
    const args = template.map((a) => (a === until ? now : a));
    const [ours, theirs] = await Promise.all([strata(server.address, args), docker(server.address, ...args)]);
    expect(masked(ours.out)).toEqual(masked(theirs.out));
    expect(ours.err.replace(/strata/g, "docker")).toBe(theirs.err);
    expect(ours.code).toBe(theirs.code);
    // not a comparison of two empty answers: what docker reads of this server succeeds and says something
    if (!REFUSED(template))
      expect({ code: theirs.code, empty: theirs.out === "" }).toEqual({ code: 0, empty: false });
    else expect(theirs.code, "a refusal").not.toBe(0);
  });

  test("the daemon inside strata answers as strata serve does", async () => {
    const embedded = spawnSync(process.execPath, [BIN, "--log", log, "ps", "-a", "--format", "json"], {
      encoding: "utf8",
    });
    const served = await strata(server.address, ["ps", "-a", "--format", "json"]);
    expect(embedded.status, embedded.stderr).toBe(0);
    expect(masked(embedded.stdout)).toEqual(masked(served.out));
  });
});
