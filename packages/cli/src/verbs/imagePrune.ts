/**
 * `strata image prune [OPTIONS]` (docker/cli `image/prune.go`): removes dangling images (`-a`: every
 * image no container uses), printing what the daemon untagged and deleted and the space reclaimed.
 */
import type { CommandSpec } from "../CommandSpec.js";
import { confirm } from "./confirm.js";
import { filtersQuery } from "./filters.js";
import { humanSize } from "./humanSize.js";

const DANGLING_WARNING = "WARNING! This will remove all dangling images.\nAre you sure you want to continue?";
const ALL_WARNING =
  "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?";

export const imagePruneVerb: CommandSpec = {
  name: "image prune",
  group: "images",
  usage: "strata image prune [OPTIONS]",
  summary: "Remove unused images",
  args: { max: 0 },
  flags: {
    all: { type: "boolean", short: "a", help: "Remove all unused images, not just dangling ones" },
    force: { type: "boolean", short: "f", help: "Do not prompt for confirmation" },
    filter: { type: "list", valueName: "filter", help: 'Provide filter values (e.g. "until=<timestamp>")' },
  },
  run: async (ctx) => {
    const all = ctx.flags.get("all") === true;
    if (ctx.flags.get("force") !== true && !(await confirm(ctx, all ? ALL_WARNING : DANGLING_WARNING)))
      return 0; // docker's cancelledErr: nothing more said, exit 0
    const docker = await ctx.docker();
    const filters = ctx.list("filter").filter((f) => !/^dangling=/i.test(f));
    const report = await docker.json<{
      ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null;
      SpaceReclaimed: number;
    }>({
      method: "POST",
      path: "/images/prune",
      query: { filters: filtersQuery([...filters, `dangling=${!all}`]) },
    });
    if (report.ImagesDeleted && report.ImagesDeleted.length > 0)
      ctx.out.line(
        [
          "Deleted Images:",
          ...report.ImagesDeleted.map((d) =>
            d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`,
          ),
          "",
        ].join("\n"),
      );
    ctx.out.line(`Total reclaimed space: ${humanSize(report.SpaceReclaimed)}`);
    return 0;
  },
};
