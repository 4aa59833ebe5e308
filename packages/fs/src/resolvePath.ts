/**
 * Path resolution in the union, as the kernel's namei walks a path: relative paths start at `/`,
 * `.` and `..` are applied as they are met (`..` of a directory reached through a symlink is that
 * directory's real parent, `..` at `/` stays at `/`), symlinks are followed inside the container root
 * (an absolute target restarts at the container's root, never the host's), more than 40 is ELOOP.
 *
 * The last component is what each system call decides about (see {@link LastMode}); a trailing `/`
 * (on the path, or on the target of a final symlink) means "a directory". The walk costs O(length of
 * the path and of the targets it follows): each component is looked up once, nothing is copied per step.
 */
import { FsError } from "./FsError.js";
import { childPair, type Overlay, type Pair, rootPair, shown } from "./Overlay.js";
import { checkPathArg, nameTooLong } from "./pathLimits.js";

/** At most this many symlinks are followed in one walk (Linux's MAXSYMLINKS). */
export const MAX_SYMLINK_FOLLOWS = 40;

/** What the last component was: a name, `.`, `..`, or nothing (the path is `/`). */
export type LastType = "norm" | "dot" | "dotdot" | "root";

/**
 * How the last component is treated:
 * - `follow`: a walk that follows a final symlink (stat, open, truncate, chmod, chown, utimes);
 * - `nofollow`: a walk that does not (lstat, lchown, lutimes, link's old name); a trailing `/` still
 *   follows it and requires a directory, as in the kernel;
 * - `create`: the parent walk of a call that makes or removes a name (mkdir, symlink, link's new name,
 *   unlink, rmdir, rename): the last component is never followed; a trailing `/` is only reported.
 * In `follow` and `nofollow`, a trailing `/` on anything but a directory is ENOTDIR.
 */
export type LastMode = "follow" | "nofollow" | "create";

/** A resolved path. */
export interface Resolved {
  /** Canonical components of what the path names (no symlink, `.` or `..` left in them). */
  readonly comps: readonly string[];
  /** Its entry, or undefined when the last component does not exist (its parent does). */
  readonly pair: Pair | undefined;
  /** The directory holding the last component (`last` is `norm` only). */
  readonly parent: Pair | undefined;
  readonly last: LastType;
  /** The last component was followed by `/`. */
  readonly trailingSlash: boolean;
  /**
   * `create` mode: the last name is over 255 bytes. The kernel finds that out when it looks the name
   * up, after the parent walk, so the caller throws ENAMETOOLONG where that lookup happens (see
   * {@link lookUpLast}).
   */
  readonly tooLong?: true;
}

/** The lookup of the last component of a `create`-mode walk: ENAMETOOLONG for a name over 255 bytes. */
export function lookUpLast(r: Resolved, op: string, path: string): Resolved {
  if (r.tooLong) throw new FsError("ENAMETOOLONG", op, path, "a name has at most 255 bytes");
  return r;
}

/**
 * Resolves `path` inside the container root. A missing last component is not an error (`pair` is
 * undefined); a missing parent is ENOENT, a non-directory parent ENOTDIR, a name over 255 bytes
 * ENAMETOOLONG, a path of 4096 bytes or more ENAMETOOLONG, a lone surrogate or NUL EINVAL.
 * `creat` (open with O_CREAT): a trailing `/` on the last component is EISDIR, before any lookup.
 */
export function resolve(
  ov: Overlay,
  path: string,
  mode: LastMode,
  op: string,
  options: { readonly creat?: boolean } = {},
): Resolved {
  checkPathArg(path, op);
  if (path === "") throw new FsError("ENOENT", op, path, "an empty path");
  const dirs: Pair[] = [rootPair(ov)];
  const names: string[] = [];
  // Components still to walk, as a stack (the next one last), with "followed by a trailing /".
  const pending: string[] = [];
  const slashes: boolean[] = [];
  const push = (s: string, inheritSlash: boolean) => {
    const parts = s.split("/").filter((p) => p !== "");
    const trailing = s.endsWith("/") || inheritSlash;
    for (let i = parts.length - 1; i >= 0; i--) {
      pending.push(parts[i] as string);
      slashes.push(i === parts.length - 1 && trailing);
    }
  };
  push(path, false);
  let follows = 0;
  let lastType: LastType = "root";
  let trailing = false;
  const here = () => (names.length === 0 ? "" : `/${names.join("/")}`);
  while (pending.length > 0) {
    const name = pending.pop() as string;
    const slash = slashes.pop() as boolean;
    const last = pending.length === 0;
    const cur = dirs[dirs.length - 1] as Pair;
    if (name === "." || name === "..") {
      if (name === ".." && names.length > 0) {
        names.pop();
        dirs.pop();
      }
      if (last) {
        lastType = name === "." ? "dot" : "dotdot";
        trailing = slash;
      }
      continue;
    }
    if (last && slash && options.creat)
      throw new FsError("EISDIR", op, path, "O_CREAT of a name with a trailing /");
    if (nameTooLong(name)) {
      if (last && mode === "create")
        return {
          comps: [...names, name],
          pair: undefined,
          parent: cur,
          last: "norm",
          trailingSlash: slash,
          tooLong: true,
        };
      throw new FsError("ENAMETOOLONG", op, path, "a name has at most 255 bytes");
    }
    const next = childPair(cur, name);
    if (next === undefined) {
      if (last)
        return { comps: [...names, name], pair: undefined, parent: cur, last: "norm", trailingSlash: slash };
      throw new FsError("ENOENT", op, path, `${here()}/${name} does not exist`);
    }
    const node = shown(next);
    if (node.kind === "symlink" && (!last || mode === "follow" || (mode === "nofollow" && slash))) {
      follows += 1;
      if (follows > MAX_SYMLINK_FOLLOWS) throw new FsError("ELOOP", op, path);
      if (node.target.startsWith("/")) {
        dirs.length = 1;
        names.length = 0;
      }
      push(node.target, last && slash);
      if (last) {
        lastType = "root";
        trailing = last && slash;
      }
      continue;
    }
    if (node.kind !== "dir" && (!last || (slash && mode !== "create")))
      throw new FsError("ENOTDIR", op, path, `${here()}/${name} is not a directory`);
    if (last) return { comps: [...names, name], pair: next, parent: cur, last: "norm", trailingSlash: slash };
    names.push(name);
    dirs.push(next);
  }
  return {
    comps: names,
    pair: dirs[dirs.length - 1] as Pair,
    parent: undefined,
    last: lastType,
    trailingSlash: trailing,
  };
}
