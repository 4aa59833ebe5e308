/**
 * A container's users and groups, read from its own `/etc/passwd` and `/etc/group` (moby/sys/user), for
 * the two places dockerd looks them up:
 *
 * - `docker cp -a` (`copyUIDGID`): the files it extracts are owned by the container's `Config.User`,
 *   `user[:group]` with each part a name or an id (moby daemon/archive_tarcopyoptions_unix.go
 *   `getUIDGID`); an id with no entry keeps group 0; an unknown name is a 400;
 * - `docker exec -u` (`ContainerExecCreate`): the user must exist before the exec is created
 *   (`GetExecUser`: a name with no entry, or an unknown group name, is a 400).
 */
import { FsError, type UnionView } from "@strata/fs";
import { DockerApiError } from "./shapes/errors.js";

interface Entry {
  readonly name: string;
  readonly id: number;
  /** passwd: the primary group. */
  readonly gid: number;
}

/** The entries of a passwd (`name:x:uid:gid:…`) or group (`name:x:gid:…`) file; null when it is missing. */
function readEntries(view: UnionView, path: string): Entry[] | null {
  let text: string;
  try {
    text = Buffer.from(view.readFile(path)).toString("utf8");
  } catch (e) {
    if (e instanceof FsError && e.errno === "ENOENT") return null;
    throw e;
  }
  const out: Entry[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(":");
    if (fields.length < 3 || fields[0] === "") continue;
    const id = Number(fields[2]);
    const gid = Number(fields[3] ?? "0");
    if (!Number.isInteger(id)) continue;
    out.push({ name: fields[0] as string, id, gid: Number.isInteger(gid) ? gid : 0 });
  }
  return out;
}

/** Go's `strconv.ParseUint(s, 10, 32)` within int32, or null. */
function numericId(s: string): number | null {
  if (!/^[0-9]+$/.test(s)) return null;
  const n = Number(s);
  return n <= 0x7fffffff ? n : null;
}

/**
 * The owner `docker cp -a` gives extracted files: `user` (`Config.User`) resolved in the container, or
 * null when the container has no user (the archive's own ids are kept).
 *
 * @example
 * copyOwner(view, "www-data"); // { uid: 33, gid: 33 }
 */
export function copyOwner(view: UnionView, user: string): { uid: number; gid: number } | null {
  if (user === "") return null;
  const colon = user.indexOf(":");
  const userPart = colon < 0 ? user : user.slice(0, colon);
  const groupPart = colon < 0 ? "" : user.slice(colon + 1);
  let uid = 0;
  let gid = 0;
  if (userPart !== "") {
    const id = numericId(userPart);
    const passwd = readEntries(view, "/etc/passwd");
    if (id !== null) {
      const found = passwd?.find((u) => u.id === id);
      uid = id;
      gid = found ? found.gid : 0;
    } else {
      if (passwd === null)
        throw new DockerApiError(
          400,
          `failed to look up user "${userPart}" in container: open /etc/passwd: no such file or directory`,
        );
      const found = passwd.find((u) => u.name === userPart);
      if (!found)
        throw new DockerApiError(
          400,
          `failed to look up user "${userPart}" in container: no matching entries in passwd file`,
        );
      uid = found.id;
      gid = found.gid;
    }
  }
  if (groupPart !== "") {
    const id = numericId(groupPart);
    if (id !== null) gid = id;
    else {
      const groups = readEntries(view, "/etc/group");
      if (groups === null)
        throw new DockerApiError(
          400,
          `failed to look up group "${groupPart}" in container: open /etc/group: no such file or directory`,
        );
      const found = groups.find((g) => g.name === groupPart);
      if (!found)
        throw new DockerApiError(
          400,
          `failed to look up group "${groupPart}" in container: no matching entries in group file`,
        );
      gid = found.id;
    }
  }
  return { uid, gid };
}

/**
 * Refuses an exec user the container does not know, in runc's words (moby/sys/user `GetExecUser`): a
 * name with no passwd entry, or a group name with no group entry; ids need no entry.
 */
export function checkExecUser(view: UnionView, spec: string): void {
  const colon = spec.indexOf(":");
  const userPart = colon < 0 ? spec : spec.slice(0, colon);
  const groupPart = colon < 0 ? "" : spec.slice(colon + 1);
  const passwd = readEntries(view, "/etc/passwd");
  if (userPart !== "" && !/^-?[0-9]+$/.test(userPart) && !passwd?.some((u) => u.name === userPart))
    throw new DockerApiError(400, `unable to find user ${userPart}: no matching entries in passwd file`);
  if (groupPart !== "" && !/^-?[0-9]+$/.test(groupPart)) {
    const groups = readEntries(view, "/etc/group");
    if (!groups?.some((g) => g.name === groupPart))
      throw new DockerApiError(400, `unable to find group ${groupPart}: no matching entries in group file`);
  }
}
