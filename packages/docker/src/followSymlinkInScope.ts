/**
 * moby/sys/symlink `FollowSymlinkInScope(path, "/")` over a union view: every symlink on the path is
 * followed inside the container root (an absolute target restarts at the root, `..` stops there), a
 * missing component is kept as written, and the result is a clean absolute path. dockerd uses it for
 * the `linkTarget` of a symlink in `X-Docker-Container-Path-Stat`, so `docker cp -L` and a copy onto a
 * symlink go where the link points. More than 255 links is moby's "too many links" error.
 */
import { FsError, type UnionView } from "@strata/fs";
import { goClean } from "./goPath.js";
import { DockerApiError } from "./shapes/errors.js";

const MAX_ITERATIONS = 255;

/**
 * The path `path` names once its symlinks are followed, inside the container root.
 *
 * @example
 * followSymlinkInScope(view, "/etc/localtime"); // "/usr/share/zoneinfo/UTC"
 */
export function followSymlinkInScope(view: UnionView, path: string): string {
  let rest = goClean(`/${path}`);
  let resolved = "";
  for (let n = 0; rest !== ""; n++) {
    if (n > MAX_ITERATIONS) throw new DockerApiError(500, `evalSymlinksInScope: too many links in ${path}`);
    const i = rest.indexOf("/");
    const part = i === -1 ? rest : rest.slice(0, i);
    rest = i === -1 ? "" : rest.slice(i + 1);
    if (part === "") continue;
    const clean = goClean(`/${resolved}${part}`);
    if (clean === "/") {
      resolved = "";
      continue;
    }
    let stat: ReturnType<UnionView["stat"]> | undefined;
    try {
      stat = view.stat(clean, { follow: false });
    } catch (e) {
      if (!(e instanceof FsError) || e.errno !== "ENOENT") throw e;
    }
    if (stat === undefined || stat.type !== "symlink") {
      resolved += `${part}/`;
      continue;
    }
    const target = stat.target ?? "";
    if (target.startsWith("/")) resolved = "";
    rest = `${target}/${rest}`;
  }
  return goClean(`/${resolved}`);
}
