/**
 * The flags of `create` and `run` that Strata models, and the request body dockerd expects from them
 * (docker/cli's `opts.go` `parse`): name, env, labels, entrypoint, user, working directory, restart
 * policy, `--rm`, stop signal and timeout, health check. Flags for what Strata has no model of
 * (networks, ports, volumes, devices, resources) are not accepted: an unknown flag is an error, never
 * silently ignored.
 */
import { durationFlag, type FlagSpecs, intFlag } from "../args.js";
import { ExitStatus } from "../CommandSpec.js";

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
    help: 'Pull image before creating ("always", "missing", "never") (default "missing")',
  },
  interactive: { type: "boolean", short: "i", help: "Keep STDIN open even if not attached" },
  tty: { type: "boolean", short: "t", help: "Allocate a pseudo-TTY" },
  quiet: { type: "boolean", short: "q", help: "Suppress the pull output" },
};

/**
 * A problem docker/cli's `parse` finds in the options of `create` and `run` (a restart policy it cannot
 * read, `--rm` with a restart policy, a negative health interval): `docker: <message>`, the hint to run
 * `--help`, exit 125 (`withHelp` in docker/cli `container/run.go`).
 */
export class OptionsError extends Error {}

/** The OptionsError (or the `--pull` value docker refuses) as docker prints it for `verb`. */
export function optionsFailure(e: unknown, verb: "create" | "run"): never {
  if (!(e instanceof OptionsError)) throw e;
  throw new ExitStatus(125, `strata: ${e.message}\n\nRun 'strata ${verb} --help' for more information`);
}

/** docker/cli's validatePullOpt, checked before anything else. */
export function checkPull(flags: ReadonlyMap<string, string | true>): void {
  const v = flags.get("pull");
  if (typeof v === "string" && !["always", "missing", "never", ""].includes(v))
    throw new OptionsError(`invalid pull option: '${v}': must be one of "always", "missing" or "never"`);
}

/** `--restart no|always|unless-stopped|on-failure[:N]` as docker/cli reads it (opts.ParseRestartPolicy). */
export function restartPolicyOf(policy: string): { Name: string; MaximumRetryCount: number } {
  if (policy === "") return { Name: "", MaximumRetryCount: 0 };
  const colon = policy.indexOf(":");
  const name = colon < 0 ? policy : policy.slice(0, colon);
  const count = colon < 0 ? "" : policy.slice(colon + 1);
  if (colon >= 0 && name === "")
    throw new OptionsError("invalid restart policy format: no policy provided before colon");
  let max = 0;
  if (count !== "") {
    // strconv.Atoi: a decimal int64, with an optional sign.
    const n = /^[-+]?[0-9]+$/.test(count) ? BigInt(count) : undefined;
    if (n === undefined || n > 2n ** 63n - 1n || n < -(2n ** 63n))
      throw new OptionsError("invalid restart policy format: maximum retry count must be an integer");
    max = Number(n);
  }
  return { Name: name, MaximumRetryCount: max };
}

/** `-e NAME=value`, or `-e NAME` with its value in this process's environment (else left out). */
export function envList(given: readonly string[]): string[] {
  return given.flatMap((e) =>
    e.includes("=") ? [e] : process.env[e] !== undefined ? [`${e}=${process.env[e]}`] : [],
  );
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
  const env = envList(list("env"));
  const entrypoint = str("entrypoint");
  const healthcheck = healthcheckOf(flags);
  const stopTimeout = intFlag(flags, "stop-timeout");
  const policy = restartPolicyOf(str("restart") ?? "no");
  if (flags.get("rm") === true && policy.Name !== "" && policy.Name !== "no")
    throw new OptionsError("conflicting options: cannot specify both --restart and --rm");
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
    ...(stopTimeout !== undefined ? { StopTimeout: Number(stopTimeout) } : {}),
    HostConfig: { RestartPolicy: policy, AutoRemove: flags.get("rm") === true },
  };
}

/**
 * The health check the flags describe (docker/cli `opts.go`): `--no-healthcheck` is `NONE`; a command or
 * any non-zero setting makes one; none of them, none (the image's stays).
 */
function healthcheckOf(flags: ReadonlyMap<string, string | true>): Record<string, unknown> | undefined {
  const cmd = flags.get("health-cmd");
  const interval = durationFlag(flags, "health-interval");
  const timeout = durationFlag(flags, "health-timeout");
  const startPeriod = durationFlag(flags, "health-start-period");
  const startInterval = durationFlag(flags, "health-start-interval");
  const retries = BigInt(intFlag(flags, "health-retries") ?? "0");
  const have =
    (typeof cmd === "string" && cmd !== "") ||
    [interval, timeout, startPeriod, retries, startInterval].some((v) => v !== 0n);
  if (flags.get("no-healthcheck") === true) {
    if (have) throw new OptionsError("--no-healthcheck conflicts with --health-* options");
    return { Test: ["NONE"] };
  }
  if (!have) return undefined;
  if (interval < 0n) throw new OptionsError("--health-interval cannot be negative");
  if (timeout < 0n) throw new OptionsError("--health-timeout cannot be negative");
  if (retries < 0n) throw new OptionsError("--health-retries cannot be negative");
  if (startPeriod < 0n) throw new OptionsError("--health-start-period cannot be negative");
  if (startInterval < 0n) throw new OptionsError("--health-start-interval cannot be negative");
  return {
    ...(typeof cmd === "string" && cmd !== "" ? { Test: ["CMD-SHELL", cmd] } : {}),
    Interval: Number(interval),
    Timeout: Number(timeout),
    StartPeriod: Number(startPeriod),
    StartInterval: Number(startInterval),
    Retries: Number(retries),
  };
}
