/**
 * docker's fork of Go's text/tabwriter, as `table` formats use it (minwidth 10, tabwidth 1, padding 3,
 * pad with spaces, no flags): tab-terminated cells are aligned in columns, a column as wide as its widest
 * cell plus 3 and at least 10, widths measured in terminal columns (runeWidth.ts); a line without a tab
 * ends the column block above it. Text is a byte string. Pure.
 * Rules: docker/cli cli/command/formatter/tabwriter/tabwriter.go (v28.2.2).
 */
import { stringWidth } from "./runeWidth.js";

interface Cell {
  size: number;
  width: number;
  htab: boolean;
}

/** A tabwriter: `write` text, then `flush` to get the aligned output. */
export class TabWriter {
  private out = "";
  private buf = "";
  private pos = 0;
  private cell: Cell = { size: 0, width: 0, htab: false };
  private lines: Cell[][] = [[]];
  private widths: number[] = [];

  constructor(
    private readonly minwidth = 10,
    private readonly tabwidth = 1,
    private readonly padding = 3,
    private readonly padchar = " ",
  ) {
    void this.tabwidth;
  }

  private reset(): void {
    this.buf = "";
    this.pos = 0;
    this.cell = { size: 0, width: 0, htab: false };
    this.lines = [[]];
    this.widths = [];
  }

  private updateWidth(): void {
    this.cell.width += stringWidth(this.buf.slice(this.pos));
    this.pos = this.buf.length;
  }

  private terminateCell(htab: boolean): number {
    this.cell.htab = htab;
    const line = this.lines[this.lines.length - 1] as Cell[];
    line.push(this.cell);
    this.cell = { size: 0, width: 0, htab: false };
    return line.length;
  }

  private writePadding(textw: number, cellw: number): void {
    this.out += this.padchar.repeat(Math.max(0, cellw - textw));
  }

  private writeLines(pos0: number, line0: number, line1: number): number {
    let pos = pos0;
    for (let i = line0; i < line1; i++) {
      const line = this.lines[i] as Cell[];
      line.forEach((c, j) => {
        if (c.size === 0) {
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j] as number);
        } else {
          this.out += this.buf.slice(pos, pos + c.size);
          pos += c.size;
          if (j < this.widths.length) this.writePadding(c.width, this.widths[j] as number);
        }
      });
      if (i + 1 === this.lines.length) {
        this.out += this.buf.slice(pos, pos + this.cell.size);
        pos += this.cell.size;
      } else {
        this.out += "\n";
      }
    }
    return pos;
  }

  private format(pos0: number, line0: number, line1: number): number {
    let pos = pos0;
    let l0 = line0;
    const column = this.widths.length;
    for (let t = l0; t < line1; t++) {
      let line = this.lines[t] as Cell[];
      if (column >= line.length - 1) continue;
      pos = this.writeLines(pos, l0, t);
      l0 = t;
      let width = this.minwidth;
      for (; t < line1; t++) {
        line = this.lines[t] as Cell[];
        if (column >= line.length - 1) break;
        const c = line[column] as Cell;
        const w = c.width + this.padding;
        if (w > width) width = w;
      }
      this.widths.push(width);
      pos = this.format(pos, l0, t);
      this.widths.pop();
      l0 = t;
    }
    return this.writeLines(pos, l0, line1);
  }

  private flushNoDefers(): void {
    if (this.cell.size > 0) this.terminateCell(false);
    this.format(0, 0, this.lines.length);
    this.reset();
  }

  /** Writes text (a byte string). */
  write(text: string): void {
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (ch === "\t" || ch === "\v" || ch === "\n" || ch === "\f") {
        this.buf += text.slice(n, i);
        this.cell.size += i - n;
        this.updateWidth();
        n = i + 1;
        const ncells = this.terminateCell(ch === "\t");
        if (ch === "\n" || ch === "\f") {
          this.lines.push([]);
          if (ch === "\f" || ncells === 1) this.flushNoDefers();
        }
      }
    }
    this.buf += text.slice(n);
    this.cell.size += text.length - n;
  }

  /** Flushes what is buffered and returns everything written so far. */
  flush(): string {
    this.flushNoDefers();
    const out = this.out;
    this.out = "";
    return out;
  }
}
