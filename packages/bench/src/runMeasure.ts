/**
 * Runs one measure in this process and prints its row as JSON on the last line of stdout. `main.ts`
 * runs each measure in a fresh process (with --expose-gc), so one measure's heap and JIT state do not
 * leak into the next.
 */

import { meets, type Row, targetText } from "./Measure.js";
import { MEASURES } from "./measures.js";

const id = process.argv[2];
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
};
let row: Row;
const missing = (await measure.unavailable?.()) ?? null;
if (missing !== null) {
  row = { ...base, ratio: null, met: null, detail: `not measured: ${missing}` };
} else {
  const r = await measure.run();
  row = { ...base, ratio: Number(r.ratio.toFixed(3)), met: meets(measure.target, r.ratio), detail: r.detail };
}
process.stdout.write(`${JSON.stringify(row)}\n`);
