/**
 * `strata save [OPTIONS] IMAGE [IMAGE...]` (docker/cli `image/save.go`): the daemon's `docker save`
 * archive of the images, to `-o FILE` or to standard output (never a terminal). The file is written as
 * moby's atomicwriter does: the destination is checked first (its directory exists; it is not a
 * directory, link, pipe, socket or device), the archive goes to a temporary file beside it (`.tmp-NAME…`),
 * which becomes FILE, mode 0600, when the daemon's answer ends (and is removed when nothing came).
 */
import { once } from "node:events";
import { chmodSync, createWriteStream, lstatSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { finished } from "node:stream/promises";
import { CommandError, type CommandSpec } from "../CommandSpec.js";
import { DaemonError, DockerClient } from "../client/DockerClient.js";
import { goDir, goPathError } from "./goPathError.js";

export const saveVerb: CommandSpec = {
  name: "save",
  aliases: ["image save"],
  group: "images",
  usage: "strata save [OPTIONS] IMAGE [IMAGE...]",
  summary: "Save one or more images to a tar archive (streamed to STDOUT by default)",
  args: { min: 1 },
  readOnly: true,
  flags: {
    output: { type: "string", short: "o", help: "Write to a file, instead of STDOUT" },
  },
  run: async (ctx) => {
    const flag = ctx.flags.get("output");
    const output = typeof flag === "string" ? flag : "";
    if (output === "" && ctx.stdoutIsTty)
      throw new CommandError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    let temp: string | undefined;
    if (output !== "") {
      const problem = destinationProblem(output);
      if (problem) throw new CommandError(`failed to save image: ${problem}`);
      const abs = resolve(output);
      temp = resolve(goDir(abs), `.tmp-${basename(output)}${process.pid}`);
    }
    const file = temp === undefined ? undefined : createWriteStream(temp, { flags: "wx", mode: 0o600 });
    try {
      if (file) await once(file, "open");
    } catch (e) {
      throw new CommandError(`failed to save image: ${goPathError("open", temp as string, e)}`);
    }
    let writeFailed = false;
    let written = false;
    try {
      const docker = await ctx.docker();
      const res = await DockerClient.check(
        await docker.open({ path: "/images/get", query: { names: [...ctx.args] } }),
      );
      for await (const chunk of res) {
        if (!file) await ctx.out.bytes(chunk as Buffer);
        else {
          written = true;
          if (!file.write(chunk)) await once(file, "drain");
        }
      }
    } catch (e) {
      writeFailed = !(e instanceof DaemonError);
      throw e;
    } finally {
      // As docker's deferred Close: the temporary file becomes FILE if something was written and no
      // write failed; else it goes.
      if (file && temp) {
        file.end();
        await finished(file).catch(() => {});
        if (written && !writeFailed) {
          chmodSync(temp, 0o600);
          renameSync(temp, resolve(output));
        }
        rmSync(temp, { force: true });
      }
    }
    return 0;
  },
};

/** What moby's atomicwriter `validateDestination` finds wrong with `path`, or null. */
function destinationProblem(path: string): string | null {
  const dir = goDir(path);
  if (dir !== "" && dir !== "." && dir !== "..") {
    try {
      if (!statSync(dir).isDirectory()) return `invalid output path: stat ${dir}: not a directory`;
    } catch (e) {
      return `invalid output path: ${goPathError("stat", dir, e)}`;
    }
  }
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    return `failed to stat output path: ${goPathError("lstat", path, e)}`;
  }
  if (st.isFile()) return null;
  if (st.isDirectory()) return "cannot write to a directory";
  if (st.isSymbolicLink()) return "cannot write to a symbolic link directly";
  if (st.isFIFO()) return "cannot write to a named pipe (FIFO)";
  if (st.isSocket()) return "cannot write to a socket";
  if (st.isCharacterDevice()) return "cannot write to a character device file";
  if (st.isBlockDevice()) return "cannot write to a block device file";
  return "unknown file mode";
}
