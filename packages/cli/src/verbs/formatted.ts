/**
 * How the Docker read verbs print: through the formatters of `../format` (docker's own templates and
 * contexts), stdout as docker writes it, warnings and errors on stderr, and a bad `--format` ending the
 * command with docker's status (1, or 64 for `inspect` and `events`) and its message.
 */
import { FlagError } from "../args.js";
import type { Context } from "../CommandSpec.js";
import { FormatError } from "../format/FormatError.js";

/** What a formatter answers. */
export interface Printed {
  readonly stdout: string;
  readonly stderr?: string;
  readonly exitCode?: number;
}

/** Writes what `produce` formats and answers the exit code; a `FormatError` is printed as docker does. */
export async function printFormatted(
  ctx: Context,
  produce: () => Promise<Printed> | Printed,
): Promise<number> {
  let printed: Printed;
  try {
    printed = await produce();
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    ctx.out.error(e.stderr.replace(/\n$/, ""));
    return e.exitCode;
  }
  ctx.out.text(printed.stdout);
  if (printed.stderr) ctx.out.error(printed.stderr.replace(/\n$/, ""));
  return printed.exitCode ?? 0;
}

/** The Docker API path, now or (Strata's time travel) as it answered right after event `at`. */
export function atPath(at: number | undefined, path: string): string {
  return at === undefined ? path : `/strata/at/${at}${path}`;
}

/** Strata's `--at SEQ` flag of the list verbs: the whole number, or undefined (now). */
export function atFlag(ctx: Context): number | undefined {
  const v = ctx.flags.get("at");
  if (typeof v !== "string") return undefined;
  if (!/^\d+$/.test(v))
    throw new FlagError(`invalid argument "${v}" for "--at" flag: a seq is a whole number`);
  return Number(v);
}

/** The flags every formatted list verb shares. */
export const FORMAT_FLAG = {
  type: "string",
  help: "Format output using a custom template: 'table', 'table TEMPLATE', 'json', or a Go template",
  valueName: "string",
} as const;
