/**
 * Argument parsing for `strata`, strict as docker's (cobra and pflag): each command declares its flags
 * (a value, a switch or a list; an optional one-letter short form; the values it takes); an unknown
 * flag, a missing value or a value not in the list is a `FlagError` (exit 125, as docker), never
 * silently ignored and never taking the next flag as its value. Commands that run a program (`create`,
 * `run`, `exec`) stop reading flags at their first argument, so `strata run IMAGE ls -la` gives `-la` to
 * `ls`. Built on node:util's parseArgs.
 */
import { parseArgs as parseNodeArgs } from "node:util";

export interface FlagSpec {
  /** `string`: takes a value; `boolean`: a switch; `list`: a value, repeatable (`-e A -e B`). */
  readonly type: "string" | "boolean" | "list";
  readonly short?: string;
  /** The values a string flag takes (any, if absent). */
  readonly values?: readonly string[];
  /** What `--help` says of it; the value's kind in the help line (`string`, `int`, `list`…). */
  readonly help?: string;
  readonly valueName?: string;
  /** Hidden from `--help` (an alias kept for compatibility). */
  readonly hidden?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface ParsedArgs {
  readonly positional: string[];
  /** Each flag given: its last value (or `true` for a switch). */
  readonly flags: Map<string, string | true>;
  /** Each list flag given: all its values, in order. */
  readonly lists: Map<string, string[]>;
}

/** A flag that is unknown, lacks its value or has a wrong one: docker's exit code 125. */
export class FlagError extends Error {}

/** The wrong number of arguments, or an argument that cannot be used: exit code 1, as docker. */
export class UsageError extends Error {}

export function parseArgs(
  argv: readonly string[],
  specs: FlagSpecs,
  options: { interspersed?: boolean } = {},
): ParsedArgs {
  const [head, tail] = options.interspersed === false ? splitAtProgram(argv, specs) : [argv, []];
  const negated = new Set<string>();
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({
      args: joinValues(explicitSwitches(head, specs, negated), specs),
      options: Object.fromEntries(
        Object.entries(specs).map(([name, s]) => [
          name,
          {
            type: s.type === "boolean" ? "boolean" : "string",
            ...(s.short ? { short: s.short } : {}),
            ...(s.type === "list" ? { multiple: true } : {}),
          },
        ]),
      ),
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new FlagError(flagMessage(e as Error & { code?: string }));
  }
  const flags = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === undefined || value === false) continue;
    const spec = specs[name] as FlagSpec;
    const values = (Array.isArray(value) ? value : [value]).map((v) => (v === true ? true : String(v)));
    for (const v of values)
      if (typeof v === "string" && spec.values && !spec.values.includes(v))
        throw new FlagError(`invalid argument "${v}" for "--${name}" flag: use ${spec.values.join(" or ")}`);
    const last = values.at(-1) as string | true;
    flags.set(name, last);
    if (spec.type === "list") lists.set(name, values as string[]);
  }
  for (const name of negated) if (!flags.has(name)) flags.set(name, "false");
  return { positional: [...parsed.positionals, ...tail], flags, lists };
}

/**
 * pflag's switches with a value: `--all=true` is `--all`; `--all=false` and `-H=false` are the switch
 * turned off (set to the text "false" in the flags, so `=== true` reads it as off).
 */
function explicitSwitches(argv: readonly string[], specs: FlagSpecs, negated: Set<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^(?:--([^=]+)|-([^-=]))=(true|false|1|0)$/i.exec(token);
    const name =
      m?.[1] ?? Object.entries(specs).find(([, s]) => m?.[2] !== undefined && s.short === m[2])?.[0];
    if (m && name && specs[name]?.type === "boolean") {
      if (/^(true|1)$/i.test(m[3] as string)) out.push(`--${name}`);
      else negated.add(name);
      continue;
    }
    out.push(token);
  }
  return out;
}

/**
 * As pflag reads them, a flag that takes a value takes the next argument whatever it looks like
 * (`--at -3`, `--filter --all`): joined here as `--name=value` so node's parser agrees.
 */
function joinValues(argv: readonly string[], specs: FlagSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (next !== undefined && token.startsWith("--") && !token.includes("=")) {
      const spec = specs[token.slice(2)];
      if (spec && spec.type !== "boolean") {
        out.push(`${token}=${next}`);
        i++;
        continue;
      }
    }
    if (next !== undefined && /^-[^-]$/.test(token)) {
      const name = Object.entries(specs).find(([, s]) => s.short === token[1]);
      if (name && name[1].type !== "boolean") {
        out.push(`--${name[0]}=${next}`);
        i++;
        continue;
      }
    }
    out.push(token);
  }
  return out;
}

/**
 * Splits `argv` where the program begins: at the first argument that is not a flag or a flag's value
 * (or after `--`). What follows belongs to the program, flags included.
 */
function splitAtProgram(argv: readonly string[], specs: FlagSpecs): [string[], string[]] {
  const takesValue = (token: string): boolean => {
    if (token.includes("=")) return false;
    if (token.startsWith("--")) {
      const spec = specs[token.slice(2)];
      return spec !== undefined && spec.type !== "boolean";
    }
    // -abc: the last letter may take the rest, or the next argument.
    const letters = token.slice(1);
    for (let i = 0; i < letters.length; i++) {
      const spec = Object.values(specs).find((s) => s.short === letters[i]);
      if (spec && spec.type !== "boolean") return i === letters.length - 1;
    }
    return false;
  };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") return [argv.slice(0, i), argv.slice(i + 1)];
    if (token === "-" || !token.startsWith("-")) return [argv.slice(0, i + 1), argv.slice(i + 1)];
    if (takesValue(token)) i++;
  }
  return [[...argv], []];
}

/** parseArgs' error, in pflag's words. */
function flagMessage(e: Error & { code?: string }): string {
  const flag = /'(-[^' ]*)/.exec(e.message)?.[1] ?? "";
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return flag.startsWith("--")
        ? `unknown flag: ${flag}`
        : `unknown shorthand flag: '${flag.slice(1, 2)}' in ${flag}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /argument missing|ambiguous/.test(e.message)
        ? `flag needs an argument: ${flag.startsWith("--") ? flag : `'${flag.slice(1, 2)}' in ${flag}`}`
        : `flag ${flag} takes no value`;
    default:
      return e.message;
  }
}
