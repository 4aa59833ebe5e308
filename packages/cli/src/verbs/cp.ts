/**
 * `strata cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-` and `strata cp [OPTIONS] SRC_PATH|-
 * CONTAINER:DEST_PATH` (docker/cli `container/cp.go`): files between a container's union view and the
 * local filesystem, as tar streams over the archive endpoints, with docker's rules for where things land
 * (into an existing directory; as the destination's name otherwise; `SRC/.` for a directory's contents)
 * and its errors. `-` is a tar on standard input or output. The local side never writes outside the
 * destination (see localArchive.ts); the daemon takes uploads on its hostile-safe path.
 */
import { lstatSync, realpathSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { Readable } from "node:stream";
import { CommandError, type CommandSpec } from "../CommandSpec.js";
import { DaemonError, DockerClient } from "../client/DockerClient.js";
import { humanSize } from "./humanSize.js";
import { cleanPath, localInfo, localTar, rebaseName, splitPathDirEntry, untarInto } from "./localArchive.js";

/** docker's split of `CONTAINER:PATH`; a local path with a `:` is written `./a:b` or `/a:b`. */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (isAbsolute(arg)) return { container: "", path: arg };
  const colon = arg.indexOf(":");
  if (colon < 0 || arg.startsWith(".")) return { container: "", path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

/** The `X-Docker-Container-Path-Stat` header: what the path in the container is. */
interface PathStat {
  readonly name: string;
  readonly size: number;
  readonly mode: number;
  readonly linkTarget: string;
}
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
const GO_MODE_DEVICE = 2 ** 26;

function statOf(header: string | string[] | undefined): PathStat | null {
  if (typeof header !== "string") return null;
  return JSON.parse(Buffer.from(header, "base64").toString("utf8")) as PathStat;
}

async function statPath(docker: DockerClient, container: string, path: string): Promise<PathStat | null> {
  try {
    const answer = await docker.call({
      method: "HEAD",
      path: `/containers/${encodeURIComponent(container)}/archive`,
      query: { path },
    });
    return statOf(answer.headers["x-docker-container-path-stat"]);
  } catch (e) {
    if (e instanceof DaemonError) return null;
    throw e;
  }
}

/** A path that says it is a directory: ends with `/` or `/.`. */
function assertsDirectory(path: string): boolean {
  return path.endsWith("/") || path.endsWith("/.") || path === ".";
}

export const cpVerb: CommandSpec = {
  name: "cp",
  aliases: ["container cp"],
  group: "containers",
  usage:
    "strata cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tstrata cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
  summary: "Copy files/folders between a container and the local filesystem",
  args: { min: 2, max: 2 },
  // Out of a container only reads the log; into one writes.
  readOnly: (args) =>
    args.length === 2 &&
    splitCpArg(args[0] as string).container !== "" &&
    splitCpArg(args[1] as string).container === "",
  flags: {
    archive: { type: "boolean", short: "a", help: "Archive mode (copy all uid/gid information)" },
    "follow-link": { type: "boolean", short: "L", help: "Always follow symlinks in SRC_PATH" },
    quiet: {
      type: "boolean",
      short: "q",
      help: "Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached",
    },
  },
  run: async (ctx) => {
    const [source, destination] = ctx.args as [string, string];
    const src = splitCpArg(source);
    const dst = splitCpArg(destination);
    if (src.container !== "" && dst.container !== "")
      throw new CommandError("copying between containers is not supported");
    if (src.container === "" && dst.container === "")
      throw new CommandError("must specify at least one container source");
    if (src.path === "" || dst.path === "") throw new CommandError("filepath can not be empty");
    const docker = await ctx.docker();
    const summary = (bytes: number, where: string) => {
      if (ctx.flags.get("quiet") !== true && process.stderr.isTTY)
        process.stderr.write(`Successfully copied ${humanSize(bytes, 3)} to ${where}\n`);
    };
    if (src.container !== "") {
      await copyFromContainer(
        ctx.out.bytes,
        docker,
        src.container,
        src.path,
        dst.path,
        ctx.flags.has("follow-link"),
        summary,
      );
    } else {
      await copyToContainer(
        docker,
        ctx.stdin,
        src.path,
        dst.container,
        dst.path,
        ctx.flags.has("archive"),
        ctx.flags.has("follow-link"),
        summary,
      );
    }
    return 0;
  },
};

async function copyFromContainer(
  stdout: (b: Uint8Array) => Promise<void>,
  docker: DockerClient,
  container: string,
  srcPathGiven: string,
  dstGiven: string,
  followLink: boolean,
  summary: (bytes: number, where: string) => void,
): Promise<void> {
  let srcPath = srcPathGiven;
  let rebase = "";
  const dstPath = dstGiven === "-" ? "-" : preserveTrailing(resolve(dstGiven), dstGiven);
  if (dstPath !== "-") validateOutputPath(dstPath);
  if (followLink) {
    const st = await statPath(docker, container, srcPath);
    if (st && (st.mode & GO_MODE_SYMLINK) !== 0) {
      const [parent, base] = splitPathDirEntry(srcPath);
      const target = st.linkTarget.startsWith("/") ? st.linkTarget : cleanPath(`${parent}/${st.linkTarget}`);
      rebase = base;
      srcPath = target;
    }
  }
  const res = await docker.open({
    path: `/containers/${encodeURIComponent(container)}/archive`,
    query: { path: srcPath },
  });
  await DockerClient.check(res);
  let copied = 0;
  const counted = (async function* () {
    for await (const chunk of res) {
      copied += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  })();
  if (dstPath === "-") {
    for await (const chunk of counted) await stdout(chunk);
    return;
  }
  const stat = statOf(res.headers["x-docker-container-path-stat"]);
  const srcIsDir = stat !== null && (stat.mode & GO_MODE_DIR) !== 0;
  const [, srcBaseRaw] = splitPathDirEntry(srcPath);
  const srcBase = rebase || srcBaseRaw;
  const fromArchive = (name: string) => (rebase ? rebaseName(name, srcBaseRaw, rebase) : name);
  // moby's CopyInfoDestinationPath and PrepareArchiveCopy.
  const info = localInfo(dstPath);
  if (!info.exists) {
    const [parent] = splitPathDirEntry(dstPath);
    if (!localInfo(parent).exists) throw new CommandError(`lstat ${parent}: no such file or directory`);
  }
  const [dstDir, dstBase] = splitPathDirEntry(dstPath);
  let into: string;
  let rename: (name: string) => string;
  if (info.exists && info.isDir) {
    into = dstPath;
    rename = fromArchive;
  } else if (info.exists && srcIsDir) {
    throw new CommandError("cannot copy directory");
  } else if (!info.exists && !srcIsDir && assertsDirectory(dstGiven)) {
    throw new CommandError("no such directory");
  } else {
    into = dstDir;
    rename = (name) => rebaseName(fromArchive(name), srcBase, dstBase);
  }
  await untarInto(counted, into, rename);
  summary(copied, dstPath);
}

async function copyToContainer(
  docker: DockerClient,
  stdin: Readable,
  srcGiven: string,
  container: string,
  dstPathGiven: string,
  copyUidGid: boolean,
  followLink: boolean,
  summary: (bytes: number, where: string) => void,
): Promise<void> {
  let dstPath = dstPathGiven;
  let dstExists = false;
  let dstIsDir = false;
  let st = await statPath(docker, container, dstPath);
  if (st) {
    if ((st.mode & GO_MODE_SYMLINK) !== 0) {
      const [parent] = splitPathDirEntry(dstPath);
      dstPath = st.linkTarget.startsWith("/") ? st.linkTarget : cleanPath(`${parent}/${st.linkTarget}`);
      st = await statPath(docker, container, dstPath);
    }
    if (st) {
      if ((st.mode & GO_MODE_DEVICE) !== 0)
        throw new CommandError(
          `destination "${container}:${dstPathGiven}" must be a directory or a regular file: got a device`,
        );
      dstExists = true;
      dstIsDir = (st.mode & GO_MODE_DIR) !== 0;
    }
  }
  let body: Readable;
  let target: string;
  if (srcGiven === "-") {
    if (!dstIsDir) throw new CommandError(`destination "${container}:${dstPathGiven}" must be a directory`);
    body = stdin;
    target = dstPath;
  } else {
    let srcPath = preserveTrailing(resolve(srcGiven), srcGiven);
    let rebase = "";
    const [, linkBase] = splitPathDirEntry(srcPath);
    if (followLink) {
      try {
        const real = realpathSync(srcPath);
        if (real !== cleanPath(srcPath)) {
          rebase = linkBase;
          srcPath = real;
        }
      } catch {
        // reported by the lstat below
      }
    }
    let srcIsDir: boolean;
    try {
      srcIsDir = lstatSync(srcPath).isDirectory();
    } catch {
      throw new CommandError(`lstat ${cleanPath(srcPath)}: no such file or directory`);
    }
    const [, srcBaseRaw] = splitPathDirEntry(srcPath);
    const srcBase = rebase || srcBaseRaw;
    const withRebase = (name: string) => (rebase ? rebaseName(name, srcBaseRaw, rebase) : name);
    const [dstDir, dstBase] = splitPathDirEntry(dstPath);
    if (dstExists && dstIsDir) {
      target = dstPath;
      body = localTar(srcPath, withRebase);
    } else if (dstExists && srcIsDir) {
      throw new CommandError("cannot copy directory");
    } else if (!dstExists && !srcIsDir && assertsDirectory(dstPath)) {
      throw new CommandError("no such directory");
    } else {
      target = dstDir;
      body = localTar(srcPath, (name) => rebaseName(withRebase(name), srcBase, dstBase));
    }
  }
  let sent = 0;
  const counting = Readable.from(
    (async function* () {
      for await (const chunk of body) {
        sent += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    })(),
    { objectMode: false },
  );
  await docker.call({
    method: "PUT",
    path: `/containers/${encodeURIComponent(container)}/archive`,
    query: { path: target, noOverwriteDirNonDir: "true", copyUIDGID: copyUidGid ? "true" : undefined },
    body: counting,
    headers: { "Content-Type": "application/x-tar" },
  });
  summary(sent, `${container}:${dstPath}`);
}

/** moby's PreserveTrailingDotOrSeparator: `dir/` and `dir/.` keep their meaning once made absolute. */
function preserveTrailing(clean: string, original: string): string {
  if (original.endsWith("/.") || original === ".") return clean === "/" ? "/." : `${clean}/.`;
  if (original.endsWith("/") && !clean.endsWith("/")) return `${clean}/`;
  return clean;
}

/** docker/cli's ValidateOutputPath: the parent exists; an existing path is a directory or a regular file. */
function validateOutputPath(path: string): void {
  const [dir] = splitPathDirEntry(cleanPath(path));
  if (!localInfo(dir).exists)
    throw new CommandError(`invalid output path: directory "${dir}" does not exist`);
}
