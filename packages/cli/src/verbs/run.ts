/**
 * `strata run`: create and start a container (docker/cli `container/run.go`). With `-d` it prints the id
 * and returns; otherwise it waits for the container to exit (or, with `--rm`, to be removed) and ends
 * with its exit code, forwarding SIGINT and SIGTERM to it as docker's `--sig-proxy` does (the third of
 * them makes it give up waiting: "got 3 SIGTERM/SIGINTs, forcefully exiting", exit 1). Strata runs no
 * real process, so there is no output to stream: the program runs as modelled until it exits (a
 * `process.exit`, a signal it dies of, a stop).
 *
 * Errors from the daemon end with exit code 125 ("docker: Error response from daemon: …"); a program the
 * runtime cannot find 127, one it cannot execute 126, as docker.
 */
import { CommandError, type CommandSpec, ExitStatus } from "../CommandSpec.js";
import { DaemonError, DockerClient, readAll } from "../client/DockerClient.js";
import { goQuoteText } from "../format/goQuote.js";
import { createContainer } from "./createContainer.js";
import { CREATE_FLAGS, checkPull, createBody, optionsFailure } from "./createOptions.js";
import { failureText } from "./eachContainer.js";
import { checkTty } from "./exec.js";

/** A logrus error line as docker's CLI writes it on stderr (text format, no terminal). */
function logrusError(msg: string): string {
  const now = new Date();
  const offset = -now.getTimezoneOffset();
  const pad = (n: number) => String(Math.abs(n)).padStart(2, "0");
  const local = new Date(now.getTime() + offset * 60_000).toISOString().slice(0, 19);
  const zone =
    offset === 0 ? "Z" : `${offset < 0 ? "-" : "+"}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
  return `time="${local}${zone}" level=error msg=${goQuoteText(msg)}`;
}

/**
 * docker/cli's `toStatusError`: the exit code and message for a failed create or start: 127 when the
 * runtime did not find the program, 126 when it could not execute it (EACCES, EISDIR), else 125; the
 * error's text (a daemon's refusal with its prefix) after `strata: `, then the hint to run `--help`.
 */
export function runFailure(e: unknown): ExitStatus {
  if (!(e instanceof DaemonError) && !(e instanceof CommandError)) throw e;
  const message = failureText(e);
  const text = `strata: ${message}\n\nRun 'strata run --help' for more information`;
  if (
    /executable file not found|no such file or directory|system cannot find the file specified/.test(message)
  )
    return new ExitStatus(127, text);
  if (/permission denied|is a directory/.test(message)) return new ExitStatus(126, text);
  return new ExitStatus(125, text);
}

export const runVerb: CommandSpec = {
  name: "run",
  aliases: ["container run"],
  group: "common",
  usage: "strata run [OPTIONS] IMAGE [COMMAND] [ARG...]",
  summary: "Create and run a new container from an image",
  args: { min: 1 },
  flags: {
    ...CREATE_FLAGS,
    detach: { type: "boolean", short: "d", help: "Run container in background and print container ID" },
    "sig-proxy": {
      type: "boolean",
      help: "Proxy received signals to the process (default true)",
      hidden: true,
    },
  },
  interspersed: false,
  timers: true,
  run: async (ctx) => {
    const [image, ...command] = ctx.args as [string, ...string[]];
    const detach = ctx.flags.get("detach") === true;
    let body: Record<string, unknown>;
    try {
      checkPull(ctx.flags);
      body = createBody(ctx.flags, ctx.list, image, command);
    } catch (e) {
      optionsFailure(e, "run");
    }
    if (!detach) {
      checkTty(ctx.stdin, ctx.flags.get("interactive") === true, ctx.flags.get("tty") === true);
      Object.assign(body, { AttachStdout: true, AttachStderr: true });
    }
    const name = ctx.flags.get("name");
    const pull = ctx.flags.get("pull");
    let id: string;
    try {
      id = await createContainer(ctx, body, {
        ...(typeof name === "string" ? { name } : {}),
        ...(typeof pull === "string" ? { pull } : {}),
        quiet: ctx.flags.get("quiet") === true,
      });
    } catch (e) {
      throw runFailure(e);
    }
    const docker = await ctx.docker();
    if (detach) {
      // docker prints the id once created, before the start (which may fail).
      ctx.out.line(id);
      try {
        await docker.call({ method: "POST", path: `/containers/${id}/start` });
      } catch (e) {
        throw runFailure(e);
      }
      return 0;
    }
    // Wait before starting, as docker does, so a quick exit is not missed.
    const autoRemove = ctx.flags.get("rm") === true;
    const waiting = await DockerClient.check(
      await docker.open({
        method: "POST",
        path: `/containers/${id}/wait`,
        query: { condition: autoRemove ? "removed" : "next-exit" },
      }),
    );
    const status = readAll(waiting);
    try {
      await docker.call({ method: "POST", path: `/containers/${id}/start` });
    } catch (e) {
      waiting.destroy();
      throw runFailure(e);
    }
    // Every SIGINT and SIGTERM is forwarded (a PID 1 without a handler ignores it and keeps running);
    // the third one makes the CLI give up waiting, as docker's does (cmd/docker/docker.go
    // forceExitAfter3TerminationSignals): the container is left as it is.
    let signals = 0;
    let forceExit: (e: ExitStatus) => void = () => {};
    const forced = new Promise<never>((_, reject) => {
      forceExit = reject;
    });
    const forward = (signal: NodeJS.Signals) => () => {
      void docker.call({ method: "POST", path: `/containers/${id}/kill`, query: { signal } }).catch(() => {});
      signals += 1;
      if (signals === 3) {
        waiting.destroy();
        forceExit(new ExitStatus(1, "\ngot 3 SIGTERM/SIGINTs, forcefully exiting"));
      }
    };
    const onInt = forward("SIGINT");
    const onTerm = forward("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    try {
      const answer = JSON.parse((await Promise.race([status, forced])).toString("utf8")) as {
        StatusCode: number;
        Error?: { Message: string };
      };
      // docker/cli's waitExitOrRemoved: an error in the answer is logged (logrus's line) and ends with 125.
      if (answer.Error?.Message) {
        ctx.out.error(logrusError(`Error waiting for container: ${answer.Error.Message}`));
        return 125;
      }
      return answer.StatusCode;
    } finally {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    }
  },
};
