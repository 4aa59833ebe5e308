/**
 * Timing and memory helpers. Ours and the baseline are timed in alternating rounds and each side's
 * median is taken, so a burst of noise on the machine hits both sides alike.
 */

export const gc: () => void = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Heap in use after two full collections (run node with --expose-gc). */
export function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

export const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Milliseconds `f` takes (awaited). */
export async function timeOnce(f: () => unknown): Promise<number> {
  const start = performance.now();
  await f();
  return performance.now() - start;
}

/**
 * Times `ours` and `baseline` in `rounds` alternating rounds (after one warm-up each) and returns each
 * side's median in milliseconds.
 */
export async function alternate(
  ours: () => unknown,
  baseline: () => unknown,
  rounds = 5,
): Promise<{ ours: number; baseline: number }> {
  await ours();
  await baseline();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await timeOnce(ours));
    b.push(await timeOnce(baseline));
  }
  return { ours: median(a), baseline: median(b) };
}

export const fmtMs = (ms: number) => (ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
export const fmtRate = (n: number, ms: number, unit: string) =>
  `${Math.round((n / ms) * 1000).toLocaleString("en")} ${unit}/s`;
export const fmtMB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
