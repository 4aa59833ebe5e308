/**
 * A tar entry's name → the canonical path it lands at, or why it is refused: a leading `/` and any
 * `./` are dropped (as moby and containerd do, and as `tar -C dir -cf x.tar .` writes every name);
 * `.` and `./` (the root itself) are `skip` (a directory entry there gives the root its metadata:
 * readLayerTar.ts); a name that is empty, holds a NUL, or leaves the root
 * through `..` is refused.
 */
import { normalizeFsPath } from "@strata/core";

export function entryPath(name: string): { path: string } | { skip: true } | { error: string } {
  if (name === "") return { error: "the name is empty" };
  if (name.includes("\0")) return { error: "the name holds a NUL byte" };
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return { error: "the name leaves the root (..)" };
      parts.pop();
    } else parts.push(part);
  }
  if (parts.length === 0) return { skip: true };
  return { path: normalizeFsPath(`/${parts.join("/")}`) };
}
