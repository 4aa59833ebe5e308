/**
 * Flag values read as docker's pflag reads them, with the real docker CLI (28.2) as the oracle: for random
 * texts given to an `int` flag (`stop -t`) and a `duration` flag (`create --health-interval`), docker
 * refuses exactly those strata's parser refuses, with the same message (`invalid argument "0x" for "-t,
 * --timeout" flag: strconv.ParseInt: parsing "0x": invalid syntax`). Docker is pointed at no daemon: a
 * value it accepts goes on to a connection error (or a check of its own, such as a negative interval).
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { FlagError, parseArgs } from "../src/args.js";
import { parseGoDuration, parseGoInt64 } from "../src/flagValue.js";
import { stopVerb } from "../src/verbs/containerVerbs.js";
import { createVerb } from "../src/verbs/create.js";

const CONFIG = mkdtempSync(join(tmpdir(), "strata-flag-docker-"));

/** docker's first line of stderr, and its exit code. */
function dockerSays(args: readonly string[]): Promise<{ code: number | null; first: string }> {
  return new Promise((resolve) => {
    const child = spawn("docker", args, {
      env: { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock", DOCKER_CONFIG: CONFIG },
    });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("close", (code) => resolve({ code, first: err.split("\n")[0] ?? "" }));
  });
}

/** strata's parser on the same arguments: null when it accepts them, else its message. */
function strataSays(args: readonly string[], flags: Parameters<typeof parseArgs>[1]): string | null {
  try {
    parseArgs(args, flags, { interspersed: false });
    return null;
  } catch (e) {
    if (e instanceof FlagError) return e.message;
    throw e;
  }
}

const text = (chars: string) => fc.array(fc.constantFrom(...chars), { maxLength: 24 }).map((a) => a.join(""));

describe("flag values as pflag reads them", () => {
  test("ints (stop -t): the same texts refused, in the same words", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          text("0123456789xXoObB_+-a"),
          fc.constantFrom(
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "0x7fffffffffffffff",
            "1_000",
            "_1",
            "0_",
            "0o17",
            "08",
            "0b102",
          ),
        ),
        async (value) => {
          const args = ["stop", "-t", value, "x"];
          const theirs = await dockerSays(args);
          const ours = strataSays(args.slice(1), stopVerb.flags ?? {});
          if (theirs.code === 125) expect(ours, value).toBe(theirs.first);
          else expect(ours, `${value}: docker accepted it (${theirs.first})`).toBeNull();
        },
      ),
      { numRuns: 60 },
    );
  }, 300_000);

  test("durations (create --health-interval): the same texts refused, in the same words", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          text("0123456789.+-hmsunµ"),
          fc.constantFrom(
            "1h2m3.5s",
            ".5s",
            "5.s",
            "1",
            "1x",
            "9223372036854775807ns",
            "9223372036854775808ns",
            "2562048h",
            "-0",
            "+.1h",
            "1μs",
          ),
        ),
        async (value) => {
          const args = ["create", "--health-interval", value, "img"];
          const theirs = await dockerSays(args);
          const ours = strataSays(args.slice(1), createVerb.flags ?? {});
          // Accepted values go on to docker's own checks (a negative interval) or its connection.
          if (theirs.first.startsWith("invalid argument")) expect(ours, value).toBe(theirs.first);
          else expect(ours, `${value}: docker accepted it (${theirs.first})`).toBeNull();
        },
      ),
      { numRuns: 60 },
    );
  }, 300_000);

  test("the values read are Go's", () => {
    expect(
      [
        ["0x10", 16n],
        ["010", 8n],
        ["0b11", 3n],
        ["1_000", 1000n],
        ["-0o7", -7n],
        ["+5", 5n],
      ].map(([s]) => parseGoInt64(s as string)),
    ).toEqual([16n, 8n, 3n, 1000n, -7n, 5n].map((value) => ({ ok: true, value })));
    expect(
      ["1h2m3.5s", ".5s", "1.5µs", "-1m", "0", "1000000000000ns"].map((s) => parseGoDuration(s)),
    ).toEqual(
      [3_723_500_000_000n, 500_000_000n, 1_500n, -60_000_000_000n, 0n, 1_000_000_000_000n].map((value) => ({
        ok: true,
        value,
      })),
    );
  });
});
