/**
 * The `strata` command.
 *
 * Exit codes (docs/cli.md lists every message):
 * - 0 success;
 * - 1 the command failed: refused by the engine (its typed error, in Docker's words), its events could
 *   not be stored (no space, an event over 64 MiB, ...: nothing was changed), content it needed is
 *   missing or damaged, or a file it was given cannot be read or written;
 * - 2 usage error (unknown command or flag, missing argument);
 * - 3 the log could not be opened: locked by another process, damaged, missing, not a directory,
 *   read-only or not permitted;
 * - 70 an internal error (a bug): one line on stderr, the stack with STRATA_DEBUG=1.
 */
import { type DurableEngine, openEngine } from "@strata/engine";
import { FileEventLog, StoreError } from "@strata/store";
import { parseArgs, UsageError } from "./args.js";
import { OpenFailure } from "./CommandSpec.js";
import { COMMANDS, isStrataError, logDir, refusal } from "./commands.js";
import { makeOutput } from "./output.js";
import { makeProgressBar } from "./ProgressBar.js";

export const EXIT = { ok: 0, refused: 1, usage: 2, log: 3, internal: 70 } as const;

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
  let engine: DurableEngine | undefined;
  try {
    const { positional, flags } = parseArgs(rest, {
      log: { type: "string" },
      format: { type: "string", values: spec.formats ?? ["json"] },
      help: { type: "boolean", short: "h" },
      ...spec.flags,
    });
    if (flags.has("help")) {
      io.out(helpText(name));
      return EXIT.ok;
    }
    const out = makeOutput(flags.get("format") === "json", io.out, io.err, io.tty, io.errTty);
    const progress = makeProgressBar(io.err, io.errTty, io.now);
    const location = logDir(flags);
    return await spec.run({
      args: positional,
      flags,
      out,
      progress,
      location,
      engine: async (override?: string) => {
        if (engine) return engine;
        try {
          engine = await openEngine({
            location: override ?? location,
            readOnly: spec.readOnly === true,
            // A command is a short process: timers due fire with the next command that runs.
            timers: false,
            lockWaitMs: lockWaitMs(),
            onReplay: (done, total) => {
              progress.update("replaying the log", done, total, "events");
              if (done === total) progress.done();
            },
          });
        } catch (e) {
          throw new OpenFailure(e);
        }
        const torn = engine.log instanceof FileEventLog ? engine.log.openReport.truncated : null;
        if (torn && spec.readOnly !== true)
          io.err(
            `strata: warning: cut ${torn.bytes} bytes at the end of ${torn.file} (offset ${torn.offset}): a batch a crash left unfinished; it was never reported as done\n`,
          );
        return engine;
      },
    });
  } catch (e) {
    return reportFailure(name, e, io.err);
  } finally {
    await engine?.close();
  }
}

/** Says what went wrong on stderr, in one or two lines and no stack; returns the exit code. */
export function reportFailure(name: string, e: unknown, err: (s: string) => void): number {
  if (e instanceof UsageError) {
    err(`strata ${name}: ${e.message}\nSee 'strata ${name} --help'\n`);
    return EXIT.usage;
  }
  if (e instanceof OpenFailure) {
    const reason = e.reason;
    if (reason instanceof StoreError || isStrataError(reason) || errnoOf(reason)) {
      err(`Error: the log could not be opened: ${(reason as Error).message}${hintFor(reason)}\n`);
      return EXIT.log;
    }
    return reportFailure(name, reason, err);
  }
  if (e instanceof StoreError && LOG_UNUSABLE.has(e.code)) {
    // Met while appending: the log is damaged or another live process holds its lock.
    err(`Error: the log could not be used, so nothing was changed: ${e.message}${hintFor(e)}\n`);
    return EXIT.log;
  }
  if (e instanceof StoreError) {
    err(`Error: the events of this command could not be stored, so nothing was changed: ${e.message}\n`);
    return EXIT.refused;
  }
  if (isStrataError(e)) {
    // The engine's refusals are Docker's errors; a blob that cannot be served is a storage failure.
    err(`${refusal(e)}\n`);
    return EXIT.refused;
  }
  const errno = errnoOf(e);
  if (errno) {
    err(`Error: ${(e as Error).message}\n`);
    return EXIT.refused;
  }
  err(
    `strata: internal error: ${(e as Error)?.message ?? String(e)}\n${process.env.STRATA_DEBUG ? `${(e as Error)?.stack ?? ""}\n` : "(a bug in strata; run again with STRATA_DEBUG=1 to see where)\n"}`,
  );
  return EXIT.internal;
}

/** How long a command waits for another writer's lock: `STRATA_LOCK_WAIT_MS`, default 30 s. */
function lockWaitMs(): number {
  const ms = Number(process.env.STRATA_LOCK_WAIT_MS);
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : 30_000;
}

/** Store errors that say the log itself cannot be used (exit 3), wherever they are met. */
const LOG_UNUSABLE = new Set(["CorruptLog", "LogLocked", "LogNotFound"]);

function errnoOf(e: unknown): string | null {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : null;
}

function hintFor(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === "CorruptLog")
    return "\nRun 'strata log verify' for details; 'strata log repair' cuts the log before the damage and moves the rest aside (into damaged/).";
  if (code === "LogNotFound")
    return "\nGive the log's directory with --log DIR (or $STRATA_LOG); a command that writes starts a new log.";
  return "";
}
