/**
 * `strata serve`: the Docker Engine API over the durable engine, until SIGTERM or SIGINT.
 *
 * - Listens on a unix socket (default `./strata.sock`, made mode 0600) and, with `--host
 *   tcp://ADDR:PORT`, on TCP too. A TCP address off loopback is allowed only when given, with a warning:
 *   the API has no authentication, so whoever reaches it controls the daemon.
 * - Runs the engine with real-time timers (stop deadlines, restart back-off, health checks fire on
 *   time) and follows the log, so commands of other writers (other servers on the same PostgreSQL log,
 *   `strata` commands on the same directory) show at once.
 * - Starting on a log a previous process wrote is dockerd starting again: it issues `daemon.restart`
 *   before it listens (the shutdown dockerd did when it stopped, then its restore: containers without a
 *   restart policy are stopped, `always` ones started again…; docs/lifecycle.md "The daemon"), whether
 *   the previous server stopped cleanly or was killed (a container's processes are modelled, so they
 *   outlive the server, as containerd's shims outlive a killed dockerd). `--live-restore` leaves the
 *   containers as they are (dockerd's option of that name; for a second server on a shared log).
 * - SIGTERM or SIGINT: stops accepting, ends the long answers (`wait`, `events`, attach), lets the
 *   requests in progress finish (a `stop` runs to its own deadline), saves a snapshot, closes the log,
 *   exits 0. No event is half-written whatever happens (every append is whole or absent). The
 *   containers are not stopped then: the next `strata serve` records their shutdown as it starts.
 */
import { resolve as resolvePath } from "node:path";
import { DockerServer, type ListenOn } from "@strata/docker";
import { type DurableEngine, openEngine } from "@strata/engine";
import { UsageError } from "./args.js";
import { type CommandSpec, OpenFailure } from "./CommandSpec.js";

/** The address a TCP `--host` flag names: `tcp://HOST:PORT` (IPv6 in brackets). */
export function parseTcpHost(value: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^:/[\]]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535)
    throw new UsageError(
      `invalid --host ${JSON.stringify(value)}: expected tcp://HOST:PORT, e.g. tcp://127.0.0.1:2375`,
    );
  return { host: (m[1] as string).replace(/^\[|\]$/g, ""), port };
}

const isLoopback = (host: string) =>
  host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

export const serveCommand: CommandSpec = {
  name: "serve",
  group: "strata",
  usage:
    "strata serve [--socket PATH] [--host tcp://127.0.0.1:PORT] [--live-restore] [--log DIR|postgres://…]",
  summary:
    "Serve the Docker Engine API on a unix socket (default ./strata.sock) so docker and dockerode drive the log, until SIGTERM or SIGINT",
  args: { max: 0 },
  flags: {
    socket: { type: "string", help: "The unix socket to listen on (default ./strata.sock, mode 0600)" },
    "live-restore": {
      type: "boolean",
      help: "Keep the containers as they are when starting on a log (default: a daemon restart, as dockerd's)",
    },
  },
  run: async (ctx) => {
    const socketFlag = ctx.flags.get("socket");
    const hostFlag = ctx.flags.get("host");
    const tcp = typeof hostFlag === "string" ? parseTcpHost(hostFlag) : null;
    const places: ListenOn[] = [];
    if (typeof socketFlag === "string" || !tcp)
      places.push({ socket: resolvePath(typeof socketFlag === "string" ? socketFlag : "strata.sock") });
    if (tcp) places.push(tcp);
    if (tcp && !isLoopback(tcp.host))
      ctx.out.error(
        `strata: warning: listening on ${tcp.host}:${tcp.port}, beyond this machine: the Docker API has no authentication, so anyone who reaches it controls this daemon`,
      );

    let engine: DurableEngine;
    try {
      engine = await openEngine({
        location: ctx.location,
        follow: true,
        onWarning: (message) => ctx.out.error(`strata: warning: ${message}`),
      });
    } catch (e) {
      throw new OpenFailure(e);
    }
    const servers: DockerServer[] = [];
    try {
      if (engine.seq > 0 && ctx.flags.get("live-restore") !== true) {
        const r = await engine.execute({ type: "daemon.restart" });
        if (!r.ok) throw r.error;
        const stopped = r.events.filter((e) => e.type === "container.died").length;
        const started = r.events.filter((e) => e.type === "container.started").length;
        if (stopped + started > 0)
          ctx.out.error(
            `strata: daemon restart: ${stopped} container(s) stopped, ${started} started again by their restart policy`,
          );
      }
      const addresses: string[] = [];
      for (const on of places) {
        const server = new DockerServer({
          backend: { engine, name: "strata", id: "strata", location: ctx.location },
        });
        servers.push(server);
        addresses.push(await server.listen(on));
      }
      for (const address of addresses)
        ctx.out.line(
          `strata serves the Docker API on ${address} (log ${ctx.location}); export DOCKER_HOST=${address}`,
        );
      await untilSignalled();
      ctx.out.error("strata: stopping: finishing the requests in progress");
    } finally {
      await Promise.all(servers.map((s) => s.close()));
      try {
        await engine.snapshot();
      } finally {
        await engine.close();
      }
    }
    return 0;
  },
};

/** Resolves at the first SIGTERM or SIGINT (which then no longer end the process by default). */
export function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off("SIGTERM", done);
      process.off("SIGINT", done);
      resolve();
    };
    process.once("SIGTERM", done);
    process.once("SIGINT", done);
  });
}
