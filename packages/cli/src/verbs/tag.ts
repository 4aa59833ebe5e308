/** `strata tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]` (docker/cli `image/tag.go`): nothing printed on success. */
import type { CommandSpec } from "../CommandSpec.js";
import { splitRepoTag } from "./commit.js";

export const tagVerb: CommandSpec = {
  name: "tag",
  aliases: ["image tag"],
  group: "images",
  usage: "strata tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
  summary: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
  args: { min: 2, max: 2 },
  interspersed: false,
  run: async (ctx) => {
    const [source, target] = ctx.args as [string, string];
    const { repo, tag } = splitRepoTag(target);
    const docker = await ctx.docker();
    await docker.call({
      method: "POST",
      path: `/images/${encodeURIComponent(source)}/tag`,
      query: { repo, tag: tag || undefined },
    });
    return 0;
  },
};
