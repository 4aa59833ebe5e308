/**
 * `strata exec [OPTIONS] CONTAINER COMMAND [ARG...]` (docker/cli `container/exec.go`): a new process in
 * a running container. `-d` starts it and returns; attached, its output streams (stdout and stderr
 * apart) until the engine records its end, and the command ends with the process's exit code.
 */
import type { Readable } from "node:stream";
import { CommandError, type CommandSpec, ExitStatus } from "../CommandSpec.js";
import { DockerClient } from "../client/DockerClient.js";
import { envList } from "./createOptions.js";
import { containerRef } from "./eachContainer.js";

/** docker/cli's `In.CheckTty`: `-i -t` needs standard input to be a terminal. */
export function checkTty(stdin: Readable, interactive: boolean, tty: boolean): void {
  if (tty && interactive && (stdin as { isTTY?: boolean }).isTTY !== true)
    throw new CommandError("the input device is not a TTY");
}

export const execVerb: CommandSpec = {
  name: "exec",
  aliases: ["container exec"],
  group: "common",
  usage: "strata exec [OPTIONS] CONTAINER COMMAND [ARG...]",
  summary: "Execute a command in a running container",
  args: { min: 2 },
  interspersed: false,
  timers: true,
  flags: {
    detach: { type: "boolean", short: "d", help: "Detached mode: run command in the background" },
    env: { type: "list", short: "e", help: "Set environment variables" },
    interactive: { type: "boolean", short: "i", help: "Keep STDIN open even if not attached" },
    privileged: { type: "boolean", help: "Give extended privileges to the command" },
    tty: { type: "boolean", short: "t", help: "Allocate a pseudo-TTY" },
    user: { type: "string", short: "u", help: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    workdir: { type: "string", short: "w", help: "Working directory inside the container" },
  },
  run: async (ctx) => {
    const [container, ...cmd] = ctx.args as [string, ...string[]];
    const detach = ctx.flags.get("detach") === true;
    const tty = ctx.flags.get("tty") === true;
    const docker = await ctx.docker();
    const path = encodeURIComponent(containerRef(container));
    // docker inspects first so that "No such container" comes before anything else.
    await docker.call({ path: `/containers/${path}/json` });
    if (!detach) checkTty(ctx.stdin, ctx.flags.get("interactive") === true, tty);
    const user = ctx.flags.get("user");
    const workdir = ctx.flags.get("workdir");
    const created = await docker.json<{ Id: string }>({
      method: "POST",
      path: `/containers/${path}/exec`,
      body: {
        Cmd: cmd,
        Env: envList(ctx.list("env")),
        Tty: tty,
        Privileged: ctx.flags.get("privileged") === true,
        AttachStdin: !detach && ctx.flags.get("interactive") === true,
        AttachStdout: !detach,
        AttachStderr: !detach,
        Detach: detach,
        ...(typeof user === "string" ? { User: user } : {}),
        ...(typeof workdir === "string" ? { WorkingDir: workdir } : {}),
      },
    });
    if (!created?.Id) throw new CommandError("exec ID empty");
    const start = { method: "POST", path: `/exec/${created.Id}/start`, body: { Detach: detach, Tty: tty } };
    if (detach) {
      await docker.call(start);
      return 0;
    }
    const res = await DockerClient.check(await docker.open(start));
    await copyOutput(res, tty, ctx.out.bytes, (b) => process.stderr.write(b));
    const inspect = await docker.json<{ ExitCode: number | null; Running: boolean }>({
      path: `/exec/${created.Id}/json`,
    });
    const code = inspect.ExitCode ?? 0;
    if (code !== 0) throw new ExitStatus(code);
    return 0;
  },
};

/**
 * The exec's output: raw with a TTY, else dockerd's multiplexed frames (an 8-byte header: the stream,
 * 1 stdout or 2 stderr, and the frame's length, big-endian) split back into stdout and stderr.
 */
export async function copyOutput(
  stream: Readable,
  tty: boolean,
  stdout: (b: Uint8Array) => Promise<void>,
  stderr: (b: Uint8Array) => void,
): Promise<void> {
  let pending = Buffer.alloc(0);
  for await (const chunk of stream) {
    if (tty) {
      await stdout(chunk as Buffer);
      continue;
    }
    pending = Buffer.concat([pending, chunk as Buffer]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const frame = pending.subarray(8, 8 + size);
      if (pending[0] === 2) stderr(frame);
      else await stdout(frame);
      pending = pending.subarray(8 + size);
    }
  }
}
