/**
 * `strata rmi [OPTIONS] IMAGE [IMAGE...]` (docker/cli `image/remove.go`): each image in turn, printing
 * the daemon's `Untagged: …` and `Deleted: …` lines; the failures are printed at the end, one a line,
 * exit 1 — except with `--force`, where images that do not exist are only reported (exit 0).
 */
import type { CommandSpec } from "../CommandSpec.js";
import { DaemonError } from "../client/DockerClient.js";
import { failureText } from "./eachContainer.js";

interface DeleteItem {
  readonly Untagged?: string;
  readonly Deleted?: string;
}

export const rmiVerb: CommandSpec = {
  name: "rmi",
  aliases: ["image rm", "image remove"],
  group: "images",
  usage: "strata rmi [OPTIONS] IMAGE [IMAGE...]",
  summary: "Remove one or more images",
  args: { min: 1 },
  flags: {
    force: { type: "boolean", short: "f", help: "Force removal of the image" },
    "no-prune": { type: "boolean", help: "Do not delete untagged parents" },
  },
  run: async (ctx) => {
    const docker = await ctx.docker();
    const force = ctx.flags.get("force") === true;
    const errors: string[] = [];
    let fatal = false;
    for (const image of ctx.args) {
      try {
        const items = await docker.json<DeleteItem[]>({
          method: "DELETE",
          path: `/images/${encodeURIComponent(image)}`,
          query: {
            force: force ? "1" : undefined,
            noprune: ctx.flags.get("no-prune") === true ? "1" : undefined,
          },
        });
        for (const item of items ?? [])
          ctx.out.line(item.Deleted ? `Deleted: ${item.Deleted}` : `Untagged: ${item.Untagged ?? ""}`);
      } catch (e) {
        if (!(e instanceof DaemonError)) throw e;
        if (e.status !== 404) fatal = true;
        errors.push(failureText(e));
      }
    }
    if (errors.length === 0) return 0;
    ctx.out.error(errors.join("\n"));
    return !force || fatal ? 1 : 0;
  },
};
