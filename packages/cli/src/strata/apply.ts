/**
 * `strata apply FILE|-`: a file of commands, one JSON object a line, each stored before it is reported.
 */
import { readFileSync } from "node:fs";
import { type Command, parseCommand } from "@strata/core";
import { UsageError } from "../args.js";
import type { CommandSpec } from "../CommandSpec.js";
import { refusal } from "../refusal.js";

export const applyCommand: CommandSpec = {
  name: "apply",
  group: "strata",
  usage: "strata apply FILE|-",
  args: { min: 1, max: 1 },
  flags: { format: { type: "string", values: ["json"], help: 'Print JSON ("json")' } },
  summary:
    "Apply a file of commands, one JSON object a line (see docs/commands.md), each stored before it is reported; a failing line changes nothing",
  run: async (ctx) => {
    const [file] = ctx.args;
    let bytes: Buffer;
    try {
      bytes = file === "-" ? await readStream(ctx.stdin) : readFileSync(file as string);
    } catch (e) {
      throw new UsageError(
        `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    const engine = await ctx.engine();
    let failed = 0;
    const results: unknown[] = [];
    // Each line is appended (durably) before it is reported: a run killed half way has reported only
    // what is in the log.
    const report = (line: string, error: boolean) => {
      if (ctx.out.json) return;
      if (error) ctx.out.error(line);
      else ctx.out.line(line);
    };
    for (const [i, text] of scriptLines(bytes).entries()) {
      const n = i + 1;
      if (text === null) {
        failed++;
        const message = `line ${n}: not valid UTF-8 (names and text are kept byte for byte, never replaced): send other bytes as base64`;
        results.push({ line: n, ok: false, error: { message } });
        report(message, true);
        continue;
      }
      if (text.trim() === "" || text.trim().startsWith("#")) continue;
      let command: Command;
      try {
        command = parseCommand(JSON.parse(text), `line ${n}`);
      } catch (e) {
        failed++;
        const message = e instanceof SyntaxError ? `line ${n}: not JSON: ${e.message}` : (e as Error).message;
        results.push({ line: n, ok: false, error: { message } });
        report(message, true);
        continue;
      }
      const r = await engine.execute(command);
      if (r.ok) {
        results.push({ line: n, ok: true, events: r.events.map((e) => e.seq) });
        report(
          `line ${n}: ${command.type}: ${r.events.length} event(s)${r.events.length ? ` #${r.events[0]?.seq}..#${r.events.at(-1)?.seq}` : ""}`,
          false,
        );
      } else {
        failed++;
        results.push({ line: n, ok: false, error: r.error.toJSON(), events: r.events.map((e) => e.seq) });
        report(`line ${n}: ${command.type}: ${refusal(r.error)}`, true);
      }
    }
    if (ctx.out.json) ctx.out.data(results);
    return failed > 0 ? 1 : 0;
  },
};

/** Everything `stream` gives until it ends. */
async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** The lines of a script, each decoded as UTF-8; null for a line that is not valid UTF-8. */
function scriptLines(bytes: Buffer): (string | null)[] {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const lines: (string | null)[] = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      lines.push(decoder.decode(bytes.subarray(start, end)));
    } catch {
      lines.push(null);
    }
    start = end + 1;
  }
  return lines;
}
