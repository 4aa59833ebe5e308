/**
 * Measure 14: `strata serve` answering `GET /containers/{id}/json` (docker inspect) to 16 clients with
 * keep-alive connections, in requests per second, against a bare node:http server answering a constant
 * body of the same size to the same clients. Both servers and the clients share this process, so both
 * sides pay the clients' cost alike.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sequentialIds, simulatedClock } from "@strata/core";
import { DockerServer } from "@strata/docker";
import { openEngine } from "@strata/engine";
import { type Measure, sized } from "./Measure.js";
import { fmtRate, median } from "./timing.js";

const CLIENTS = 16;

/** One GET, its body read whole; rejects on anything but 200. */
function get(agent: Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on("end", () =>
        res.statusCode === 200 ? resolve(bytes) : reject(new Error(`GET ${path}: ${res.statusCode}`)),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Milliseconds for `CLIENTS` clients to make `total` requests between them. */
async function load(port: number, path: string, total: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  let left = total;
  const client = async () => {
    while (left > 0) {
      left -= 1;
      await get(agent, port, path);
    }
  };
  try {
    const start = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, client));
    return performance.now() - start;
  } finally {
    agent.destroy();
  }
}

export const serveInspect: Measure = {
  id: "14",
  measure: "strata serve: GET /containers/{id}/json, 16 clients",
  baseline: "a bare node:http server answering a constant body of the same size",
  target: { op: ">=", value: 0.5 },
  async run(o) {
    const total = sized(o, 4_000, 64);
    const dir = mkdtempSync(join(tmpdir(), "strata-bench-serve-"));
    const engine = await openEngine({
      location: dir,
      follow: true,
      clock: simulatedClock(),
      ids: sequentialIds("bench-serve"),
    });
    const docker = new DockerServer({ backend: { engine, name: "strata", id: "strata", location: dir } });
    let bare: Server | null = null;
    try {
      for (const command of [
        { type: "image.create" as const, layers: [], tags: ["base:1"] },
        { type: "container.create" as const, image: "base:1", name: "web" },
      ]) {
        const r = await engine.execute(command);
        if (!r.ok) throw r.error;
      }
      const address = await docker.listen({ host: "127.0.0.1", port: 0 });
      const port = Number(address.slice(address.lastIndexOf(":") + 1));
      const path = "/v1.50/containers/web/json";
      const size = await get(new Agent(), port, path);
      const body = Buffer.alloc(size, "x");
      bare = createServer((_req, res) => {
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
        res.end(body);
      });
      await new Promise<void>((resolve) => bare?.listen(0, "127.0.0.1", resolve));
      const barePort = (bare.address() as AddressInfo).port;
      const ours: number[] = [];
      const theirs: number[] = [];
      const rounds = sized(o, 5, 1);
      for (let r = 0; r < rounds + (o.smoke ? 0 : 1); r++) {
        ours.push(await load(port, path, total));
        theirs.push(await load(barePort, path, total));
      }
      if (!o.smoke) {
        ours.shift(); // the first round warms up both
        theirs.shift();
      }
      const [a, b] = [median(ours), median(theirs)];
      return {
        ratio: b / a,
        detail: `${fmtRate(total, a, "requests")} vs ${fmtRate(total, b, "requests")} (${size}-byte body, ${total} requests)`,
      };
    } finally {
      await docker.close();
      await new Promise((resolve) => (bare ? bare.close(resolve) : resolve(null)));
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
