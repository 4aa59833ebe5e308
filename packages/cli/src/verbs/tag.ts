/**
 * `strata tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]` (docker/cli `image/tag.go`): nothing printed on
 * success. Both references are checked first, as docker's API client does (moby `client/image_tag.go`),
 * and the target is sent normalized (`other` is `docker.io/library/other`, tag `latest`).
 */
import { CommandError, type CommandSpec } from "../CommandSpec.js";
import { type DockerReference, parseAnyReference, parseNormalizedNamed } from "../format/dockerReference.js";
import { goQuoteText } from "../format/goQuote.js";

/** A reference for a new tag, as moby's client reads it (`commit`, `tag`): repository and tag. */
export function repoTagOf(ref: DockerReference): { repo: string; tag: string } {
  if (ref.digest !== "") throw new CommandError("refusing to create a tag with a digest reference");
  return { repo: ref.domain === "" ? ref.path : `${ref.domain}/${ref.path}`, tag: ref.tag || "latest" };
}

function parsed(text: string, parse: (s: string) => DockerReference): DockerReference {
  try {
    return parse(text);
  } catch (e) {
    throw new CommandError(
      `Error parsing reference: ${goQuoteText(text)} is not a valid repository/tag: ${(e as Error).message}`,
    );
  }
}

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
    parsed(source, parseAnyReference);
    const { repo, tag } = repoTagOf(parsed(target, parseNormalizedNamed));
    const docker = await ctx.docker();
    await docker.call({
      method: "POST",
      path: `/images/${encodeURIComponent(source)}/tag`,
      query: { repo, tag },
    });
    return 0;
  },
};
