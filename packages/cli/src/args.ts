/**
 * Argument parsing for `strata`, strict as docker's (cobra and pflag): each command declares its flags
 * (a value, a switch or a list; an optional one-letter short form; the values it takes); an unknown
 * flag, a missing value, an `int` or `duration` that Go would not parse, or a value not in the list is
 * a `FlagError` with pflag's message (exit 125, as docker), never silently ignored; the first problem
 * in the order typed is the one named. Commands that run a program (`create`,
 * `run`, `exec`) stop reading flags at their first argument, so `strata run IMAGE ls -la` gives `-la` to
 * `ls`. Built on node:util's parseArgs.
 */
import { parseArgs as parseNodeArgs } from "node:util";
import { parseGoBool, parseGoDuration, parseGoInt64 } from "./flagValue.js";
import { goQuoteText } from "./format/goQuote.js";

export interface FlagSpec {
  /** `string`: takes a value; `boolean`: a switch; `list`: a value, repeatable (`-e A -e B`). */
  readonly type: "string" | "boolean" | "list";
  readonly short?: string;
  /** The values a string flag takes (any, if absent). */
  readonly values?: readonly string[];
  /** What `--help` says of it. */
  readonly help?: string;
  /**
   * The value's kind in the help line (`string`, `int`, `list`…); an `int` (Go's strconv.ParseInt, base
   * 0, 64 bits), a `duration` (time.ParseDuration) and a `filter` (`name=value`) are checked as pflag
   * checks them.
   */
  readonly valueName?: string;
  /** Hidden from `--help` (an alias kept for compatibility). */
  readonly hidden?: boolean;
  /** Deprecated: using it prints pflag's warning (`Flag --time has been deprecated, <this>`). */
  readonly deprecated?: string;
  /** Its short form is deprecated (`-h`): using it prints `Flag shorthand -h has been deprecated, <this>`. */
  readonly shortDeprecated?: string;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface ParsedArgs {
  readonly positional: string[];
  /** Each flag given: its last value (or `true` for a switch). */
  readonly flags: Map<string, string | true>;
  /** Each list flag given: all its values, in order. */
  readonly lists: Map<string, string[]>;
  /** pflag's warnings for deprecated flags used, in order (docker prints them on stdout before running). */
  readonly warnings: string[];
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
  const args = joinValues(shortWithValue(head, specs), specs);
  // Not strict: the tokens are checked here, in argv order, so the first problem is the one pflag names.
  const { tokens, positionals } = parseNodeArgs({
    args,
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
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const flags = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  const warnings: string[] = [];
  let group = { index: -1, at: 0 };
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    const short = !token.rawName.startsWith("--");
    // pflag names a short flag with the rest of its group: `-az` → 'z' in -z.
    group =
      group.index === token.index ? { index: token.index, at: group.at + 1 } : { index: token.index, at: 1 };
    const typed = `-${(args[token.index] as string).slice(group.at)}`;
    const spec = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined;
    if (!spec)
      throw new FlagError(
        short
          ? `unknown shorthand flag: '${token.rawName.slice(1)}' in ${typed}`
          : `unknown flag: ${token.rawName}`,
      );
    const label = `${spec.short ? `-${spec.short}, ` : ""}--${token.name}`;
    if (spec.deprecated) warnings.push(`Flag --${token.name} has been deprecated, ${spec.deprecated}`);
    if (short && spec.shortDeprecated)
      warnings.push(`Flag shorthand -${spec.short} has been deprecated, ${spec.shortDeprecated}`);
    if (spec.type === "boolean") {
      const b = token.value === undefined ? ({ ok: true, value: true } as const) : parseGoBool(token.value);
      if (!b.ok)
        throw new FlagError(
          `invalid argument ${goQuoteText(token.value ?? "")} for ${goQuoteText(label)} flag: ${b.error}`,
        );
      flags.set(token.name, b.value ? true : "false");
      continue;
    }
    if (token.value === undefined)
      throw new FlagError(
        `flag needs an argument: ${short ? `'${token.rawName.slice(1)}' in ${typed}` : token.rawName}`,
      );
    const problem = valueProblem(spec, token.value);
    if (problem)
      throw new FlagError(
        `invalid argument ${goQuoteText(token.value)} for ${goQuoteText(label)} flag: ${problem}`,
      );
    flags.set(token.name, token.value);
    if (spec.type === "list") lists.set(token.name, [...(lists.get(token.name) ?? []), token.value]);
  }
  return { positional: [...positionals, ...tail], flags, lists, warnings };
}

/** What is wrong with a flag's value (as pflag's typed values say it), or null. */
function valueProblem(spec: FlagSpec, value: string): string | null {
  if (spec.valueName === "int") {
    const n = parseGoInt64(value);
    return n.ok ? null : n.error;
  }
  if (spec.valueName === "duration") {
    const d = parseGoDuration(value);
    return d.ok ? null : d.error;
  }
  // docker's FilterOpt: `name=value` (an empty one is ignored).
  if (spec.valueName === "filter" && value !== "" && !value.includes("="))
    return "bad format of filter (expected name=value)";
  if (spec.values && !spec.values.includes(value)) return `use ${spec.values.join(" or ")}`;
  return null;
}

/** An `int` flag's value (checked by the parser: Go's base-0 syntax, 64 bits), as the text sent on. */
export function intFlag(flags: ReadonlyMap<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  if (typeof v !== "string") return undefined;
  const n = parseGoInt64(v);
  return n.ok ? String(n.value) : undefined;
}

/** A `duration` flag's value in nanoseconds (checked by the parser), 0 when not given. */
export function durationFlag(flags: ReadonlyMap<string, string | true>, name: string): bigint {
  const v = flags.get(name);
  if (typeof v !== "string") return 0n;
  const d = parseGoDuration(v);
  return d.ok ? d.value : 0n;
}

/**
 * pflag's `-X=value` (`-a=false`, `-t=5`), which node's parser would read as a group of letters, as
 * `--name=value`. A switch given a value (`--all=false`) is read by `parseArgs`: off is the text
 * "false" in the flags, so `=== true` reads it as off.
 */
function shortWithValue(argv: readonly string[], specs: FlagSpecs): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    if (token === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const m = /^-([^-=])=(.*)$/s.exec(token);
    const name = m && Object.entries(specs).find(([, s]) => s.short === m[1])?.[0];
    out.push(m && name ? `--${name}=${m[2]}` : token);
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
