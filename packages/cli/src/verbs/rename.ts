/** `strata rename CONTAINER NEW_NAME` (docker/cli `container/rename.go`): nothing printed on success. */
import { CommandError, type CommandSpec } from "../CommandSpec.js";
import { DaemonError } from "../client/DockerClient.js";

export const renameVerb: CommandSpec = {
  name: "rename",
  aliases: ["container rename"],
  group: "containers",
  usage: "strata rename CONTAINER NEW_NAME",
  summary: "Rename a container",
  args: { min: 2, max: 2 },
  run: async (ctx) => {
    const [ref, name] = ctx.args as [string, string];
    const docker = await ctx.docker();
    try {
      await docker.call({
        method: "POST",
        path: `/containers/${encodeURIComponent(ref.trim())}/rename`,
        query: { name: name.trim() },
      });
    } catch (e) {
      if (e instanceof DaemonError) throw new CommandError(`Error response from daemon: ${e.message}`);
      throw e;
    }
    return 0;
  },
};
