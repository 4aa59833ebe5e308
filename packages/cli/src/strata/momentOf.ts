import type { EngineMoment } from "@strata/engine";
import type { Context } from "../CommandSpec.js";

/** The engine's states at `at` (a seq), or now. */
export async function momentOf(ctx: Context, at: number | undefined): Promise<EngineMoment> {
  const engine = await ctx.engine();
  return at === undefined ? engine.now() : engine.at(at);
}
