/**
 * `strata diff CONTAINER[@SEQ]`: the container's changes against its image, `C /etc` a line, as
 * `docker diff` prints them; at a past seq with `@SEQ` (read from the log: Strata's time travel).
 */
import type { CommandSpec } from "../CommandSpec.js";
import { refAt } from "./refAt.js";

const KINDS = ["C", "A", "D"] as const;

export const diffVerb: CommandSpec = {
  name: "diff",
  aliases: ["container diff"],
  group: "containers",
  usage: "strata diff CONTAINER[@SEQ]",
  summary: "Inspect changes to files or directories on a container's filesystem (as it was at SEQ)",
  args: { min: 1, max: 1 },
  readOnly: true,
  run: async (ctx) => {
    const { ref, at } = refAt(ctx.args[0] as string);
    if (at !== undefined) {
      const engine = await ctx.engine();
      for (const c of (await engine.at(at)).diff(ref)) ctx.out.line(`${c.kind} ${c.path}`);
      return 0;
    }
    const docker = await ctx.docker();
    const changes = await docker.json<{ Path: string; Kind: number }[] | null>({
      path: `/containers/${encodeURIComponent(ref)}/changes`,
    });
    for (const c of changes ?? []) ctx.out.line(`${KINDS[c.Kind] ?? "?"} ${c.Path}`);
    return 0;
  },
};
