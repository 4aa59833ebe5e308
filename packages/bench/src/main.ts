/**
 * `pnpm bench`: runs every measure, each in a fresh node process, and prints a table of ratios against
 * baselines measured in the same run, next to their targets; a missed target is said plainly. With
 * `--json`, an array of rows instead ({ id, measure, baseline, ratio, target, met, detail }).
 * `--only 3,8a` runs some measures. Not a test: nothing here fails a build.
 */
import { spawnSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import type { Row } from "./Measure.js";
import { MEASURES } from "./measures.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const onlyAt = args.indexOf("--only");
const only = onlyAt >= 0 ? new Set((args[onlyAt + 1] ?? "").split(",")) : null;
const chosen = MEASURES.filter(
  (m) => only === null || only.has(m.id) || only.has(m.id.replace(/[a-z]$/, "")),
);
const runner = fileURLToPath(new URL("./runMeasure.js", import.meta.url));

const machine = `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
if (!json)
  process.stdout.write(`Strata bench — ${machine}\nratios against a baseline measured in the same run\n\n`);

const tty = process.stdout.isTTY === true;
const rows: Row[] = [];
for (const m of chosen) {
  if (!json && tty) process.stdout.write(`  running ${m.id}: ${m.measure} ...\r`);
  const r = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=4096", runner, m.id], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  let row: Row;
  try {
    row = JSON.parse(last) as Row;
  } catch {
    row = {
      id: m.id,
      measure: m.measure,
      baseline: m.baseline,
      ratio: null,
      target: "",
      met: null,
      detail: `failed (exit ${r.status}): ${r.stdout.slice(-300)}`,
    };
  }
  rows.push(row);
  if (!json) process.stdout.write(`${tty ? "\u001b[2K" : ""}${format(row)}\n`);
}

function format(row: Row): string {
  const verdict = row.met === null ? "NOT MEASURED" : row.met ? "met" : "MISSED";
  const ratio = row.ratio === null ? "—" : row.ratio.toFixed(3);
  return `${row.id.padEnd(3)} ${ratio.padStart(8)}  target ${row.target.padEnd(7)} ${verdict.padEnd(12)} ${row.measure}\n${" ".repeat(14)}vs ${row.baseline}: ${row.detail}`;
}

if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else {
  const missed = rows.filter((r) => r.met === false);
  const unmeasured = rows.filter((r) => r.met === null);
  process.stdout.write(
    `\n${rows.length - missed.length - unmeasured.length} of ${rows.length} targets met` +
      (missed.length ? `; MISSED: ${missed.map((r) => r.id).join(", ")} (see docs/performance.md)` : "") +
      (unmeasured.length ? `; not measured: ${unmeasured.map((r) => r.id).join(", ")}` : "") +
      "\n",
  );
}
