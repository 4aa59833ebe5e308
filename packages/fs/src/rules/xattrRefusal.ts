/**
 * Why an xattr may not be set on (or removed from) this kind of entry: user.* lives only on files and
 * directories (EPERM), and overlayfs's own trusted.overlay.* is never set through the union (ENOTSUP).
 */
import type { FsNode } from "../FsNode.js";

export function xattrRefusal(kind: FsNode["kind"], name: string): "EPERM" | "ENOTSUP" | undefined {
  if (name.startsWith("user.") && kind !== "file" && kind !== "dir") return "EPERM";
  if (name.startsWith("trusted.overlay.")) return "ENOTSUP";
  return undefined;
}
