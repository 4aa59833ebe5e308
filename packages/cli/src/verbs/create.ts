/** `strata create`: a container from an image, its id printed (docker/cli `container/create.go`). */
import type { CommandSpec } from "../CommandSpec.js";
import { createContainer } from "./createContainer.js";
import { CREATE_FLAGS, checkPull, createBody, optionsFailure } from "./createOptions.js";

export const createVerb: CommandSpec = {
  name: "create",
  aliases: ["container create"],
  group: "containers",
  usage: "strata create [OPTIONS] IMAGE [COMMAND] [ARG...]",
  summary: "Create a new container",
  args: { min: 1 },
  flags: CREATE_FLAGS,
  interspersed: false,
  run: async (ctx) => {
    const [image, ...command] = ctx.args as [string, ...string[]];
    let body: Record<string, unknown>;
    try {
      checkPull(ctx.flags);
      body = createBody(ctx.flags, ctx.list, image, command);
    } catch (e) {
      optionsFailure(e, "create");
    }
    const name = ctx.flags.get("name");
    const pull = ctx.flags.get("pull");
    const id = await createContainer(ctx, body, {
      ...(typeof name === "string" ? { name } : {}),
      ...(typeof pull === "string" ? { pull } : {}),
      quiet: ctx.flags.get("quiet") === true,
    });
    ctx.out.line(id);
    return 0;
  },
};
