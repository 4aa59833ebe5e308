/**
 * Argument parsing for `strata`: positional arguments and `--flag value` / `--flag=value` / boolean
 * flags; `-a` style short flags map to long names per command.
 */
export interface ParsedArgs {
  readonly positional: string[];
  readonly flags: Map<string, string | true>;
}

export class UsageError extends Error {}

export function parseArgs(
  argv: readonly string[],
  booleans: ReadonlySet<string>,
  short: Readonly<Record<string, string>> = {},
): ParsedArgs {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) flags.set(name, a.slice(eq + 1));
      else if (booleans.has(name)) flags.set(name, true);
      else {
        const value = argv[i + 1];
        if (value === undefined) throw new UsageError(`flag --${name} needs a value`);
        flags.set(name, value);
        i++;
      }
    } else if (a === "-o") {
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError("flag -o needs a file");
      flags.set("o", value);
      i++;
    } else if (a.startsWith("-") && a.length > 1) {
      const name = short[a.slice(1)];
      if (!name) throw new UsageError(`unknown flag ${a}`);
      flags.set(name, true);
    } else positional.push(a);
  }
  return { positional, flags };
}
