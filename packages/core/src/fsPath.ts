/**
 * Lexical normalisation of paths inside a container: absolute, `.` and empty components dropped,
 * `..` applied, and clamped at the root (as `cd ..` at `/` stays at `/`), so no path names anything
 * outside the container. Symlinks are resolved later, by the fs package, also inside the root.
 */

/**
 * The canonical form of `path` inside a container root.
 *
 * @example
 * normalizeFsPath("etc//nginx/./conf.d/../nginx.conf") // "/etc/nginx/nginx.conf"
 * normalizeFsPath("/../../etc/passwd") // "/etc/passwd"
 */
export function normalizeFsPath(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

/**
 * The components of a canonical path (`/` has none): `canonical.slice(1).split("/")`, found with
 * `indexOf` (a replay splits every path it meets, and `split` goes to the runtime for each new string).
 *
 * @example
 * pathComponents("/etc/nginx/nginx.conf") // ["etc", "nginx", "nginx.conf"]
 */
export function pathComponents(canonical: string): string[] {
  if (canonical === "/") return [];
  const out: string[] = [];
  let from = 1;
  for (let at = canonical.indexOf("/", from); at >= 0; at = canonical.indexOf("/", from)) {
    out.push(canonical.slice(from, at));
    from = at + 1;
  }
  out.push(canonical.slice(from));
  return out;
}

/** The parent of a canonical path (`/` is its own parent). */
export function parentPath(canonical: string): string {
  const i = canonical.lastIndexOf("/");
  return i <= 0 ? "/" : canonical.slice(0, i);
}

/** The last component of a canonical path (`""` for `/`). */
export function baseName(canonical: string): string {
  return canonical.slice(canonical.lastIndexOf("/") + 1);
}

/** `child` joined under the canonical directory `dir`. */
export function joinPath(dir: string, child: string): string {
  return dir === "/" ? `/${child}` : `${dir}/${child}`;
}
