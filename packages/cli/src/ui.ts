/**
 * `strata ui`: the explorer, a web page over the log that scrubs through time (timeline, layer stack,
 * union view with provenance, lifecycle), live as other writers append, until SIGTERM or SIGINT. It
 * opens the log read-only and listens on loopback (127.0.0.1:7390 unless told otherwise); an address
 * beyond this machine is allowed only when given, with a warning, since the page shows all of the log.
 */
import { type DurableEngine, openEngine } from "@strata/engine";
import { ExplorerServer } from "@strata/explorer";
import { UsageError } from "./args.js";
import { type CommandSpec, OpenFailure } from "./CommandSpec.js";
import { untilSignalled } from "./serve.js";

const isLoopback = (host: string) =>
  host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

export const uiCommand: CommandSpec = {
  name: "ui",
  group: "strata",
  readOnly: true,
  usage: "strata ui [--port PORT] [--address ADDR] [--log DIR|postgres://…]",
  summary:
    "Serve the explorer: a web page that scrubs through the log's history, live, until SIGTERM or SIGINT",
  args: { max: 0 },
  flags: {
    port: { type: "string", help: "The TCP port to listen on (default 7390; 0: any free port)" },
    address: { type: "string", help: "The address to listen on (default 127.0.0.1)" },
  },
  run: async (ctx) => {
    const portFlag = ctx.flags.get("port");
    const port = typeof portFlag === "string" ? Number(portFlag) : 7390;
    if (typeof portFlag === "string" && (!/^\d{1,5}$/.test(portFlag) || port > 65535))
      throw new UsageError(`invalid --port ${JSON.stringify(portFlag)}: expected a number from 0 to 65535`);
    const addressFlag = ctx.flags.get("address");
    const host = typeof addressFlag === "string" ? addressFlag : "127.0.0.1";
    if (!isLoopback(host))
      ctx.out.error(
        `strata: warning: listening on ${host}, beyond this machine: the page has no authentication, so anyone who reaches it reads the whole log`,
      );
    let engine: DurableEngine;
    try {
      engine = await openEngine({
        location: ctx.location,
        readOnly: true,
        follow: true,
        onWarning: (message) => ctx.out.error(`strata: warning: ${message}`),
      });
    } catch (e) {
      throw new OpenFailure(e);
    }
    const server = new ExplorerServer({ engine, location: ctx.location });
    try {
      const url = await server.listen({ host, port });
      ctx.out.line(`strata explorer on ${url} (log ${ctx.location}, ${server.timeline.lastSeq} events)`);
      await untilSignalled();
    } finally {
      await server.close();
      await engine.close();
    }
    return 0;
  },
};
