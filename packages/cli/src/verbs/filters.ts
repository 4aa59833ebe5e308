/**
 * `--filter key=value` flags as docker/cli sends them: `filters={"key":{"value":true}}` (the map form
 * dockerd reads); `undefined` when there are none. A filter without `=` is docker's error.
 */
import { CommandError } from "../CommandSpec.js";

export function filtersQuery(filters: readonly string[]): string | undefined {
  if (filters.length === 0) return undefined;
  const map: Record<string, Record<string, boolean>> = {};
  for (const f of filters) {
    const eq = f.indexOf("=");
    if (eq < 0) throw new CommandError(`bad format of filter (expected name=value)`);
    const key = f.slice(0, eq).trim().toLowerCase();
    const value = f.slice(eq + 1).trim();
    map[key] = { ...map[key], [value]: true };
  }
  return JSON.stringify(map);
}
