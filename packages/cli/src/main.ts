/**
 * The `strata` command.
 *
 * Exit codes, docker's where docker has them (docs/cli.md lists every message):
 * - 0 success;
 * - 1 the command failed: refused by the daemon (its typed error, in Docker's words: "Error response
 *   from daemon: …"), its events could not be stored (no space, an event over 64 MiB, ...: nothing was
 *   changed), content it needed is missing or damaged, a file it was given cannot be read or written, an
 *   unknown command or the wrong number of arguments (as docker);
 * - 125 a flag is unknown, lacks its value or has a wrong one (as docker);
 * - `wait` prints each container's exit code; `run` (attached) ends with the container's;
 * - 3 the log could not be opened: locked by another process, damaged, missing, not a directory,
 *   read-only or not permitted;
 * - 70 an internal error (a bug): one line on stderr, the stack with STRATA_DEBUG=1.
 */

import { Readable } from "node:stream";
import { type DurableEngine, openEngine } from "@strata/engine";
import { FileEventLog, StoreError } from "@strata/store";
import { FlagError, type FlagSpecs, parseArgs, UsageError } from "./args.js";
import { CommandError, type CommandSpec, ExitStatus, OpenFailure, readsOnly } from "./CommandSpec.js";
import { DaemonError, DockerClient } from "./client/DockerClient.js";
import { EmbeddedDaemon } from "./client/EmbeddedDaemon.js";
import { COMMANDS, isStrataError, logDir } from "./commands.js";
import { makeOutput } from "./output.js";
import { makeProgressBar } from "./ProgressBar.js";
import { refusal } from "./refusal.js";
import { STRATA_VERSION } from "./strataVersion.js";

export const EXIT = { ok: 0, refused: 1, log: 3, internal: 70, usage: 125 } as const;

/** The flags every command takes. */
const GLOBAL_FLAGS: FlagSpecs = {
  log: {
    type: "string",
    help: "Where the log is: a directory or postgres://… (default .strata, or $STRATA_LOG)",
  },
  host: {
    type: "string",
    short: "H",
    help: "Talk to a strata serve at unix:///path or tcp://HOST:PORT instead of opening the log (or $STRATA_HOST)",
  },
  help: { type: "boolean", short: "h", shortDeprecated: "use --help", help: "Print usage" },
};

const GROUPS: Record<CommandSpec["group"], string> = {
  common: "Common Commands",
  containers: "Container Commands",
  images: "Image Commands",
  log: "Log and Time-Travel Commands",
  strata: "Strata Commands",
};

/** The version `strata --version` prints. */
export const VERSION = STRATA_VERSION;

/** The command `argv` names, and the arguments after its name; null when none does. */
export function findCommand(argv: readonly string[]): { spec: CommandSpec; rest: string[] } | null {
  const paths = (s: CommandSpec) => [s.name, ...(s.aliases ?? [])];
  for (const words of [2, 1]) {
    if (argv.length < words) continue;
    const path = argv.slice(0, words).join(" ");
    const spec = COMMANDS.find((s) => paths(s).includes(path));
    if (spec) return { spec, rest: argv.slice(words) };
  }
  return null;
}

/** `--help` of one command, as docker prints it (usage, summary, aliases, options). */
export function helpText(name?: string): string {
  const found = name === undefined ? null : findCommand(name.split(" "));
  if (found) return commandHelp(found.spec);
  const lines = [
    "",
    "Usage:  strata [OPTIONS] COMMAND",
    "",
    "Docker's daemon and command line over an event log you can replay.",
    "",
  ];
  for (const [group, title] of Object.entries(GROUPS)) {
    const specs = COMMANDS.filter((c) => c.group === group);
    if (specs.length === 0) continue;
    const width = Math.max(...COMMANDS.map((c) => c.name.length));
    lines.push(`${title}:`);
    for (const c of specs) lines.push(`  ${c.name.padEnd(width)}  ${c.summary}`);
    lines.push("");
  }
  lines.push(
    "Global Options:",
    ...optionLines({
      ...GLOBAL_FLAGS,
      version: { type: "boolean", short: "v", help: "Print version information and quit" },
    }),
    "",
  );
  lines.push("Run 'strata COMMAND --help' for more information on a command.", "");
  return lines.join("\n");
}

function commandHelp(spec: CommandSpec): string {
  const lines = ["", `Usage:  ${spec.usage}`, "", `${spec.summary}`, ""];
  if (spec.aliases?.length)
    lines.push("Aliases:", `  ${[spec.name, ...spec.aliases].map((p) => `strata ${p}`).join(", ")}`, "");
  const own = optionLines(spec.flags ?? {});
  if (own.length > 0) lines.push("Options:", ...own, "");
  lines.push("Global Options:", ...optionLines(GLOBAL_FLAGS), "");
  return lines.join("\n");
}

/** `  -t, --timeout int   Seconds to wait…`, aligned. */
function optionLines(flags: FlagSpecs): string[] {
  const rows = Object.entries(flags)
    .filter(([, f]) => !f.hidden)
    .map(([name, f]) => {
      const kind = f.type === "boolean" ? "" : ` ${f.valueName ?? (f.type === "list" ? "list" : "string")}`;
      const short = f.short && !f.shortDeprecated ? `-${f.short}, ` : "    ";
      return [`${short}--${name}${kind}`, f.help ?? ""] as const;
    });
  const width = Math.max(0, ...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}   ${h}`.trimEnd());
}

/** Where `main` writes, whether those are terminals (colour, progress bars), and its clock (progress bars). */
export interface MainIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly tty: boolean;
  readonly errTty: boolean;
  readonly now?: () => number;
  /** Writes bytes to standard output (default: through `out`, as latin1 text). */
  readonly bytes?: (b: Uint8Array) => Promise<void>;
  readonly stdin?: Readable;
}

export async function main(
  argv: readonly string[],
  io: MainIo = {
    out: (s: string) => process.stdout.write(s),
    err: (s: string) => process.stderr.write(s),
    tty: process.stdout.isTTY === true,
    errTty: process.stderr.isTTY === true,
    bytes: (b) =>
      new Promise((resolve, reject) => process.stdout.write(b, (e) => (e ? reject(e) : resolve()))),
    stdin: process.stdin,
  },
): Promise<number> {
  // Global flags before the command (`strata --log DIR ps`, `strata -H unix:///s ps`).
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--version" || a === "-v") {
      io.out(`strata version ${VERSION}\n`);
      return EXIT.ok;
    }
    if (a === "--help" || a === "-h") {
      io.out(helpText(argv.slice(i + 1).join(" ") || undefined));
      return EXIT.ok;
    }
    if (a === "--log" || a === "--host" || a === "-H") {
      if (argv[i + 1] === undefined)
        return usageFailure(io, `flag needs an argument: ${a}`, "strata [OPTIONS] COMMAND", "strata");
      leading.push(a, argv[i + 1] as string);
      i++;
      continue;
    }
    if (/^--(log|host)=/.test(a)) {
      leading.push(a);
      continue;
    }
    if (a.startsWith("-"))
      return usageFailure(io, `unknown flag: ${a}`, "strata [OPTIONS] COMMAND", "strata");
    break;
  }
  const words = argv.slice(i);
  if (words.length === 0) {
    io.out(helpText());
    return EXIT.ok;
  }
  if (words[0] === "help") {
    io.out(helpText(words.slice(1).join(" ") || undefined));
    return EXIT.ok;
  }
  const found = findCommand(words);
  if (!found) {
    const group = COMMANDS.some((c) => c.name.startsWith(`${words[0]} `));
    // `strata oci` and `strata oci --help` both show the group's commands (as `docker image --help`).
    if (
      group &&
      (words.length === 1 || (words.length === 2 && ["--help", "-h"].includes(words[1] as string)))
    ) {
      io.out(groupHelp(words[0] as string));
      return EXIT.ok;
    }
    io.err(
      `strata: unknown command: strata ${words.slice(0, group ? 2 : 1).join(" ")}\n\nRun 'strata --help' for more information\n`,
    );
    return EXIT.refused;
  }
  const { spec } = found;
  const path = `strata ${spec.name}`;
  let engine: DurableEngine | undefined;
  let daemon: EmbeddedDaemon | undefined;
  try {
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs([...leading, ...found.rest], withOwnShorts(GLOBAL_FLAGS, spec.flags ?? {}), {
        interspersed: spec.interspersed !== false,
      });
    } catch (e) {
      if (e instanceof FlagError) return usageFailure(io, e.message, spec.usage, path);
      throw e;
    }
    const { positional, flags, lists } = parsed;
    // pflag's warnings for deprecated flags (cobra prints them on docker's stdout), before the command runs.
    for (const w of parsed.warnings) io.out(`${w}\n`);
    if (flags.has("help")) {
      io.out(commandHelp(spec));
      return EXIT.ok;
    }
    const countProblem = argCountProblem(spec, positional.length);
    if (countProblem) {
      io.err(
        `strata: '${path}' ${countProblem.text}\n\nUsage:  ${spec.usage}\n\n${countProblem.see ? "See" : "Run"} '${path} --help' for more information\n`,
      );
      return EXIT.refused;
    }
    const out = makeOutput(flags.get("format") === "json", io.out, io.err, io.tty, io.errTty, io.bytes);
    const progress = makeProgressBar(io.err, io.errTty, io.now);
    const location = logDir(flags);
    const readOnly = readsOnly(spec, positional);
    const openEngineOnce = async (override?: string) => {
      if (engine) return engine;
      try {
        engine = await openEngine({
          location: override ?? location,
          readOnly,
          // A reader starts no log; nor does a writer that only waits (`wait`).
          create: !readOnly && spec.needsLog !== true,
          // A short command fires the timers due as it runs; those that wait (stop -t, wait) run them on time.
          timers: spec.timers === true && !readOnly,
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
      if (torn && !readOnly)
        io.err(
          `strata: warning: cut ${torn.bytes} bytes at the end of ${torn.file} (offset ${torn.offset}): a batch a crash left unfinished; it was never reported as done\n`,
        );
      return engine;
    };
    let client: DockerClient | undefined;
    return await spec.run({
      name: spec.name,
      args: positional,
      flags,
      list: (name) => lists.get(name) ?? [],
      out,
      stdin: io.stdin ?? Readable.from([]),
      stdoutIsTty: io.tty,
      progress,
      location,
      engine: openEngineOnce,
      docker: async () => {
        if (client) return client;
        const host = flags.get("host") ?? process.env.STRATA_HOST;
        if (typeof host === "string" && host !== "") {
          try {
            client = new DockerClient(host);
          } catch (e) {
            throw new UsageError((e as Error).message);
          }
          return client;
        }
        daemon = await EmbeddedDaemon.start(await openEngineOnce(), location);
        client = daemon.client;
        return client;
      },
    });
  } catch (e) {
    // A flag's value found wrong by the command itself: the usage, as for one the parser refused.
    if (e instanceof FlagError) return usageFailure(io, e.message, spec.usage, path);
    return reportFailure(spec.name, e, io.err);
  } finally {
    await daemon?.close();
    await engine?.close();
  }
}

/** The global flags and a command's own; a short letter both use is the command's (`history -H`). */
function withOwnShorts(global: FlagSpecs, own: FlagSpecs): FlagSpecs {
  const shorts = new Set(Object.values(own).map((f) => f.short));
  const kept = Object.entries(global).map(([name, f]) => {
    if (!f.short || !shorts.has(f.short)) return [name, f] as const;
    const { short: _short, ...rest } = f;
    return [name, rest] as const;
  });
  return { ...Object.fromEntries(kept), ...own };
}

/** What is wrong with the number of arguments, in docker's words; null when it is right. */
function argCountProblem(spec: CommandSpec, n: number): { text: string; see: boolean } | null {
  const { min = 0, max = Number.POSITIVE_INFINITY } = spec.args ?? {};
  const plural = (k: number) => `${k} argument${k === 1 ? "" : "s"}`;
  if (min === max && n !== min)
    return { text: min === 0 ? "accepts no arguments" : `requires ${plural(min)}`, see: false };
  if (n < min) return { text: `requires at least ${plural(min)}`, see: true };
  if (n > max) return { text: `requires at most ${plural(max)}`, see: false };
  return null;
}

/** A flag problem: docker's message, the usage line, exit 125. */
function usageFailure(io: MainIo, message: string, usage: string, path: string): number {
  io.err(`${message}\n\nUsage:  ${usage}\n\nRun '${path} --help' for more information\n`);
  return EXIT.usage;
}

/** `strata container` alone: the commands of the group. */
function groupHelp(group: string): string {
  const specs = COMMANDS.filter(
    (c) => c.name.startsWith(`${group} `) || c.aliases?.some((a) => a.startsWith(`${group} `)),
  );
  const names = specs.map(
    (c) =>
      [
        c.name.startsWith(`${group} `)
          ? c.name
          : (c.aliases?.find((a) => a.startsWith(`${group} `)) as string),
        c.summary,
      ] as const,
  );
  const width = Math.max(...names.map(([n]) => n.length - group.length - 1));
  return [
    "",
    `Usage:  strata ${group} COMMAND`,
    "",
    "Commands:",
    ...names.map(([n, s]) => `  ${n.slice(group.length + 1).padEnd(width)}  ${s}`),
    "",
    `Run 'strata ${group} COMMAND --help' for more information on a command.`,
    "",
  ].join("\n");
}

/** Says what went wrong on stderr, in one or two lines and no stack; returns the exit code. */
export function reportFailure(name: string, e: unknown, err: (s: string) => void): number {
  if (e instanceof UsageError) {
    err(`strata ${name}: ${e.message}\nSee 'strata ${name} --help'\n`);
    return EXIT.refused;
  }
  if (e instanceof FlagError) {
    err(`${e.message}\nSee 'strata ${name} --help'\n`);
    return EXIT.usage;
  }
  if (e instanceof ExitStatus) {
    if (e.message !== "") err(`${e.message}\n`);
    return e.code;
  }
  if (e instanceof DaemonError) {
    err(`Error response from daemon: ${e.message}\n`);
    return EXIT.refused;
  }
  if (e instanceof CommandError) {
    err(`${e.message}\n`);
    return EXIT.refused;
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
    return "\nGive the log with --log DIR or --log postgres://… (or $STRATA_LOG); a command that writes starts a new log.";
  return "";
}
