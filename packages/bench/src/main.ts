/**
 * `pnpm bench`: runs every measure, each in a fresh node process, and prints a table of ratios against
 * baselines measured in the same run, next to their targets; a missed target is said plainly. With
 * `--json`, an array of rows instead ({ id, measure, baseline, ratio, target, met, detail }).
 * `--only 3,8a` runs some measures. `--smoke` runs every measure at a tiny size and judges no ratio (CI
 * runs it so no measure rots). A missed target fails nothing; a measure that throws makes the exit
 * status 1, naming it.
 */
import { spawnSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type Row, targetText } from "./Measure.js";
import { MEASURES } from "./measures.js";

/** The version `--version` prints (the package's). */
const VERSION = "0.1.0";

const USAGE = `
Usage:  pnpm bench [OPTIONS]

Measure Strata's speed against baselines measured in the same run, and print the ratios

Options:
      --json          Print the rows as a JSON array
      --only string   Run only these measures (comma-separated ids, e.g. 3,8a)
      --smoke         Run each measure at a tiny size, judging no ratio (exit 1 if one throws)
  -h, --help          Print usage
  -v, --version       Print version information and quit

Measures:
${MEASURES.map((m) => `  ${m.id.padEnd(4)} ${m.measure}`).join("\n")}
`;

let parsed: ReturnType<typeof parseArgs>;
try {
  parsed = parseArgs({
    args: process.argv.slice(2),
    options: {
      json: { type: "boolean" },
      only: { type: "string" },
      smoke: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
    strict: true,
    allowPositionals: false,
  });
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n${USAGE}`);
  process.exit(125);
}
if (parsed.values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (parsed.values.version) {
  process.stdout.write(`strata bench version ${VERSION}\n`);
  process.exit(0);
}
const json = parsed.values.json === true;
const smoke = parsed.values.smoke === true;
const only = typeof parsed.values.only === "string" ? new Set(parsed.values.only.split(",")) : null;
if (only)
  for (const id of only)
    if (!MEASURES.some((m) => m.id === id || m.id.replace(/[a-z]$/, "") === id)) {
      process.stderr.write(`unknown measure "${id}" for --only: see pnpm bench --help\n`);
      process.exit(125);
    }
const chosen = MEASURES.filter(
  (m) => only === null || only.has(m.id) || only.has(m.id.replace(/[a-z]$/, "")),
);
const runner = fileURLToPath(new URL("./runMeasure.js", import.meta.url));

const machine = `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
if (!json)
  process.stdout.write(
    `Strata bench — ${machine}\n${smoke ? "smoke: every measure at a tiny size, no ratio judged" : "ratios against a baseline measured in the same run"}\n\n`,
  );

const tty = process.stdout.isTTY === true;
const rows: Row[] = [];
for (const m of chosen) {
  if (!json && tty) process.stdout.write(`  running ${m.id}: ${m.measure} ...\r`);
  const args = ["--expose-gc", "--max-old-space-size=4096", runner, m.id, ...(smoke ? ["--smoke"] : [])];
  const r = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
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
      target: targetText(m.target),
      met: null,
      failed: true,
      ...(smoke ? { smoke: true } : {}),
      detail: `failed (exit ${r.status ?? r.signal}): ${r.stdout.slice(-300)}`,
    };
  }
  rows.push(row);
  if (!json) process.stdout.write(`${tty ? "\u001b[2K" : ""}${format(row)}\n`);
}

function format(row: Row): string {
  const verdict = row.failed
    ? "FAILED"
    : row.ratio === null
      ? "NOT MEASURED"
      : row.smoke
        ? "smoke"
        : row.met
          ? "met"
          : "MISSED";
  const ratio = row.ratio === null ? "—" : row.ratio.toFixed(3);
  return `${row.id.padEnd(3)} ${ratio.padStart(8)}  target ${row.target.padEnd(7)} ${verdict.padEnd(12)} ${row.measure}\n${" ".repeat(14)}vs ${row.baseline}: ${row.detail}`;
}

const failed = rows.filter((r) => r.failed);
const unmeasured = rows.filter((r) => r.ratio === null && !r.failed);
const failures = failed.length ? `; FAILED (threw): ${failed.map((r) => r.id).join(", ")}` : "";
const notMeasured = unmeasured.length ? `; not measured: ${unmeasured.map((r) => r.id).join(", ")}` : "";
if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
else if (smoke) {
  const ran = rows.length - failed.length - unmeasured.length;
  process.stdout.write(`\nsmoke: ${ran} of ${rows.length} measures ran${failures}${notMeasured}\n`);
} else {
  const missed = rows.filter((r) => r.met === false);
  process.stdout.write(
    `\n${rows.filter((r) => r.met === true).length} of ${rows.length} targets met` +
      (missed.length ? `; MISSED: ${missed.map((r) => r.id).join(", ")} (see docs/performance.md)` : "") +
      failures +
      notMeasured +
      "\n",
  );
}
if (failed.length) {
  if (json) process.stderr.write(`FAILED (threw): ${failed.map((r) => `${r.id} ${r.measure}`).join("; ")}\n`);
  process.exit(1);
}
