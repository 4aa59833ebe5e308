/**
 * `strata save [OPTIONS] IMAGE [IMAGE...]` (docker/cli `image/save.go`): the daemon's `docker save`
 * archive of the images, to `-o FILE` (written whole to a temporary file beside it, then renamed, mode
 * 0600, so a failure leaves no half file) or to standard output, never to a terminal.
 */
import { once } from "node:events";
import { createWriteStream, renameSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { CommandError, type CommandSpec } from "../CommandSpec.js";
import { DockerClient } from "../client/DockerClient.js";

export const saveVerb: CommandSpec = {
  name: "save",
  aliases: ["image save"],
  group: "images",
  usage: "strata save [OPTIONS] IMAGE [IMAGE...]",
  summary: "Save one or more images to a tar archive (streamed to STDOUT by default)",
  args: { min: 1 },
  readOnly: true,
  flags: {
    output: { type: "string", short: "o", help: "Write to a file, instead of STDOUT" },
  },
  run: async (ctx) => {
    const output = ctx.flags.get("output");
    if (typeof output !== "string" && ctx.stdoutIsTty)
      throw new CommandError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    const docker = await ctx.docker();
    const res = await DockerClient.check(
      await docker.open({ path: "/images/get", query: { names: [...ctx.args] } }),
    );
    if (typeof output !== "string") {
      for await (const chunk of res) await ctx.out.bytes(chunk as Buffer);
      return 0;
    }
    const temp = join(dirname(output), `.${basename(output)}.${process.pid}.tmp`);
    const file = createWriteStream(temp, { mode: 0o600 });
    try {
      for await (const chunk of res) if (!file.write(chunk)) await once(file, "drain");
      file.end();
      await once(file, "finish");
      renameSync(temp, output);
    } catch (e) {
      file.destroy();
      rmSync(temp, { force: true });
      throw new CommandError(`failed to save image: ${(e as Error).message}`);
    }
    return 0;
  },
};
