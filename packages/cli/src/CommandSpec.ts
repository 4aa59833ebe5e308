/**
 * What a `strata` command is: its usage, summary, arguments and flags (which `--help` prints and the
 * parser enforces), and its handler, given a `Context`: the arguments, the output, the log's location,
 * the engine on it, and a Docker API client (the daemon embedded in this process, or `--host`).
 */
import type { Readable } from "node:stream";
import type { DurableEngine } from "@strata/engine";
import type { FlagSpecs } from "./args.js";
import type { DockerClient } from "./client/DockerClient.js";
import type { Output } from "./output.js";
import type { ProgressBar } from "./ProgressBar.js";

export interface Context {
  /** The command as typed (`stop`, `container prune`), for messages. */
  readonly name: string;
  readonly args: readonly string[];
  /** Each flag given: its last value, or `true` for a switch. */
  readonly flags: ReadonlyMap<string, string | true>;
  /** All values of a list flag (`-e A -e B`), in order; [] when not given. */
  list(name: string): string[];
  readonly out: Output;
  /** Standard input (`load`, `cp -`, `apply -`). */
  readonly stdin: Readable;
  /** Whether standard output is a terminal (`save` refuses to write a tar to one). */
  readonly stdoutIsTty: boolean;
  /** Where the log is: the `--log` directory or `postgres://…` URL. */
  readonly location: string;
  /**
   * Opens the engine on the log (once): at `location`, or at `override` when given; read-only (nothing
   * created, nothing written) for a `readOnly` command.
   */
  readonly engine: (override?: string) => Promise<DurableEngine>;
  /**
   * The Docker API: a `strata serve` named by `--host` (or `STRATA_HOST`), else the daemon embedded in
   * this process over the engine on `location` (opened once).
   */
  readonly docker: () => Promise<DockerClient>;
  /** A progress bar on stderr (draws nothing unless stderr is a TTY). */
  readonly progress: ProgressBar;
}

/** How many arguments a command takes (checked before it runs, with docker's messages). */
export interface ArgCount {
  readonly min?: number;
  readonly max?: number;
}

/** One command of `strata`. */
export interface CommandSpec {
  /** The command's path after `strata`: `stop`, `container prune`, `log verify`. */
  readonly name: string;
  /** Other paths to it (`container stop` for `stop`). */
  readonly aliases?: readonly string[];
  /** `strata stop [OPTIONS] CONTAINER [CONTAINER...]`. */
  readonly usage: string;
  readonly summary: string;
  /** Where `strata --help` lists it. */
  readonly group: "common" | "containers" | "images" | "log" | "strata";
  readonly args?: ArgCount;
  /** The command's own flags (beside the global --log, --host, --help). */
  readonly flags?: FlagSpecs;
  /** Flags stop at the first argument (the image of `create`, `run`; the container of `exec`). */
  readonly interspersed?: boolean;
  /**
   * Only reads the log: opened read-only (without the writer's lock, so it runs beside a writer;
   * nothing created or written; a missing log is exit 3). A function of the arguments when that depends
   * on them (`cp` out of a container reads, into one writes).
   */
  readonly readOnly?: boolean | ((args: readonly string[]) => boolean);
  /**
   * Never starts a log: a missing one is exit 3, as for a read-only command, though the command writes
   * to a log that is there (`wait` fires the timers due while it waits).
   */
  readonly needsLog?: boolean;
  /** Runs the engine's timers in real time while it runs (`stop -t`, `restart`, `wait`, `run`). */
  readonly timers?: boolean;
  readonly run: (ctx: Context) => Promise<number>;
}

/** Whether `spec`, given `args`, only reads the log. */
export function readsOnly(spec: CommandSpec, args: readonly string[]): boolean {
  return typeof spec.readOnly === "function" ? spec.readOnly(args) : spec.readOnly === true;
}

/** An error met while opening the log: the command ends with exit 3. */
export class OpenFailure extends Error {
  readonly reason: unknown;
  constructor(reason: unknown) {
    super((reason as Error)?.message ?? String(reason));
    this.reason = reason;
  }
}

/** The command ends with this exit code, having said why (`wait` and `run` end with the container's). */
export class ExitStatus extends Error {
  readonly code: number;
  constructor(code: number, message = "") {
    super(message);
    this.code = code;
  }
}

/** The command failed for a reason it states itself (as docker's client-side errors): exit code 1. */
export class CommandError extends Error {}
