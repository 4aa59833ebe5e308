/**
 * `strata load [OPTIONS]` (docker/cli `image/load.go`): sends a `docker save` or OCI archive (`-i FILE`
 * or standard input) to the daemon, which imports it on the hostile-safe path, and prints its messages
 * (`Loaded image: …`). A refused archive is the daemon's message, exit 1; nothing of it is kept.
 */
import { createReadStream, statSync } from "node:fs";
import type { Readable } from "node:stream";
import { CommandError, type CommandSpec } from "../CommandSpec.js";
import { DockerClient } from "../client/DockerClient.js";
import { displayJsonMessages } from "./jsonMessages.js";

export const loadVerb: CommandSpec = {
  name: "load",
  aliases: ["image load"],
  group: "images",
  usage: "strata load [OPTIONS]",
  summary: "Load an image from a tar archive or STDIN",
  args: { max: 0 },
  flags: {
    input: { type: "string", short: "i", help: "Read from tar archive file, instead of STDIN" },
    quiet: { type: "boolean", short: "q", help: "Suppress the load output" },
  },
  run: async (ctx) => {
    const input = ctx.flags.get("input");
    let body: Readable;
    if (typeof input === "string") {
      try {
        statSync(input);
      } catch (e) {
        throw new CommandError(
          `open ${input}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`,
        );
      }
      body = createReadStream(input);
    } else {
      if ((ctx.stdin as { isTTY?: boolean }).isTTY)
        throw new CommandError("requested load from stdin, but stdin is empty");
      body = ctx.stdin;
    }
    const docker = await ctx.docker();
    const res = await DockerClient.check(
      await docker.open({
        method: "POST",
        path: "/images/load",
        query: { quiet: ctx.flags.get("quiet") === true || !ctx.stdoutIsTty ? "1" : "0" },
        body,
        headers: { "Content-Type": "application/x-tar" },
      }),
    );
    await displayJsonMessages(res, ctx);
    return 0;
  },
};
