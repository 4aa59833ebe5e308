/**
 * `X-Docker-Container-Path-Stat` (moby api/types/container `PathStat`): what dockerd's `lstat` of a path
 * in a container says, as standard base64 of the JSON `{name, size, mode, mtime, linkTarget}`. `mode` is
 * a Go `os.FileMode`, a uint32: the permission bits, the type bits Go puts at the top (directory 1<<31,
 * symlink 1<<27) and Go's own bits for setuid (1<<23), setgid (1<<22) and sticky (1<<20), never the
 * kernel's 0o4000/0o2000/0o1000. It must stay unsigned: a negative mode makes `docker cp` think the path
 * does not exist.
 */
import type { Stat } from "@strata/fs";
import { rfc3339Nano } from "./time.js";

export interface PathStat {
  readonly name: string;
  readonly size: number;
  readonly mode: number;
  readonly mtime: string;
  readonly linkTarget: string;
}

const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const GO_SETUID = 2 ** 23;
const GO_SETGID = 2 ** 22;
const GO_STICKY = 2 ** 20;

/**
 * The Go `os.FileMode` of an entry.
 *
 * @example
 * goFileMode({ type: "dir", mode: 0o1777 }); // 2148532735: dir | sticky | 0777
 */
export function goFileMode(stat: Pick<Stat, "type" | "mode">): number {
  let mode = stat.mode & 0o777;
  if (stat.type === "dir") mode += GO_DIR;
  if (stat.type === "symlink") mode += GO_SYMLINK;
  if (stat.mode & 0o4000) mode += GO_SETUID;
  if (stat.mode & 0o2000) mode += GO_SETGID;
  if (stat.mode & 0o1000) mode += GO_STICKY;
  return mode >>> 0;
}

/** Whether a Go `os.FileMode` is a directory's. */
export const isGoDir = (mode: number): boolean => mode >= GO_DIR;

/** The stat of `stat` named `name`; `linkTarget` is where a symlink leads, followed to its end. */
export function pathStat(name: string, stat: Stat, linkTarget: string): PathStat {
  return {
    name,
    size: stat.size,
    mode: goFileMode(stat),
    mtime: rfc3339Nano(stat.mtime),
    linkTarget,
  };
}

/** The header's value: base64 (standard, padded) of the compact JSON. */
export function pathStatHeader(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString("base64");
}
