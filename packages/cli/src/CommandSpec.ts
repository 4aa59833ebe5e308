/**
 * What a `strata` command is: its usage, summary and flags (which `--help` prints), and its handler,
 * given a `Context` (arguments, output, the log's location and a way to open the engine on it).
 */
import type { DurableEngine } from "@strata/engine";
import type { FlagSpecs } from "./args.js";
import type { Output } from "./output.js";
import type { ProgressBar } from "./ProgressBar.js";

export interface Context {
  readonly args: readonly string[];
  readonly flags: ReadonlyMap<string, string | true>;
  readonly out: Output;
  /** Where the log is: the `--log` directory or `postgres://…` URL. */
  readonly location: string;
  /**
   * Opens the engine on the log (once): at `location`, or at `override` when given; read-only (nothing
   * created, nothing written) for a `readOnly` command.
   */
  readonly engine: (override?: string) => Promise<DurableEngine>;
  /** A progress bar on stderr (draws nothing unless stderr is a TTY). */
  readonly progress: ProgressBar;
}

/** One command of `strata`. */
export interface CommandSpec {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  /** The command's own flags (beside the global --log, --format, --help). */
  readonly flags?: FlagSpecs;
  /** The values --format takes (default: json). */
  readonly formats?: readonly string[];
  /** Only reads the log: opened without the writer's lock, so it runs beside a writer. */
  readonly readOnly?: boolean;
  readonly run: (ctx: Context) => Promise<number>;
}

/** An error met while opening the log: the command ends with exit 3. */
export class OpenFailure extends Error {
  readonly reason: unknown;
  constructor(reason: unknown) {
    super((reason as Error)?.message ?? String(reason));
    this.reason = reason;
  }
}
