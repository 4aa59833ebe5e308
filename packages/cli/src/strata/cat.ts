/**
 * `strata cat REF[@SEQ] PATH`: a file of the union view.
 */
import type { CommandSpec } from "../CommandSpec.js";
import { refAt } from "../verbs/refAt.js";

export const catCommand: CommandSpec = {
  name: "cat",
  args: { min: 2, max: 2 },
  group: "log",
  readOnly: true,
  usage: "strata cat REF[@SEQ] PATH",
  flags: { format: { type: "string", values: ["json"], help: 'Print JSON ("json")' } },
  summary: "Print a file of an image or container",
  run: async (ctx) => {
    const [target, path] = ctx.args;
    const { ref, at } = refAt(target as string);
    const engine = await ctx.engine();
    process.stdout.write(await engine.readFile(ref, path as string, at === undefined ? {} : { at }));
    return 0;
  },
};
