/**
 * Output conventions Docker users know: aligned tables, or JSON with `--format json`; colour only on a
 * terminal and never when `NO_COLOR` is set; bytes (a tar) written as they are.
 */

export interface Output {
  readonly json: boolean;
  line(text?: string): void;
  /** Text as it is, without a newline added. */
  text(text: string): void;
  /** Bytes as they are (`save`, `cp … -`); resolves once they are handed to the system. */
  bytes(bytes: Uint8Array): Promise<void>;
  error(text: string): void;
  table(headers: readonly string[], rows: readonly (readonly string[])[]): void;
  data(value: unknown): void;
}

/** Whether to colour: on a terminal, unless `NO_COLOR` is set to anything but "" (no-color.org). */
export function colourWanted(tty: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return tty && (env.NO_COLOR === undefined || env.NO_COLOR === "");
}

export function makeOutput(
  json: boolean,
  write: (s: string) => void,
  writeErr: (s: string) => void,
  tty: boolean,
  errTty = tty,
  writeBytes: (b: Uint8Array) => Promise<void> = async (b) => write(Buffer.from(b).toString("latin1")),
): Output {
  const colour = colourWanted(tty);
  const errColour = colourWanted(errTty);
  const bold = (s: string) => (colour ? `\u001b[1m${s}\u001b[22m` : s);
  return {
    json,
    line: (text = "") => write(`${text}\n`),
    text: (text) => write(text),
    bytes: writeBytes,
    error: (text) => writeErr(`${errColour ? "\u001b[31m" : ""}${text}${errColour ? "\u001b[39m" : ""}\n`),
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
