/** `strata wait CONTAINER...`: blocks until each stops, printing its exit code (docker/cli `container/wait.go`). */
import type { CommandSpec } from "../CommandSpec.js";
import { DockerClient, readAll } from "../client/DockerClient.js";
import { containerRef, eachContainer, report } from "./eachContainer.js";

export const waitVerb: CommandSpec = {
  name: "wait",
  aliases: ["container wait"],
  group: "containers",
  usage: "strata wait CONTAINER [CONTAINER...]",
  summary: "Block until one or more containers stop, then print their exit codes",
  args: { min: 1 },
  // It writes only what falls due while it waits (a stop's SIGKILL, a restart): it starts no log.
  needsLog: true,
  timers: true,
  run: async (ctx) => {
    const docker = await ctx.docker();
    const { errors } = await eachContainer(
      ctx,
      ctx.args,
      async (ref) => {
        const res = await DockerClient.check(
          await docker.open({
            method: "POST",
            path: `/containers/${encodeURIComponent(containerRef(ref))}/wait`,
          }),
        );
        const body = (await readAll(res)).toString("utf8");
        if (body === "") throw new Error("the daemon closed the wait before the container stopped");
        // docker's wait prints the code only, whatever `Error` the answer carries.
        ctx.out.line(String((JSON.parse(body) as { StatusCode: number }).StatusCode));
      },
      { print: false },
    );
    return report(ctx, errors);
  },
};
