/**
 * `strata events` (docker/cli `system/events.go`): GET /events with `since`, `until` and `filters`,
 * each event printed as it arrives (docker's line, `--format json` or a template), until `--until` is
 * reached or the command is stopped (Ctrl-C). Times are docker's: Unix seconds (`1767225600`,
 * `1767225600.5`), a duration before now (`10m`, `1h30m`) or an RFC 3339 date. Strata's own record of the
 * log, every event with its seq, is `strata log events`.
 */
import { createInterface } from "node:readline";
import { FlagError } from "../args.js";
import type { CommandSpec } from "../CommandSpec.js";
import { DockerClient } from "../client/DockerClient.js";
import { eventFormatter } from "../format/eventFormat.js";
import { filtersQuery } from "./filters.js";
import { FORMAT_FLAG, printFormatted } from "./formatted.js";

const UNIT_NS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** docker's timetypes.GetTimestamp: the value as Unix seconds text, relative to `nowMs`. */
export function apiTimestamp(value: string, nowMs: number, flag: string): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length > 0 && parts.map((p) => p[0]).join("") === value) {
    const ns = parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_NS[p[2] as string] as number), 0);
    const t = nowMs / 1000 - ns / 1e9;
    return t.toFixed(9).replace(/\.?0+$/, "");
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value))
    throw new FlagError(
      `invalid value for --${flag}: ${JSON.stringify(value)}: use Unix seconds, a duration (10m) or an RFC 3339 date`,
    );
  return String(Math.floor(ms / 1000));
}

export const eventsVerb: CommandSpec = {
  name: "events",
  aliases: ["system events"],
  group: "common",
  usage: "strata events [OPTIONS]",
  summary: "Get real time events from the server",
  args: { max: 0 },
  readOnly: true,
  flags: {
    filter: {
      type: "list",
      short: "f",
      help: "Filter output based on conditions provided",
      valueName: "filter",
    },
    format: FORMAT_FLAG,
    since: { type: "string", help: "Show all events created since timestamp", valueName: "string" },
    until: { type: "string", help: "Stream events until this timestamp", valueName: "string" },
  },
  run: (ctx) =>
    printFormatted(ctx, async () => {
      const formatter = eventFormatter(ctx.flags.get("format") as string | undefined);
      const now = Date.now();
      const since = ctx.flags.get("since");
      const until = ctx.flags.get("until");
      const docker = await ctx.docker();
      const res = await DockerClient.check(
        await docker.open({
          path: "/events",
          query: {
            since: typeof since === "string" ? apiTimestamp(since, now, "since") : undefined,
            until: typeof until === "string" ? apiTimestamp(until, now, "until") : undefined,
            filters: filtersQuery(ctx.list("filter")),
          },
        }),
      );
      const lines = createInterface({ input: res, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of lines) {
        if (line.trim() === "") continue;
        const r = formatter.format(line);
        ctx.out.text(r.stdout);
        if (r.error) {
          res.destroy();
          return { stdout: "", stderr: r.stderr, exitCode: 1 };
        }
      }
      return { stdout: "" };
    }),
};
