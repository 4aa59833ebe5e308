/**
 * The real docker CLI (28.2) drives `strata serve`'s containers: what it prints, its exit codes and its
 * error messages are what a Docker user sees from dockerd.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call } from "./support/http.js";
import { type Served, seedImage, serve } from "./support/served.js";

let d: Served;
beforeAll(async () => {
  d = await serve();
  await seedImage(d.engine);
});
afterAll(async () => {
  await d.stop();
  d.remove();
});

const ok = (r: { code: number | null; out: string; err: string }) => {
  expect(r.code, r.err).toBe(0);
  return r.out;
};

describe("docker against strata: containers", () => {
  test("version and info", async () => {
    expect(ok(await d.docker(["version"]))).toMatch(/Server: Strata[\s\S]*API version:\s+1\.50/);
    const info = ok(await d.docker(["info", "--format", "{{json .}}"]));
    expect(JSON.parse(info)).toMatchObject({ Images: 1, ServerVersion: "28.2.2", OSType: "linux" });
  });

  test("create, start, ps, inspect, stop -t, kill -s, pause/unpause, restart, rename, wait, rm -f", async () => {
    const id = ok(
      await d.docker([
        "create",
        "--name",
        "web",
        "-e",
        "A=1",
        "-l",
        "app=web",
        "--stop-timeout",
        "1",
        "alpine",
        "sleep",
        "100",
      ]),
    ).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(ok(await d.docker(["ps", "-q"]))).toBe("");
    expect(ok(await d.docker(["ps", "-aq"])).trim()).toBe(id.slice(0, 12));
    expect(ok(await d.docker(["start", "web"])).trim()).toBe("web");
    const row = JSON.parse(ok(await d.docker(["ps", "--format", "{{json .}}"])).trim());
    expect(row).toMatchObject({ Names: "web", Image: "alpine", Labels: "app=web", State: "running" });
    expect(row.Status).toMatch(/^Up /);
    expect(ok(await d.docker(["ps", "--filter", "label=app=web", "--format", "{{.Names}}"])).trim()).toBe(
      "web",
    );
    expect(ok(await d.docker(["ps", "--filter", "name=nope", "-q"]))).toBe("");
    const [inspected] = JSON.parse(ok(await d.docker(["inspect", "web"])));
    expect(inspected).toMatchObject({
      Id: id,
      Name: "/web",
      Path: "sleep",
      Args: ["100"],
      State: { Status: "running", Running: true, Paused: false, Restarting: false, ExitCode: 0 },
      Config: { Cmd: ["sleep", "100"], Image: "alpine", Labels: { app: "web" } },
      HostConfig: { RestartPolicy: { Name: "no", MaximumRetryCount: 0 } },
      RestartCount: 0,
    });
    expect(inspected.State.StartedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(inspected.Config.Env).toContain("A=1");
    expect(ok(await d.docker(["inspect", "-f", "{{.State.Status}}", "web"])).trim()).toBe("running");
    // kill with a signal the program does not handle: PID 1 ignores it, as in Docker.
    expect(ok(await d.docker(["kill", "-s", "HUP", "web"])).trim()).toBe("web");
    expect(await d.docker(["kill", "-s", "SIGFOO", "web"])).toMatchObject({
      code: 1,
      err: "Error response from daemon: cannot kill container: web: invalid signal: SIGFOO\n",
    });
    expect(ok(await d.docker(["pause", "web"])).trim()).toBe("web");
    expect(ok(await d.docker(["inspect", "-f", "{{.State.Status}}", "web"])).trim()).toBe("paused");
    expect(ok(await d.docker(["unpause", "web"])).trim()).toBe("web");
    expect(ok(await d.docker(["rename", "web", "web2"]))).toBe("");
    expect(ok(await d.docker(["restart", "-t", "0", "web2"])).trim()).toBe("web2");
    expect(
      ok(await d.docker(["inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "web2"])).trim(),
    ).toMatch(/^running/);
    // stop -t 1: SIGTERM is ignored, SIGKILL at the deadline: 137.
    expect(ok(await d.docker(["stop", "-t", "1", "web2"])).trim()).toBe("web2");
    expect(ok(await d.docker(["inspect", "-f", "{{.State.ExitCode}}", "web2"])).trim()).toBe("137");
    expect(ok(await d.docker(["wait", "web2"])).trim()).toBe("137");
    expect(ok(await d.docker(["start", "web2"])).trim()).toBe("web2");
    expect(await d.docker(["rm", "web2"])).toMatchObject({
      code: 1,
      err: 'Error response from daemon: cannot remove container "web2": container is running: stop the container before removing or force remove\n',
    });
    expect(ok(await d.docker(["rm", "-f", "web2"])).trim()).toBe("web2");
    expect(ok(await d.docker(["ps", "-aq"]))).toBe("");
  });

  test("errors as dockerd sends them; a name taken; a missing image; stop of a stopped container", async () => {
    expect(await d.docker(["start", "nope"])).toMatchObject({
      code: 1,
      err: "Error response from daemon: No such container: nope\nError: failed to start containers: nope\n",
    });
    expect(await d.docker(["create", "--pull", "never", "nosuch"])).toMatchObject({
      code: 1,
      err: "Error response from daemon: No such image: nosuch:latest\n",
    });
    ok(await d.docker(["create", "--name", "db", "alpine", "sleep", "1"]));
    const taken = await d.docker(["create", "--name", "db", "alpine"]);
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(
      /^Error response from daemon: Conflict\. The container name "\/db" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\n$/,
    );
    expect(ok(await d.docker(["stop", "db"])).trim()).toBe("db"); // 304: not running, still a success
    expect(ok(await d.docker(["rm", "db"])).trim()).toBe("db");
  });

  test("a program the image does not have: docker run exits 127 or 126 with runc's message, the container stays created", async () => {
    const OCI =
      "failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: ";
    const runFails = (message: string) =>
      `docker: Error response from daemon: ${OCI}${message}\n\nRun 'docker run --help' for more information\n`;
    const missing = `exec: "/nonexistent": stat /nonexistent: no such file or directory: unknown`;
    expect(await d.docker(["run", "--name", "r1", "alpine", "/nonexistent"])).toMatchObject({
      code: 127,
      err: runFails(missing),
    });
    const state = JSON.parse(ok(await d.docker(["inspect", "--format", "{{json .State}}", "r1"])));
    expect(state).toMatchObject({
      Status: "created",
      Running: false,
      ExitCode: 127,
      Error: `${OCI}${missing}`,
    });
    expect(await d.docker(["start", "r1"])).toMatchObject({
      code: 1,
      err: `Error response from daemon: ${OCI}${missing}\nError: failed to start containers: r1\n`,
    });
    // A bare name is looked up in the image's PATH (Docker's default here); --rm removes the container.
    expect(await d.docker(["run", "--rm", "--name", "r2", "alpine", "nosuch"])).toMatchObject({
      code: 127,
      err: runFails('exec: "nosuch": executable file not found in $PATH: unknown'),
    });
    expect(ok(await d.docker(["ps", "-a", "--filter", "name=r2", "-q"]))).toBe("");
    expect(
      await d.docker(["run", "-e", "PATH=/nowhere", "--name", "r3", "alpine", "sleep", "1"]),
    ).toMatchObject({
      code: 127,
      err: runFails('exec: "sleep": executable file not found in $PATH: unknown'),
    });
    expect(await d.docker(["run", "--name", "r4", "alpine", "/bin"])).toMatchObject({
      code: 126,
      err: runFails('exec: "/bin": is a directory: unknown: permission denied'),
    });
    expect(await d.docker(["run", "--name", "r5", "alpine", "/etc/hostname"])).toMatchObject({
      code: 126,
      err: runFails('exec: "/etc/hostname": permission denied: unknown'),
    });
    ok(await d.docker(["rm", "r1", "r3", "r4", "r5"]));
  });

  test("create checks the settings before the command, as moby does: a bad restart policy on an image with no Cmd", async () => {
    await seedImage(d.engine, "nocmd:1", []);
    expect(await d.docker(["create", "--restart", "always:3", "nocmd:1"])).toMatchObject({
      code: 1,
      err: "Error response from daemon: invalid restart policy: maximum retry count can only be used with 'on-failure'\n",
    });
    expect(await d.docker(["create", "nocmd:1"])).toMatchObject({
      code: 1,
      err: "Error response from daemon: no command specified\n",
    });
  });

  test("the Engine API's own checks, in dockerd's words: a healthcheck's values, malformed JSON", async () => {
    const create = (body: string) => call(d.socket, "POST", "/v1.50/containers/create", body);
    const refused = async (body: string, message: string) => {
      const r = await create(body);
      expect([r.status, r.json()]).toEqual([400, { message }]);
    };
    const hc = (extra: Record<string, number>) =>
      JSON.stringify({ Image: "alpine", Healthcheck: { Test: ["CMD", "true"], ...extra } });
    await refused(hc({ Retries: -1 }), "Retries in Healthcheck cannot be negative");
    await refused(hc({ Interval: 500_000 }), "Interval in Healthcheck cannot be less than 1ms");
    await refused(hc({ Timeout: -1 }), "Timeout in Healthcheck cannot be less than 1ms");
    await refused("{bad}", "invalid JSON: invalid character 'b' looking for beginning of object key string");
    await refused('{"Image": "alpine",', "invalid JSON: unexpected EOF");
    await refused('{"Image": "alpine"} x', "unexpected content after JSON");
    await refused("  ", "invalid JSON: got EOF while reading request body");
  });

  test("container prune removes what is not running", async () => {
    ok(await d.docker(["create", "--name", "p1", "alpine", "sleep", "1"]));
    ok(await d.docker(["run", "-d", "--name", "p2", "alpine", "sleep", "100"]));
    const pruned = ok(await d.docker(["container", "prune", "-f"]));
    expect(pruned).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: 0B\n$/);
    expect(ok(await d.docker(["ps", "-a", "--format", "{{.Names}}"])).trim()).toBe("p2");
    ok(await d.docker(["rm", "-f", "p2"]));
  });
});
