/**
 * The union directory at `comps`, or the errno a system call gives when it is not one: ENOENT when
 * nothing is there, ENOTDIR when something else is. Every rule that names a parent checks it first.
 */
import { FsError } from "../FsError.js";
import { lookupPair, type Overlay, type Pair, shown } from "../Overlay.js";

export function requireDirAt(ov: Overlay, comps: readonly string[], op: string, path: string): Pair {
  const pair = lookupPair(ov, comps);
  if (pair === undefined) throw new FsError("ENOENT", op, path);
  if (shown(pair).kind !== "dir") throw new FsError("ENOTDIR", op, path);
  return pair;
}
