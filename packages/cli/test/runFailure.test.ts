/**
 * How `strata run` ends when the create or the start fails, as docker/cli's `toStatusError`: 127 when the
 * runtime did not find the program, 126 when it could not execute it, 125 for anything else; the
 * error's text after `strata: ` (a daemon's refusal with its prefix), then the hint to `--help`.
 */
import { describe, expect, test } from "vitest";
import { CommandError, ExitStatus } from "../src/CommandSpec.js";
import { DaemonError } from "../src/client/DockerClient.js";
import { runFailure } from "../src/verbs/run.js";

const OCI =
  "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ";

describe("runFailure", () => {
  test.each([
    [400, `${OCI}exec: "nosuch": executable file not found in $PATH: unknown`, 127],
    [400, `${OCI}exec: "/nonexistent": stat /nonexistent: no such file or directory: unknown`, 127],
    [400, `${OCI}exec: "/bin/x": permission denied: unknown`, 126],
    [400, `${OCI}exec: "/bin": is a directory: unknown`, 126],
    [500, "Cannot restart container web: something else", 125],
    [404, "No such image: nope:1", 125],
    [409, 'Conflict. The container name "/dd" is already in use by container "x".', 125],
  ])("a daemon's %i %j ends with %i", (status, message, code) => {
    const e = runFailure(new DaemonError(status, message));
    expect(e).toBeInstanceOf(ExitStatus);
    expect(e.code).toBe(code);
    expect(e.message).toBe(
      `strata: Error response from daemon: ${message}\n\nRun 'strata run --help' for more information`,
    );
  });

  test("a client-side refusal is printed as it is, exit 125", () => {
    const message = "invalid reference format: repository name (library/UPPER) must be lowercase";
    const e = runFailure(new CommandError(message));
    expect([e.code, e.message]).toEqual([
      125,
      `strata: ${message}\n\nRun 'strata run --help' for more information`,
    ]);
  });

  test("anything else is not a refusal: thrown on (an internal error)", () => {
    expect(() => runFailure(new TypeError("a bug"))).toThrow(TypeError);
  });
});
