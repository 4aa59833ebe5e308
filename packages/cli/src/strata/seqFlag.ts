import { UsageError } from "../args.js";
import type { Context } from "../CommandSpec.js";

/** A flag that takes a seq (`--since`, `--at`): a whole number, or undefined when the flag is absent. */
export function seqFlag(ctx: Context, name: string): number | undefined {
  const v = ctx.flags.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !/^\d+$/.test(v))
    throw new UsageError(`--${name} takes a seq (a whole number)`);
  return Number(v);
}
