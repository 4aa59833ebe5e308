/**
 * Argument parsing for `strata`: strict. Each command declares its flags (a value or a switch, an
 * optional one-letter short form, the values it takes); an unknown flag, a missing value or a value not
 * in the list is a usage error naming it — never silently ignored, never taking the next flag as its
 * value. Built on node:util's parseArgs.
 */
import { parseArgs as parseNodeArgs } from "node:util";

export interface FlagSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** The values a string flag takes (any, if absent). */
  readonly values?: readonly string[];
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
}

export class UsageError extends Error {}

export function parseArgs(argv: readonly string[], specs: FlagSpecs): ParsedArgs {
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({
      args: [...argv],
      options: Object.fromEntries(
        Object.entries(specs).map(([name, s]) => [
          name,
          s.short ? { type: s.type, short: s.short } : { type: s.type },
        ]),
      ),
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError(usageMessage(e as Error & { code?: string }));
  }
  const flags = new Map<string, string | true>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === undefined || value === false) continue;
    const v = Array.isArray(value) ? value.at(-1) : value;
    const spec = specs[name] as FlagSpec;
    if (typeof v === "string" && spec.values && !spec.values.includes(v))
      throw new UsageError(`invalid value "${v}" for flag --${name}: use ${spec.values.join(" or ")}`);
    flags.set(name, v === true ? true : String(v));
  }
  return { positional: parsed.positionals, flags };
}

/** parseArgs' error, said shortly: which flag, and what is wrong with it. */
function usageMessage(e: Error & { code?: string }): string {
  const flag = /'(-[^' ]*)/.exec(e.message)?.[1] ?? "";
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag: ${flag}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /argument missing|ambiguous/.test(e.message)
        ? `flag ${flag} needs a value`
        : `flag ${flag} takes no value`;
    default:
      return e.message;
  }
}
