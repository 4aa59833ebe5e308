/**
 * `--filter key=value` flags as docker/cli sends them: `filters={"key":{"value":true}}` (the map form
 * dockerd reads); `undefined` when there are none. A filter without `=` is docker's error (the parser
 * refuses it first, for a flag whose value is a `filter`); an empty one is left out, as docker does.
 */
import { CommandError } from "../CommandSpec.js";
import { goTrimSpace } from "./eachContainer.js";

export function filtersQuery(filters: readonly string[]): string | undefined {
  const map: Record<string, Record<string, boolean>> = {};
  for (const f of filters) {
    if (f === "") continue; // docker's FilterOpt ignores an empty one
    const eq = f.indexOf("=");
    if (eq < 0) throw new CommandError(`bad format of filter (expected name=value)`);
    const key = goTrimSpace(f.slice(0, eq)).toLowerCase();
    const value = goTrimSpace(f.slice(eq + 1));
    map[key] = { ...map[key], [value]: true };
  }
  return Object.keys(map).length === 0 ? undefined : JSON.stringify(map);
}
