/** `strata container prune` (docker/cli `container/prune.go`): removes every stopped container. */
import type { CommandSpec } from "../CommandSpec.js";
import { confirm } from "./confirm.js";
import { filtersQuery } from "./filters.js";
import { humanSize } from "./humanSize.js";

export const containerPruneVerb: CommandSpec = {
  name: "container prune",
  group: "containers",
  usage: "strata container prune [OPTIONS]",
  summary: "Remove all stopped containers",
  args: { max: 0 },
  flags: {
    force: { type: "boolean", short: "f", help: "Do not prompt for confirmation" },
    filter: { type: "list", valueName: "filter", help: 'Provide filter values (e.g. "until=<timestamp>")' },
  },
  run: async (ctx) => {
    if (
      ctx.flags.get("force") !== true &&
      !(await confirm(
        ctx,
        "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?",
      ))
    )
      return 0; // docker's cancelledErr: nothing more said, exit 0
    const docker = await ctx.docker();
    const report = await docker.json<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>({
      method: "POST",
      path: "/containers/prune",
      query: { filters: filtersQuery(ctx.list("filter")) },
    });
    let space = 0;
    if (report.ContainersDeleted && report.ContainersDeleted.length > 0) {
      ctx.out.line(["Deleted Containers:", ...report.ContainersDeleted, ""].join("\n"));
      space = report.SpaceReclaimed;
    }
    ctx.out.line(`Total reclaimed space: ${humanSize(space)}`);
    return 0;
  },
};
