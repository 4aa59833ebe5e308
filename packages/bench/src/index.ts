/**
 * @strata/bench: the measures behind `pnpm bench` (private; run it, do not depend on it).
 */
export type { Measure, Result, Row, Target } from "./Measure.js";
export { meets, targetText } from "./Measure.js";
export { MEASURES } from "./measures.js";
export type { SeededRandom } from "./seededRandom.js";
export { seededRandom } from "./seededRandom.js";
