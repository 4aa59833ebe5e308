/**
 * The `strata` command.
 *
 * Exit codes: 0 success; 1 the command was refused (the engine's typed error, on stderr in Docker's
 * words); 2 usage error; 3 the log could not be opened (locked by another process, or damaged).
 */
import { StoreError } from "@strata/store";
import { parseArgs, UsageError } from "./args.js";
import { COMMANDS, isStrataError, logDir } from "./commands.js";
import { makeOutput } from "./output.js";
import { makeProgressBar } from "./ProgressBar.js";
import { Workspace } from "./Workspace.js";

export const EXIT = { ok: 0, refused: 1, usage: 2, log: 3 } as const;

const GLOBAL = "Global flags: --log DIR (default .strata, or $STRATA_LOG), --format json, --help";

export function helpText(name?: string): string {
  const spec = COMMANDS.find((c) => c.name === name);
  if (spec) return `Usage: ${spec.usage}\n\n${spec.summary}.\n\n${GLOBAL}\n`;
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: strata COMMAND [ARGS] [FLAGS]",
    "",
    "Replay, inspect and build container images from an event log.",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    GLOBAL,
    "Run 'strata COMMAND --help' for more on a command.",
    "",
  ].join("\n");
}

/** Where `main` writes, whether those are terminals (colour, progress bars), and its clock (progress bars). */
export interface MainIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly tty: boolean;
  readonly errTty: boolean;
  readonly now?: () => number;
}

export async function main(
  argv: readonly string[],
  io: MainIo = {
    out: (s: string) => process.stdout.write(s),
    err: (s: string) => process.stderr.write(s),
    tty: process.stdout.isTTY === true,
    errTty: process.stderr.isTTY === true,
  },
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(helpText(rest[0]));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) {
    io.err(`strata: '${name}' is not a strata command.\nSee 'strata --help'\n`);
    return EXIT.usage;
  }
  let ws: Workspace | undefined;
  try {
    const { positional, flags } = parseArgs(
      rest,
      new Set(["help", ...(spec.booleans ?? [])]),
      spec.short ?? {},
    );
    if (flags.has("help")) {
      io.out(helpText(name));
      return EXIT.ok;
    }
    const out = makeOutput(flags.get("format") === "json", io.out, io.err, io.tty, io.errTty);
    const progress = makeProgressBar(io.err, io.errTty, io.now);
    const dir = logDir(flags);
    return await spec.run({
      args: positional,
      flags,
      out,
      progress,
      workspace: async (override?: string) => {
        ws ??= await Workspace.open(override ?? dir, {
          readOnly: spec.readOnly === true,
          onReplay: (done, total) => {
            progress.update("replaying the log", done, total, "events");
            if (done === total) progress.done();
          },
        });
        return ws;
      },
    });
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`strata ${name}: ${e.message}\nSee 'strata ${name} --help'\n`);
      return EXIT.usage;
    }
    if (e instanceof StoreError) {
      io.err(`Error: the log could not be used: ${e.message}\n`);
      return EXIT.log;
    }
    if (isStrataError(e)) {
      io.err(`Error response from daemon: ${e.message}\n`);
      return EXIT.refused;
    }
    throw e;
  } finally {
    await ws?.close();
  }
}
