/**
 * `strata history IMAGE[@SEQ]` (docker/cli `image/history.go`): GET /images/{name}/history printed by
 * docker's history formatter (`-H=false` for exact sizes and RFC 3339 dates, `-q`, `--no-trunc`,
 * `--format`); `IMAGE@SEQ` reads the image as it was right after event SEQ (Strata's time travel).
 */
import type { CommandSpec } from "../CommandSpec.js";
import { type ApiHistoryItem, formatImageHistory } from "../format/historyFormat.js";
import { atPath, FORMAT_FLAG, printFormatted } from "./formatted.js";
import { refAt } from "./refAt.js";

export const historyVerb: CommandSpec = {
  name: "history",
  aliases: ["image history"],
  group: "images",
  usage: "strata history [OPTIONS] IMAGE[@SEQ]",
  summary: "Show the history of an image (as it was at SEQ)",
  args: { min: 1, max: 1 },
  readOnly: true,
  flags: {
    format: FORMAT_FLAG,
    human: {
      type: "boolean",
      short: "H",
      help: "Print sizes and dates in human readable format (default true)",
    },
    "no-trunc": { type: "boolean", help: "Don't truncate output" },
    quiet: { type: "boolean", short: "q", help: "Only show image IDs" },
  },
  run: (ctx) =>
    printFormatted(ctx, async () => {
      const { ref, at } = refAt(ctx.args[0] as string);
      const docker = await ctx.docker();
      const rows = await docker.json<ApiHistoryItem[]>({
        path: atPath(at, `/images/${encodeURIComponent(ref)}/history`),
      });
      return formatImageHistory(rows ?? [], {
        format: (ctx.flags.get("format") as string | undefined) ?? "",
        quiet: ctx.flags.get("quiet") === true,
        noTrunc: ctx.flags.get("no-trunc") === true,
        human: ctx.flags.get("human") !== "false",
        now: Date.now(),
      });
    }),
};
