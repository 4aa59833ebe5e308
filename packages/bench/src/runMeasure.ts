/**
 * Runs one measure in this process and prints its row as JSON on the last line of stdout:
 * `node runMeasure.js ID [--smoke]`. `main.ts` runs each measure in a fresh process (with --expose-gc),
 * so one measure's heap and JIT state do not leak into the next. A measure that throws prints its error
 * on stderr and a row with `failed: true`, and the process exits 1.
 */

import { meets, type Row, targetText } from "./Measure.js";
import { MEASURES } from "./measures.js";

const id = process.argv[2];
const smoke = process.argv.includes("--smoke");
const measure = MEASURES.find((m) => m.id === id);
if (!measure) {
  process.stderr.write(`no measure ${id}\n`);
  process.exit(2);
}
const base = {
  id: measure.id,
  measure: measure.measure,
  baseline: measure.baseline,
  target: targetText(measure.target),
  ...(smoke ? { smoke: true } : {}),
};
let row: Row;
try {
  const missing = (await measure.unavailable?.()) ?? null;
  if (missing !== null) {
    row = { ...base, ratio: null, met: null, detail: `not measured: ${missing}` };
  } else {
    const r = await measure.run({ smoke });
    row = {
      ...base,
      ratio: Number(r.ratio.toFixed(3)),
      met: smoke ? null : meets(measure.target, r.ratio),
      detail: r.detail,
    };
  }
} catch (e) {
  process.stderr.write(`measure ${measure.id} threw: ${(e as Error)?.stack ?? String(e)}\n`);
  row = {
    ...base,
    ratio: null,
    met: null,
    failed: true,
    detail: `threw: ${(e as Error)?.message ?? String(e)}`,
  };
}
process.stdout.write(`${JSON.stringify(row)}\n`);
process.exit(row.failed ? 1 : 0);
