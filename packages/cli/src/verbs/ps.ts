/**
 * `strata ps` (docker/cli `container/list.go`): GET /containers/json with docker's query (`all`,
 * `limit` for -n/-l, `size` when -s or a format uses .Size, `filters`), printed by docker's container
 * formatter: the table, `-q`, `--no-trunc`, `--format json` (one object a line with docker's keys) or a
 * template. `--at SEQ` lists the containers as they were right after event SEQ (Strata's time travel).
 */
import { intFlag } from "../args.js";
import type { CommandSpec } from "../CommandSpec.js";
import { type ApiContainer, checkContainerFormat, formatContainerList } from "../format/containerFormat.js";
import { filtersQuery } from "./filters.js";
import { atFlag, atPath, FORMAT_FLAG, printFormatted } from "./formatted.js";

export const psVerb: CommandSpec = {
  name: "ps",
  aliases: ["container ls", "container list", "container ps"],
  group: "common",
  usage: "strata ps [OPTIONS]",
  summary: "List containers",
  args: { max: 0 },
  readOnly: true,
  flags: {
    all: { type: "boolean", short: "a", help: "Show all containers (default shows just running)" },
    filter: {
      type: "list",
      short: "f",
      help: "Filter output based on conditions provided",
      valueName: "filter",
    },
    format: FORMAT_FLAG,
    last: {
      type: "string",
      short: "n",
      help: "Show n last created containers (includes all states) (default -1)",
      valueName: "int",
    },
    latest: { type: "boolean", short: "l", help: "Show the latest created container (includes all states)" },
    "no-trunc": { type: "boolean", help: "Don't truncate output" },
    quiet: { type: "boolean", short: "q", help: "Only display container IDs" },
    size: { type: "boolean", short: "s", help: "Display total file sizes" },
    at: {
      type: "string",
      help: "Strata: the containers as they were right after event SEQ",
      valueName: "seq",
    },
  },
  run: (ctx) =>
    printFormatted(ctx, async () => {
      const format = (ctx.flags.get("format") as string | undefined) ?? "";
      const quiet = ctx.flags.get("quiet") === true;
      // An int the parser checked (Go's syntax: `0x10` is 16).
      let limit = Number(intFlag(ctx.flags, "last") ?? "-1");
      if (ctx.flags.get("latest") === true && limit === -1) limit = 1;
      const sizeFlag = ctx.flags.get("size");
      const size =
        sizeFlag === true || (sizeFlag === undefined && !quiet && checkContainerFormat(format).usesSize);
      const at = atFlag(ctx);
      const docker = await ctx.docker();
      const rows = await docker.json<ApiContainer[]>({
        path: atPath(at, "/containers/json"),
        query: {
          all: ctx.flags.get("all") === true ? "1" : undefined,
          limit: limit > 0 ? limit : undefined,
          size: size ? "1" : undefined,
          filters: filtersQuery(ctx.list("filter")),
        },
      });
      return formatContainerList(rows ?? [], {
        format,
        quiet,
        noTrunc: ctx.flags.get("no-trunc") === true,
        size: sizeFlag === true ? true : sizeFlag === "false" ? false : undefined,
        now: Date.now(),
      });
    }),
};
