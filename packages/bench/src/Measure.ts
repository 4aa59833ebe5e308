/**
 * A benchmark measure: a workload timed against a baseline measured in the same run, reported as a
 * ratio next to its target. Machines are noisy, so no absolute time is ever a target: only ratios
 * between two things measured moments apart on the same machine.
 */

/** `>=`: the ratio must be at least `value`; `<=`: at most. */
export interface Target {
  readonly op: ">=" | "<=";
  readonly value: number;
}

/** What one measure found. */
export interface Result {
  readonly ratio: number;
  /** The numbers behind the ratio, for people (times, rates, sizes). */
  readonly detail: string;
}

/** How a measure runs: at its full size, or at a tiny size under `pnpm bench --smoke`. */
export interface RunOptions {
  /** Tiny sizes and a single round: checks that the measure runs, not how fast. */
  readonly smoke: boolean;
}

/** `full` in a real run, `small` under --smoke. */
export const sized = (options: RunOptions, full: number, small: number): number =>
  options.smoke ? small : full;

export interface Measure {
  /** Its row in the table: "1" to "10", with a letter where one row has several measures. */
  readonly id: string;
  readonly measure: string;
  readonly baseline: string;
  readonly target: Target;
  /** Why the measure cannot run here (a missing tool or service), or null. */
  readonly unavailable?: () => Promise<string | null>;
  readonly run: (options: RunOptions) => Promise<Result>;
}

/** One row of `pnpm bench --json`. */
export interface Row {
  readonly id: string;
  readonly measure: string;
  readonly baseline: string;
  readonly ratio: number | null;
  readonly target: string;
  /** Null when not measured, and always under --smoke (where no ratio is judged). */
  readonly met: boolean | null;
  readonly detail: string;
  /** Present and true when the row comes from `--smoke` (tiny sizes: the ratio means nothing). */
  readonly smoke?: boolean;
  /** Present and true when the measure threw (its error is in `detail`). */
  readonly failed?: boolean;
}

export const targetText = (t: Target) => `${t.op === ">=" ? "≥" : "≤"} ${t.value}`;

export const meets = (t: Target, ratio: number) => (t.op === ">=" ? ratio >= t.value : ratio <= t.value);
