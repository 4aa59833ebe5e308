/**
 * Progress bars on stderr for long imports, exports and replays: only on a TTY (a pipe or a file gets
 * nothing), only for work that has already taken 200 ms (short work does not flicker), redrawn in place
 * at most every 100 ms, and erased when the work is done so the command's own output is all that stays.
 */

export interface ProgressBar {
  /** Shows `label` at `done` of `total` (`unit` bytes are shown in MB). */
  update(label: string, done: number, total: number, unit?: "bytes" | "layers" | "events"): void;
  /** Erases the bar. */
  done(): void;
}

const WIDTH = 30;

export function makeProgressBar(
  write: (s: string) => void,
  tty: boolean,
  now: () => number = () => performance.now(),
): ProgressBar {
  if (!tty) return { update: () => {}, done: () => {} };
  let last = Number.NEGATIVE_INFINITY;
  let started: number | null = null;
  let shown = false;
  return {
    update(label, done, total, unit = "events") {
      started ??= now();
      if (now() - started < 200) return;
      const finished = total > 0 && done >= total;
      if (!finished && now() - last < 100) return;
      last = now();
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const filled = Math.round(fraction * WIDTH);
      const amount =
        unit === "bytes"
          ? `${(done / 1e6).toFixed(1)}/${(total / 1e6).toFixed(1)} MB`
          : `${done}/${total} ${unit}`;
      write(
        `\r\u001b[2K${label} [${"=".repeat(filled)}${" ".repeat(WIDTH - filled)}] ${Math.floor(fraction * 100)}% ${amount}`,
      );
      shown = true;
    },
    done() {
      if (shown) write("\r\u001b[2K");
      shown = false;
      started = null;
      last = Number.NEGATIVE_INFINITY;
    },
  };
}
