/**
 * `strata commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]` (docker/cli `container/commit.go`): a new image
 * from the container's changes; prints its id (`sha256:…`).
 */
import { CommandError, type CommandSpec } from "../CommandSpec.js";
import { type DockerReference, parseNormalizedNamed } from "../format/dockerReference.js";
import { containerRef } from "./eachContainer.js";
import { repoTagOf } from "./tag.js";

/** `repo:tag` → repo and tag, as docker/cli splits a reference (a `:` after the last `/` starts the tag). */
export function splitRepoTag(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(":");
  return colon > ref.lastIndexOf("/")
    ? { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) }
    : { repo: ref, tag: "" };
}

export const commitVerb: CommandSpec = {
  name: "commit",
  aliases: ["container commit"],
  group: "containers",
  usage: "strata commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
  summary: "Create a new image from a container's changes",
  args: { min: 1, max: 2 },
  interspersed: false,
  flags: {
    author: {
      type: "string",
      short: "a",
      help: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")',
    },
    change: { type: "list", short: "c", help: "Apply Dockerfile instruction to the created image" },
    message: { type: "string", short: "m", help: "Commit message" },
    pause: { type: "boolean", short: "p", help: "Pause container during commit (default true)" },
  },
  run: async (ctx) => {
    const [given, ref] = ctx.args as [string, string | undefined];
    // As moby's client: the container trimmed, the reference checked and normalized before the request.
    const container = containerRef(given);
    let target = { repo: "", tag: "" };
    if (ref !== undefined && ref !== "") {
      let named: DockerReference;
      try {
        named = parseNormalizedNamed(ref);
      } catch (e) {
        throw new CommandError((e as Error).message);
      }
      target = repoTagOf(named);
    }
    const { repo, tag } = target;
    const docker = await ctx.docker();
    const author = ctx.flags.get("author");
    const message = ctx.flags.get("message");
    const answer = await docker.json<{ Id: string }>({
      method: "POST",
      path: "/commit",
      query: {
        container,
        repo,
        tag,
        comment: typeof message === "string" ? message : "",
        author: typeof author === "string" ? author : "",
        pause: ctx.flags.get("pause") === "false" ? "0" : undefined,
        changes: ctx.list("change"),
      },
      body: {},
    });
    ctx.out.line(answer.Id);
    return 0;
  },
};
