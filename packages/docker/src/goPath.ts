/**
 * Go's `path/filepath` on Linux (`Clean`, `Join`, `Base`, `Dir`, `Split`) and moby go-archive's path
 * helpers (`PreserveTrailingDotOrSeparator`, `SplitPathDirEntry`), so `docker cp` paths are read exactly
 * as dockerd reads them: `path/.` copies a directory's contents, a trailing `/` asserts a directory, a
 * relative path starts at `/`. Lexical only: nothing here looks at a filesystem.
 */

/** filepath.Clean: the shortest lexically equal path (`.` for an empty one). */
export function goClean(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** filepath.Join: the non-empty elements joined by `/`, then cleaned (`""` when all are empty). */
export function goJoin(...elements: string[]): string {
  const parts = elements.filter((e) => e !== "");
  return parts.length === 0 ? "" : goClean(parts.join("/"));
}

/** filepath.Base: the last element, trailing slashes removed; `.` for empty, `/` for all slashes. */
export function goBase(path: string): string {
  if (path === "") return ".";
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** filepath.Split: everything up to and including the last `/`, and the rest. */
export function goSplit(path: string): [dir: string, file: string] {
  const i = path.lastIndexOf("/");
  return [path.slice(0, i + 1), path.slice(i + 1)];
}

/** filepath.Dir: all but the last element, cleaned. */
export function goDir(path: string): string {
  const [dir] = goSplit(path);
  return goClean(dir);
}

const specifiesCurrentDir = (path: string) => goBase(path) === ".";
const hasTrailingSeparator = (path: string) => path.endsWith("/");

/**
 * go-archive `PreserveTrailingDotOrSeparator`: puts back on a cleaned path the `/.` or `/` that the user's
 * path ended with (cleaning drops them, and they mean "the contents of" and "a directory").
 */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  let out = cleaned;
  if (!specifiesCurrentDir(out) && specifiesCurrentDir(original)) {
    if (!hasTrailingSeparator(out)) out += "/";
    out += ".";
  }
  if (!hasTrailingSeparator(out) && hasTrailingSeparator(original)) out += "/";
  return out;
}

/** go-archive `SplitPathDirEntry`: the directory and the last entry, keeping a final `.`. */
export function splitPathDirEntry(path: string): [dir: string, base: string] {
  let cleaned = goClean(path);
  if (specifiesCurrentDir(path)) cleaned += "/.";
  return [goDir(cleaned), goBase(cleaned)];
}

/** Go's `%q` of a string, as dockerd's messages quote paths (JSON's escapes, close enough for text). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
