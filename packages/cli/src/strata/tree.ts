/**
 * `strata tree REF[@SEQ] [PATH]`: the union view under a path, each entry with the layer it comes from.
 */
import type { CommandSpec } from "../CommandSpec.js";
import { refAt } from "../verbs/refAt.js";
import { momentOf } from "./momentOf.js";
import { typeLetter } from "./typeLetter.js";

export const treeCommand: CommandSpec = {
  name: "tree",
  args: { min: 1, max: 2 },
  group: "log",
  readOnly: true,
  usage: "strata tree REF[@SEQ] [PATH]",
  flags: { format: { type: "string", values: ["json"], help: 'Print JSON ("json")' } },
  summary: "Walk the union view under PATH",
  run: async (ctx) => {
    const [target, path = "/"] = ctx.args;
    const { ref, at } = refAt(target as string);
    const entries = [...(await momentOf(ctx, at)).view(ref).walk(path)];
    if (ctx.out.json) ctx.out.data(entries);
    else
      for (const e of entries)
        ctx.out.line(
          `${typeLetter(e.type)} ${e.path}${e.type === "symlink" ? ` -> ${e.target}` : ""}  [${e.layer}]`,
        );
    return 0;
  },
};
