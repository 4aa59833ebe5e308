/**
 * dockerode (the Node client most tools use) drives the server: it negotiates nothing and sends what
 * its own code builds, so it checks the API from a second client beside the docker CLI.
 */
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Served, seedImage, serve } from "./support/served.js";

let d: Served;
let docker: Docker;
beforeAll(async () => {
  d = await serve();
  await seedImage(d.engine);
  docker = new Docker({ socketPath: d.socket });
});
afterAll(async () => {
  await d.stop();
  d.remove();
});

describe("dockerode against strata", () => {
  test("ping, version, info", async () => {
    expect(String(await docker.ping())).toBe("OK");
    const version = await docker.version();
    expect(version).toMatchObject({ ApiVersion: "1.50", Os: "linux" });
    expect(await docker.info()).toMatchObject({ Images: 1, Containers: 0 });
  });

  test("a container's life: create, start, inspect, list with filters, kill, restart, stop, remove", async () => {
    const created = await docker.createContainer({
      name: "api",
      Image: "alpine",
      Cmd: ["sleep", "100"],
      Labels: { role: "api" },
      HostConfig: { RestartPolicy: { Name: "on-failure", MaximumRetryCount: 2 } },
    });
    expect(created.id).toMatch(/^[0-9a-f]{64}$/);
    await created.start();
    const info = await created.inspect();
    expect(info).toMatchObject({
      Id: created.id,
      Name: "/api",
      State: { Status: "running", Running: true },
      Config: { Labels: { role: "api" } },
      HostConfig: { RestartPolicy: { Name: "on-failure", MaximumRetryCount: 2 } },
    });
    const listed = await docker.listContainers({ filters: { label: ["role=api"] } });
    expect(listed.map((c) => c.Names)).toEqual([["/api"]]);
    expect(await docker.listContainers({ filters: { status: ["exited"] } })).toEqual([]);
    await created.kill({ signal: "SIGKILL" });
    // A kill (SIGKILL, or the stop signal) cancels the restart policy, as in dockerd (ExitOnNext).
    expect(await created.inspect()).toMatchObject({
      RestartCount: 0,
      State: { Status: "exited", ExitCode: 137 },
    });
    await created.restart({ t: 0 });
    expect((await created.inspect()).State.Running).toBe(true);
    await created.stop({ t: 0 });
    expect((await created.inspect()).State).toMatchObject({ Running: false, ExitCode: 137 });
    await expect(created.stop()).rejects.toMatchObject({ statusCode: 304 });
    const waited = await created.wait();
    expect(waited).toEqual({ StatusCode: 137 });
    await created.remove();
    await expect(created.inspect()).rejects.toMatchObject({
      statusCode: 404,
      json: { message: `No such container: ${created.id}` },
    });
  });

  test("refusals carry dockerd's status and message", async () => {
    await expect(docker.createContainer({ Image: "nosuch:1" })).rejects.toMatchObject({
      statusCode: 404,
      json: { message: "No such image: nosuch:1" },
    });
    const c = await docker.createContainer({ name: "twice", Image: "alpine", Cmd: ["sleep", "1"] });
    await expect(docker.createContainer({ name: "twice", Image: "alpine" })).rejects.toMatchObject({
      statusCode: 409,
    });
    await c.start();
    await expect(c.remove()).rejects.toMatchObject({ statusCode: 409 });
    await c.remove({ force: true });
  });
});
