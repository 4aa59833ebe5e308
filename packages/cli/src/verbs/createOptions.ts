/**
 * The flags of `create` and `run` that Strata models, and the request body dockerd expects from them
 * (docker/cli's `opts.go` `parse`): name, env, labels, entrypoint, user, working directory, restart
 * policy, `--rm`, stop signal and timeout, health check. Flags for what Strata has no model of
 * (networks, ports, volumes, devices, resources) are not accepted: an unknown flag is an error, never
 * silently ignored.
 */
import { FlagError, type FlagSpecs } from "../args.js";
import { CommandError } from "../CommandSpec.js";

export const CREATE_FLAGS: FlagSpecs = {
  name: { type: "string", help: "Assign a name to the container" },
  env: { type: "list", short: "e", help: "Set environment variables" },
  label: { type: "list", short: "l", help: "Set meta data on a container" },
  entrypoint: { type: "string", help: "Overwrite the default ENTRYPOINT of the image" },
  user: { type: "string", short: "u", help: "Username or UID (format: <name|uid>[:<group|gid>])" },
  workdir: { type: "string", short: "w", help: "Working directory inside the container" },
  restart: { type: "string", help: 'Restart policy to apply when a container exits (default "no")' },
  rm: { type: "boolean", help: "Automatically remove the container when it exits" },
  "stop-signal": { type: "string", help: "Signal to stop the container" },
  "stop-timeout": { type: "string", valueName: "int", help: "Timeout (in seconds) to stop a container" },
  "health-cmd": { type: "string", help: "Command to run to check health" },
  "health-interval": {
    type: "string",
    valueName: "duration",
    help: "Time between running the check (ms|s|m|h) (default 0s)",
  },
  "health-timeout": {
    type: "string",
    valueName: "duration",
    help: "Maximum time to allow one check to run (ms|s|m|h) (default 0s)",
  },
  "health-retries": {
    type: "string",
    valueName: "int",
    help: "Consecutive failures needed to report unhealthy",
  },
  "health-start-period": {
    type: "string",
    valueName: "duration",
    help: "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)",
  },
  "health-start-interval": {
    type: "string",
    valueName: "duration",
    help: "Time between running the check during the start period (ms|s|m|h) (default 0s)",
  },
  "no-healthcheck": { type: "boolean", help: "Disable any container-specified HEALTHCHECK" },
  pull: {
    type: "string",
    values: ["always", "missing", "never"],
    help: 'Pull image before creating ("always", "missing", "never") (default "missing")',
  },
  interactive: { type: "boolean", short: "i", help: "Keep STDIN open even if not attached" },
  tty: { type: "boolean", short: "t", help: "Allocate a pseudo-TTY" },
  quiet: { type: "boolean", short: "q", help: "Suppress the pull output" },
};

/** A Go duration (`1m30s`, `500ms`) in nanoseconds, as pflag's DurationVar reads it. */
export function goDurationNs(text: string, flag: string): number {
  if (text === "0") return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  const sign = text.startsWith("-") ? -1 : 1;
  const body = text.replace(/^[-+]/, "");
  for (let m = re.exec(body); m; m = re.exec(body)) {
    total += Number(m[1]) * (units[m[2] as string] as number);
    at = re.lastIndex;
  }
  if (body === "" || at !== body.length)
    throw new FlagError(`invalid argument "${text}" for "--${flag}" flag: time: invalid duration "${text}"`);
  return Math.round(sign * total);
}

function intFlag(text: string, flag: string): number {
  if (!/^[-+]?\d+$/.test(text))
    throw new FlagError(
      `invalid argument "${text}" for "--${flag}" flag: strconv.ParseInt: parsing "${text}": invalid syntax`,
    );
  return Number(text);
}

/** `--restart no|always|unless-stopped|on-failure[:N]` as docker/cli parses it. */
export function restartPolicyOf(text: string): { Name: string; MaximumRetryCount: number } {
  const [name = "", count, extra] = text.split(":");
  if (extra !== undefined || (count !== undefined && !/^\d+$/.test(count)))
    throw new CommandError(
      `invalid restart policy format: ${count !== undefined && extra === undefined ? `maximum retry count must be an integer: strconv.Atoi: parsing "${count}": invalid syntax` : text}`,
    );
  return { Name: name, MaximumRetryCount: count === undefined ? 0 : Number(count) };
}

/** The body of `POST /containers/create` for `image` and `command`, from the flags. */
export function createBody(
  flags: ReadonlyMap<string, string | true>,
  list: (name: string) => string[],
  image: string,
  command: readonly string[],
): Record<string, unknown> {
  const str = (name: string) => {
    const v = flags.get(name);
    return typeof v === "string" ? v : undefined;
  };
  const labels: Record<string, string> = {};
  for (const l of list("label")) {
    const eq = l.indexOf("=");
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? "" : l.slice(eq + 1);
  }
  // `-e NAME` without a value takes it from this process's environment, or leaves it out.
  const env = list("env").flatMap((e) =>
    e.includes("=") ? [e] : process.env[e] !== undefined ? [`${e}=${process.env[e]}`] : [],
  );
  const entrypoint = str("entrypoint");
  const healthCmd = str("health-cmd");
  const healthcheck =
    flags.get("no-healthcheck") === true
      ? { Test: ["NONE"] }
      : healthCmd !== undefined ||
          [
            "health-interval",
            "health-timeout",
            "health-retries",
            "health-start-period",
            "health-start-interval",
          ].some((f) => flags.has(f))
        ? {
            ...(healthCmd !== undefined ? { Test: ["CMD-SHELL", healthCmd] } : {}),
            Interval: goDurationNs(str("health-interval") ?? "0", "health-interval"),
            Timeout: goDurationNs(str("health-timeout") ?? "0", "health-timeout"),
            StartPeriod: goDurationNs(str("health-start-period") ?? "0", "health-start-period"),
            StartInterval: goDurationNs(str("health-start-interval") ?? "0", "health-start-interval"),
            Retries: intFlag(str("health-retries") ?? "0", "health-retries"),
          }
        : undefined;
  if (flags.get("no-healthcheck") === true && healthCmd !== undefined)
    throw new CommandError("--no-healthcheck conflicts with --health-* options");
  const stopTimeout = str("stop-timeout");
  const restart = str("restart");
  const policy = restart === undefined ? { Name: "no", MaximumRetryCount: 0 } : restartPolicyOf(restart);
  if (flags.get("rm") === true && policy.Name !== "" && policy.Name !== "no")
    throw new CommandError("conflicting options: cannot specify both --restart and --rm");
  return {
    Hostname: "",
    User: str("user") ?? "",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: flags.get("tty") === true,
    OpenStdin: flags.get("interactive") === true,
    Env: env,
    Cmd: command.length > 0 ? [...command] : null,
    Image: image,
    WorkingDir: str("workdir") ?? "",
    Entrypoint: entrypoint === undefined ? null : [entrypoint],
    Labels: labels,
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    ...(str("stop-signal") !== undefined ? { StopSignal: str("stop-signal") } : {}),
    ...(stopTimeout !== undefined ? { StopTimeout: intFlag(stopTimeout, "stop-timeout") } : {}),
    HostConfig: { RestartPolicy: policy, AutoRemove: flags.get("rm") === true },
  };
}
