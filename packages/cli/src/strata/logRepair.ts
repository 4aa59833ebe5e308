/**
 * `strata log repair`: cuts a damaged log before the damage, moving the rest aside (into damaged/).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { isPostgresUrl } from "@strata/engine";
import { LogNotFoundError, type RepairReport, repairFileLog } from "@strata/store";
import { UsageError } from "../args.js";
import { type CommandSpec, type Context, OpenFailure } from "../CommandSpec.js";

export const logRepairCommand: CommandSpec = {
  name: "log repair",
  group: "log",
  usage: "strata log repair",
  summary: "Cut a damaged log before the damage, moving the rest aside (into damaged/)",
  args: { max: 0 },
  readOnly: true,
  flags: { format: { type: "string", values: ["json"], help: 'Print the report as JSON ("json")' } },
  run: repairLog,
};

/** `log repair`: cuts a damaged log before its first damage, moving the rest aside (never deleted). */
async function repairLog(ctx: Context): Promise<number> {
  const dir = ctx.location;
  if (isPostgresUrl(dir))
    throw new UsageError("log repair works on a file log; PostgreSQL keeps the integrity of its own tables");
  if (!existsSync(dir)) throw new OpenFailure(new LogNotFoundError(dir, "there is no strata log here"));
  let report: RepairReport;
  try {
    report = await repairFileLog(join(dir, "events"));
  } catch (e) {
    throw new OpenFailure(e);
  }
  if (ctx.out.json) ctx.out.data(report);
  else {
    if (report.damage) ctx.out.line(`damage: ${report.damage.problem}`);
    for (const m of report.movedAside)
      ctx.out.line(
        `moved aside: ${m.file}${m.offset ? ` from byte ${m.offset}` : ""} (${m.bytes} bytes) -> ${m.savedAs}`,
      );
    if (report.tornTail)
      ctx.out.line(
        `cut an unfinished batch: ${report.tornTail.bytes} bytes at the end of ${report.tornTail.file} (offset ${report.tornTail.offset})`,
      );
    ctx.out.line(
      `${report.damage || report.tornTail ? "repaired" : "nothing to repair"}: the log holds ${report.events} events`,
    );
  }
  return 0;
}
