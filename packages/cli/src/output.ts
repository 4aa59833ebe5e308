/** Output conventions Docker users know: aligned tables, or JSON with `--format json`; colour only on a TTY. */

export interface Output {
  readonly json: boolean;
  line(text?: string): void;
  error(text: string): void;
  table(headers: readonly string[], rows: readonly (readonly string[])[]): void;
  data(value: unknown): void;
}

export function makeOutput(
  json: boolean,
  write: (s: string) => void,
  writeErr: (s: string) => void,
  tty: boolean,
  errTty = tty,
): Output {
  const bold = (s: string) => (tty ? `\u001b[1m${s}\u001b[22m` : s);
  return {
    json,
    line: (text = "") => write(`${text}\n`),
    error: (text) => writeErr(`${errTty ? "\u001b[31m" : ""}${text}${errTty ? "\u001b[39m" : ""}\n`),
    table(headers, rows) {
      const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
      const fmt = (cells: readonly string[]) =>
        cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join("   ");
      write(`${bold(fmt(headers))}\n`);
      for (const r of rows) write(`${fmt(r)}\n`);
    },
    data: (value) => write(`${JSON.stringify(value, null, 2)}\n`),
  };
}
