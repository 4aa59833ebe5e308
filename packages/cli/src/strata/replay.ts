/**
 * `strata replay`: the log replayed, to now or to a seq.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { shortId } from "@strata/core";
import { isPostgresUrl } from "@strata/engine";
import { UsageError } from "../args.js";
import type { CommandSpec } from "../CommandSpec.js";
import { seqFlag } from "./seqFlag.js";

export const replayCommand: CommandSpec = {
  name: "replay",
  group: "log",
  readOnly: true,
  usage: "strata replay [LOG] [--at SEQ]",
  flags: {
    format: { type: "string", values: ["json"], help: 'Print JSON ("json")' },
    at: { type: "string" },
  },
  summary:
    "Rebuild the state from a log directory (default: --log) and summarise it; at SEQ: as it was right after event SEQ",
  run: async (ctx) => {
    if (ctx.args.length > 1)
      throw new UsageError('"strata replay" takes at most 1 argument: the log directory');
    const dir = ctx.args[0];
    if (dir !== undefined && !isPostgresUrl(dir) && !existsSync(join(dir, "events")))
      throw new UsageError(`${dir} holds no strata log (no events/ directory)`);
    const engine = await ctx.engine(dir);
    const at = seqFlag(ctx, "at");
    const state = at === undefined ? engine.state : (await engine.at(at)).core;
    const summary = {
      seq: state.seq,
      containers: Object.values(state.containers).map((c) => ({ name: c.context.name, status: c.status })),
      images: Object.values(state.images)
        .filter((i) => i.status === "present")
        .map((i) => ({ id: i.id, tags: i.tags })),
    };
    if (ctx.out.json) ctx.out.data(summary);
    else {
      ctx.out.line(`state after seq ${summary.seq}:`);
      for (const c of summary.containers) ctx.out.line(`  container ${c.name}: ${c.status}`);
      for (const i of summary.images) ctx.out.line(`  image ${shortId(i.id)} ${i.tags.join(", ")}`);
    }
    return 0;
  },
};
