/**
 * `strata rename CONTAINER NEW_NAME` (docker/cli `container/rename.go`): nothing printed on success. Both
 * names are trimmed; an empty one is refused before any request; the daemon's refusal is printed, then
 * `Error: failed to rename container named <old>`.
 */
import { CommandError, type CommandSpec } from "../CommandSpec.js";
import { DaemonError } from "../client/DockerClient.js";
import { failureText, goTrimSpace } from "./eachContainer.js";

export const renameVerb: CommandSpec = {
  name: "rename",
  aliases: ["container rename"],
  group: "containers",
  usage: "strata rename CONTAINER NEW_NAME",
  summary: "Rename a container",
  args: { min: 2, max: 2 },
  run: async (ctx) => {
    const oldName = goTrimSpace(ctx.args[0] as string);
    const newName = goTrimSpace(ctx.args[1] as string);
    if (oldName === "" || newName === "")
      throw new CommandError("Error: Neither old nor new names may be empty");
    const docker = await ctx.docker();
    try {
      await docker.call({
        method: "POST",
        path: `/containers/${encodeURIComponent(oldName)}/rename`,
        query: { name: newName },
      });
    } catch (e) {
      if (!(e instanceof DaemonError)) throw e;
      ctx.out.error(failureText(e));
      throw new CommandError(`Error: failed to rename container named ${oldName}`);
    }
    return 0;
  },
};
