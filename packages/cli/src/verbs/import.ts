/**
 * `strata import [OPTIONS] file|- [REPOSITORY[:TAG]]` (docker/cli `image/import.go`): a root filesystem
 * tar (plain or gzip; a file, or `-` for standard input) becomes a one-layer image, with Dockerfile
 * `--change`s and a `--message`; prints its id. The daemon reads it on the hostile-safe path. A URL is
 * sent to the daemon as docker does, which refuses it: Strata fetches nothing from the network.
 */
import { createReadStream, statSync } from "node:fs";
import type { Readable } from "node:stream";
import { CommandError, type CommandSpec } from "../CommandSpec.js";
import { DockerClient } from "../client/DockerClient.js";
import { splitRepoTag } from "./commit.js";
import { displayJsonMessages } from "./jsonMessages.js";

export const importVerb: CommandSpec = {
  name: "import",
  aliases: ["image import"],
  group: "images",
  usage: "strata import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
  summary: "Import the contents from a tarball to create a filesystem image",
  args: { min: 1, max: 2 },
  flags: {
    change: { type: "list", short: "c", help: "Apply Dockerfile instruction to the created image" },
    message: { type: "string", short: "m", help: "Set commit message for imported image" },
  },
  run: async (ctx) => {
    const [source, reference] = ctx.args as [string, string | undefined];
    const remote = /^https?:\/\//.test(source);
    let body: Readable | undefined;
    if (source === "-") body = ctx.stdin;
    else if (!remote) {
      try {
        statSync(source);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new CommandError(
          `open ${source}: ${code === "ENOENT" ? "no such file or directory" : (e as Error).message}`,
        );
      }
      body = createReadStream(source);
    }
    const { repo, tag } = reference ? splitRepoTag(reference) : { repo: undefined, tag: undefined };
    const message = ctx.flags.get("message");
    const docker = await ctx.docker();
    const res = await DockerClient.check(
      await docker.open({
        method: "POST",
        path: "/images/create",
        query: {
          fromSrc: remote ? source : "-",
          repo,
          tag: tag || undefined,
          message: typeof message === "string" ? message : undefined,
          changes: ctx.list("change"),
        },
        ...(body ? { body, headers: { "Content-Type": "application/x-tar" } } : {}),
      }),
    );
    await displayJsonMessages(res, ctx);
    return 0;
  },
};
