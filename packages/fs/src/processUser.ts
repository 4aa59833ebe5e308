/**
 * The ids a container's process runs as, from its `Config.User` (`user[:group]`, each a name or an
 * id) and the container's own `/etc/passwd` and `/etc/group` (moby/sys/user `GetExecUser`): no user is
 * root; a user's group is its passwd entry's unless a group is given. A name the files do not have
 * counts as root here (Docker refuses the start: not simulated, docs/lifecycle.md).
 * Pure: a union view in, two numbers out.
 */
import { BlobError } from "./BlobError.js";
import { FsError } from "./FsError.js";
import type { UnionView } from "./UnionView.js";

interface Entry {
  readonly name: string;
  readonly id: number;
  readonly gid: number;
}

/** `name:x:id:gid:…` lines of a passwd or group file (none when it is missing or unreadable). */
function entries(view: UnionView, path: string): Entry[] {
  let text: string;
  try {
    text = Buffer.from(view.readFile(path)).toString("utf8");
  } catch (e) {
    // Missing, not a file, or its bytes not on this host: no entries.
    if (e instanceof FsError || e instanceof BlobError) return [];
    throw e;
  }
  const out: Entry[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(":");
    const id = Number(f[2]);
    if (f.length < 3 || f[0] === "" || !Number.isInteger(id)) continue;
    const gid = Number(f[3] ?? "0");
    out.push({ name: f[0] as string, id, gid: Number.isInteger(gid) ? gid : 0 });
  }
  return out;
}

const numeric = (s: string): number | null => (/^[0-9]+$/.test(s) ? Number(s) : null);

/**
 * @example
 * processUser(view, "www-data");  // { uid: 33, gid: 33 } with Debian's /etc/passwd
 * processUser(view, "1000:100");  // { uid: 1000, gid: 100 }
 */
export function processUser(view: UnionView, user: string): { uid: number; gid: number } {
  if (user === "") return { uid: 0, gid: 0 };
  const colon = user.indexOf(":");
  const userPart = colon < 0 ? user : user.slice(0, colon);
  const groupPart = colon < 0 ? "" : user.slice(colon + 1);
  let uid = 0;
  let gid = 0;
  if (userPart !== "") {
    const id = numeric(userPart);
    const found = entries(view, "/etc/passwd").find((u) => (id === null ? u.name === userPart : u.id === id));
    uid = id ?? found?.id ?? 0;
    gid = found?.gid ?? 0;
  }
  if (groupPart !== "") {
    const id = numeric(groupPart);
    gid = id ?? entries(view, "/etc/group").find((g) => g.name === groupPart)?.id ?? gid;
  }
  return { uid, gid };
}
