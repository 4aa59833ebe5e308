/**
 * `strata demo`: builds an image from layers, runs a container, changes files, commits and exports it, and leaves the log on disk.
 */
import type { CommandSpec } from "../CommandSpec.js";

export const demoCommand: CommandSpec = {
  name: "demo",
  group: "strata",
  usage: "strata demo",
  flags: { format: { type: "string", values: ["json"], help: 'Print JSON ("json")' } },
  summary:
    "Build an image from layers, run a container, change files, commit and export it (leaves the log on disk)",
  run: async (ctx) => {
    const { runDemo } = await import("../demo.js");
    return runDemo(await ctx.engine(), ctx.location, ctx.out);
  },
};
