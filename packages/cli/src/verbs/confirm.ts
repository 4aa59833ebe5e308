/**
 * docker/cli's `prompt.Confirm`: prints the question with ` [y/N] ` and reads one line from stdin; only
 * `y` or `Y` confirms (end of input refuses).
 */
import type { Context } from "../CommandSpec.js";

export async function confirm(ctx: Context, question: string): Promise<boolean> {
  ctx.out.text(`${question} [y/N] `);
  let line = "";
  for await (const chunk of ctx.stdin) {
    line += Buffer.from(chunk as Uint8Array).toString("utf8");
    if (line.includes("\n")) break;
  }
  const answer = line.split("\n")[0]?.trim() ?? "";
  return answer === "y" || answer === "Y";
}
