/**
 * `strata images [REPOSITORY[:TAG]]` (docker/cli `image/list.go`): GET /images/json with `all` and
 * `filters` (the argument is docker's `reference` filter), printed by docker's image formatter: the
 * table, `-q`, `--digests`, `--no-trunc`, `--format json` or a template. `--at SEQ` lists the images as
 * they were right after event SEQ (Strata's time travel).
 */
import type { CommandSpec } from "../CommandSpec.js";
import { type ApiImage, formatImageList } from "../format/imageFormat.js";
import { filtersQuery } from "./filters.js";
import { atFlag, atPath, FORMAT_FLAG, printFormatted } from "./formatted.js";

export const imagesVerb: CommandSpec = {
  name: "images",
  aliases: ["image ls", "image list"],
  group: "images",
  usage: "strata images [OPTIONS] [REPOSITORY[:TAG]]",
  summary: "List images",
  args: { max: 1 },
  readOnly: true,
  flags: {
    all: { type: "boolean", short: "a", help: "Show all images (default hides intermediate images)" },
    digests: { type: "boolean", help: "Show digests" },
    filter: {
      type: "list",
      short: "f",
      help: "Filter output based on conditions provided",
      valueName: "filter",
    },
    format: FORMAT_FLAG,
    "no-trunc": { type: "boolean", help: "Don't truncate output" },
    quiet: { type: "boolean", short: "q", help: "Only show image IDs" },
    at: { type: "string", help: "Strata: the images as they were right after event SEQ", valueName: "seq" },
  },
  run: (ctx) =>
    printFormatted(ctx, async () => {
      const filters = ctx.list("filter");
      const ref = ctx.args[0];
      if (ref !== undefined) filters.push(`reference=${ref}`);
      const at = atFlag(ctx);
      const docker = await ctx.docker();
      const rows = await docker.json<ApiImage[]>({
        path: atPath(at, "/images/json"),
        query: { all: ctx.flags.get("all") === true ? "1" : undefined, filters: filtersQuery(filters) },
      });
      return formatImageList(rows ?? [], {
        format: (ctx.flags.get("format") as string | undefined) ?? "",
        quiet: ctx.flags.get("quiet") === true,
        noTrunc: ctx.flags.get("no-trunc") === true,
        digests: ctx.flags.get("digests") === true,
        now: Date.now(),
      });
    }),
};
