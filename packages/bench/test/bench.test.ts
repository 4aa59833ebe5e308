/**
 * The bench's machinery (not its timings: no test here is timed): workloads are a function of their
 * seed, verdicts follow the target's direction, and every row of the table has a measure.
 */
import { spawnSync } from "node:child_process";
import { MEASURES, meets, seededRandom, targetText } from "@strata/bench";
import { describe, expect, test } from "vitest";

describe("bench", () => {
  test("a seeded workload is the same every time, and different for another seed", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const draws = (r: typeof a) => [r.int(1000), r.next(), r.bytes(100).toString("hex"), r.int(7)];
    const first = draws(a);
    expect(draws(b)).toEqual(first);
    expect(draws(seededRandom(43))).not.toEqual(first);
    const bytes = seededRandom(1).bytes(1_000);
    expect(bytes.length).toBe(1_000);
    expect(new Set(bytes).size).toBeGreaterThan(200); // not a constant fill
  });

  test("verdicts follow the target's direction, at the boundary too", () => {
    expect(meets({ op: ">=", value: 0.5 }, 0.5)).toBe(true);
    expect(meets({ op: ">=", value: 0.5 }, 0.49)).toBe(false);
    expect(meets({ op: "<=", value: 1.5 }, 1.5)).toBe(true);
    expect(meets({ op: "<=", value: 1.5 }, 1.51)).toBe(false);
    expect(targetText({ op: "<=", value: 2 })).toBe("≤ 2");
  });

  test("every row of the issue's table (1 to 14) has a measure, with unique ids", () => {
    const ids = MEASURES.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...new Set(ids.map((id) => id.replace(/[a-z]$/, "")))]).toEqual(
      Array.from({ length: 14 }, (_, i) => String(i + 1)),
    );
  });
});

describe("the pnpm bench command line", () => {
  const main = new URL("../dist/main.js", import.meta.url).pathname;
  const bench = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });

  test("--help and --version answer at once and run nothing; a wrong flag or measure is a usage error", () => {
    const help = bench("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^\nUsage: {2}pnpm bench \[OPTIONS\]/);
    for (const m of MEASURES) expect(help.stdout).toContain(`  ${m.id.padEnd(4)} ${m.measure}`);
    expect(help.stdout).not.toContain("ratios against a baseline measured in the same run\n\n");
    expect(bench("-h").stdout).toBe(help.stdout);
    expect(bench("--version")).toMatchObject({ status: 0, stdout: "strata bench version 0.1.0\n" });
    expect(bench("--bogus")).toMatchObject({
      status: 125,
      stderr: expect.stringMatching(/^Unknown option '--bogus'/),
    });
    expect(bench("--only", "999")).toMatchObject({
      status: 125,
      stderr: 'unknown measure "999" for --only: see pnpm bench --help\n',
    });
  });

  test("--smoke runs a measure at a tiny size and prints its row without judging it", () => {
    expect(bench("--help").stdout).toContain("\n      --smoke ");
    const text = bench("--smoke", "--only", "3");
    expect(text.stderr).toBe("");
    expect(text.status).toBe(0);
    const lines = text.stdout.split("\n");
    expect(lines[1]).toBe("smoke: every measure at a tiny size, no ratio judged");
    expect(text.stdout).toMatch(/\n3 +\d+\.\d{3} {2}target ≤ 1\.5 {3}smoke +union lookup at 100 layers\n/);
    expect(text.stdout).not.toMatch(/MISSED|\bmet\b|FAILED|NOT MEASURED/);
    expect(text.stdout.trimEnd().split("\n").at(-1)).toBe("smoke: 1 of 1 measures ran");

    const json = bench("--smoke", "--json", "--only", "3");
    expect(json.status).toBe(0);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: "3", target: "≤ 1.5", met: null, smoke: true });
    expect(rows[0]?.ratio).toBeTypeOf("number");
    expect(rows[0]?.failed).toBeUndefined();
  });

  test("a measure that throws makes the exit status 1 and is named, with its error", () => {
    // No temporary directory to make: measure 2 cannot write its log, so it throws.
    const env = { ...process.env, TMPDIR: "/nonexistent/strata-bench" };
    const r = spawnSync(process.execPath, [main, "--smoke", "--only", "2,4"], { encoding: "utf8", env });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\n2 +— {2}target ≥ 0\.5 {3}FAILED +replay from the file log/);
    expect(r.stdout).toContain("threw: ENOENT");
    expect(r.stdout).toMatch(/\n4 +\d+\.\d{3} .* smoke +union lookup at 20 layers\n/);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("smoke: 1 of 2 measures ran; FAILED (threw): 2");
    expect(r.stderr).toMatch(/^measure 2 threw: Error: ENOENT/);
  });
});
