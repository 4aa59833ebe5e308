/**
 * The daemon inside `strata` itself: the durable engine on `--log`, served by the same `DockerServer`
 * as `strata serve`, on a socket in a private directory (mode 0700) that lives as long as the command.
 * The Docker verbs talk to it with `DockerClient`, exactly as they talk to a `strata serve` elsewhere,
 * so the two can never answer differently.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerServer } from "@strata/docker";
import type { DurableEngine } from "@strata/engine";
import { DockerClient } from "./DockerClient.js";

export class EmbeddedDaemon {
  readonly client: DockerClient;
  readonly #server: DockerServer;
  readonly #dir: string;

  private constructor(server: DockerServer, dir: string, client: DockerClient) {
    this.#server = server;
    this.#dir = dir;
    this.client = client;
  }

  static async start(engine: DurableEngine, location: string): Promise<EmbeddedDaemon> {
    const dir = mkdtempSync(join(tmpdir(), "strata-cli-"));
    const server = new DockerServer({ backend: { engine, name: "strata", id: "strata", location } });
    try {
      const address = await server.listen({ socket: join(dir, "api.sock") });
      return new EmbeddedDaemon(server, dir, new DockerClient(address));
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  async close(): Promise<void> {
    try {
      await this.#server.close();
    } finally {
      rmSync(this.#dir, { recursive: true, force: true });
    }
  }
}
