/**
 * The verbs that act on one container or more and print each name that succeeded (docker/cli
 * `container/{start,stop,kill,restart,pause,unpause,rm}.go`): stop, kill, restart, pause, unpause, rm
 * and start. `stop` and `restart` wait as dockerd does (the signal, then SIGKILL at the timeout), so
 * the engine runs its timers in real time while they run.
 */
import { type FlagSpecs, intFlag } from "../args.js";
import type { CommandSpec, Context } from "../CommandSpec.js";
import { DaemonError } from "../client/DockerClient.js";
import { containerRef, eachContainer, failureText, RefError, report } from "./eachContainer.js";

/** stop's and restart's flags (docker/cli `container/stop.go`, `restart.go`). */
const STOP_FLAGS: FlagSpecs = {
  signal: { type: "string", short: "s", help: "Signal to send to the container" },
  timeout: {
    type: "string",
    short: "t",
    valueName: "int",
    help: "Seconds to wait before killing the container",
  },
  time: {
    type: "string",
    valueName: "int",
    hidden: true,
    deprecated: "use --timeout instead",
    help: "Seconds to wait before killing the container (deprecated: use --timeout)",
  },
};

/** The timeout to send: `--timeout` or the deprecated `--time` (never both). */
function stopTimeout(ctx: Context): string | undefined {
  if (ctx.flags.has("time") && ctx.flags.has("timeout"))
    throw new RefError("conflicting options: cannot specify both --timeout and --time");
  return intFlag(ctx.flags, ctx.flags.has("time") ? "time" : "timeout");
}

/** `POST /containers/REF/ACTION`, the reference trimmed as docker's client does. */
const post = async (
  ctx: Context,
  ref: string,
  action: string,
  query: Record<string, string | number | boolean | undefined> = {},
) => {
  const path = `/containers/${enc(containerRef(ref))}/${action}`;
  await (await ctx.docker()).call({ method: "POST", path, query });
};

const enc = encodeURIComponent;

export const stopVerb: CommandSpec = {
  name: "stop",
  aliases: ["container stop"],
  group: "containers",
  usage: "strata stop [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Stop one or more running containers",
  args: { min: 1 },
  flags: STOP_FLAGS,
  timers: true,
  run: async (ctx) => {
    const t = stopTimeout(ctx);
    const signal = ctx.flags.get("signal");
    const { errors } = await eachContainer(ctx, ctx.args, (ref) =>
      post(ctx, ref, "stop", {
        t,
        signal: typeof signal === "string" ? signal : undefined,
      }).then(() => {}),
    );
    return report(ctx, errors);
  },
};

export const restartVerb: CommandSpec = {
  name: "restart",
  aliases: ["container restart"],
  group: "containers",
  usage: "strata restart [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Restart one or more containers",
  args: { min: 1 },
  flags: STOP_FLAGS,
  timers: true,
  run: async (ctx) => {
    const t = stopTimeout(ctx);
    const signal = ctx.flags.get("signal");
    const { errors } = await eachContainer(ctx, ctx.args, (ref) =>
      post(ctx, ref, "restart", {
        t,
        signal: typeof signal === "string" ? signal : undefined,
      }).then(() => {}),
    );
    return report(ctx, errors);
  },
};

export const killVerb: CommandSpec = {
  name: "kill",
  aliases: ["container kill"],
  group: "containers",
  usage: "strata kill [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Kill one or more running containers",
  args: { min: 1 },
  flags: { signal: { type: "string", short: "s", help: "Signal to send to the container" } },
  run: async (ctx) => {
    const signal = ctx.flags.get("signal");
    const { errors } = await eachContainer(ctx, ctx.args, (ref) =>
      post(ctx, ref, "kill", {
        signal: typeof signal === "string" ? signal : undefined,
      }).then(() => {}),
    );
    return report(ctx, errors);
  },
};

const simple = (verb: "pause" | "unpause", summary: string): CommandSpec => ({
  name: verb,
  aliases: [`container ${verb}`],
  group: "containers",
  usage: `strata ${verb} CONTAINER [CONTAINER...]`,
  summary,
  args: { min: 1 },
  run: async (ctx) => {
    const { errors } = await eachContainer(ctx, ctx.args, (ref) => post(ctx, ref, verb));
    return report(ctx, errors);
  },
});

export const pauseVerb = simple("pause", "Pause all processes within one or more containers");
export const unpauseVerb = simple("unpause", "Unpause all processes within one or more containers");

export const rmVerb: CommandSpec = {
  name: "rm",
  aliases: ["container rm", "container remove"],
  group: "containers",
  usage: "strata rm [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Remove one or more containers",
  args: { min: 1 },
  flags: {
    force: { type: "boolean", short: "f", help: "Force the removal of a running container (uses SIGKILL)" },
    volumes: { type: "boolean", short: "v", help: "Remove anonymous volumes associated with the container" },
  },
  run: async (ctx) => {
    const force = ctx.flags.get("force") === true;
    const docker = await ctx.docker();
    const { errors } = await eachContainer(
      ctx,
      ctx.args,
      async (given) => {
        const ref = given.replace(/^\/+|\/+$/g, "");
        if (ref === "") throw new RefError("container name cannot be empty");
        await docker.call({
          method: "DELETE",
          path: `/containers/${enc(containerRef(ref))}`,
          query: { force, v: ctx.flags.get("volumes") === true },
        });
      },
      // `rm -f` of a container that is not there is said, but is not an error (docker's IsNotFound).
      { notFatal: (e) => force && e instanceof DaemonError && e.status === 404 },
    );
    return report(ctx, errors);
  },
};

export const startVerb: CommandSpec = {
  name: "start",
  aliases: ["container start"],
  group: "containers",
  usage: "strata start [OPTIONS] CONTAINER [CONTAINER...]",
  summary: "Start one or more stopped containers",
  args: { min: 1 },
  flags: {
    attach: { type: "boolean", short: "a", help: "Attach STDOUT/STDERR and forward signals" },
    interactive: { type: "boolean", short: "i", help: "Attach container's STDIN" },
  },
  timers: true,
  run: async (ctx) => {
    const docker = await ctx.docker();
    if (ctx.flags.get("attach") === true || ctx.flags.get("interactive") === true) {
      if (ctx.args.length > 1) throw new RefError("you cannot start and attach multiple containers at once");
      const ref = containerRef(ctx.args[0] as string);
      const waiting = await docker.open({
        method: "POST",
        path: `/containers/${enc(ref)}/wait`,
        query: { condition: "next-exit" },
      });
      if ((waiting.statusCode ?? 0) >= 400) {
        waiting.resume();
        await docker.call({ method: "POST", path: `/containers/${enc(ref)}/start` });
      }
      await docker.call({ method: "POST", path: `/containers/${enc(ref)}/start` });
      const chunks: Buffer[] = [];
      for await (const c of waiting) chunks.push(c as Buffer);
      return (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { StatusCode: number }).StatusCode;
    }
    const failed: string[] = [];
    for (const ref of ctx.args) {
      try {
        await post(ctx, ref, "start");
        ctx.out.line(ref);
      } catch (e) {
        if (!(e instanceof DaemonError) && !(e instanceof RefError)) throw e;
        ctx.out.error(failureText(e));
        failed.push(ref);
      }
    }
    if (failed.length === 0) return 0;
    ctx.out.error(`Error: failed to start containers: ${failed.join(", ")}`);
    return 1;
  },
};
