/**
 * The settings `create` validates before anything else, in Docker's order and words (moby
 * daemon/container.go `verifyContainerSettings`: the container config first — working directory, stop
 * signal, environment, healthcheck —, then the host config — `--rm` with a restart policy, the restart
 * policy).
 */
import type { CommandOfType } from "../commands/commands.js";
import type { RestartPolicy } from "../events/common.js";
import { parseSignal, type SignalName, signalError } from "../signals.js";

const POLICIES = ["no", "on-failure", "always", "unless-stopped"] as const;

/** A refusal of `create` (400) with its stable reason. */
export interface InvalidSetting {
  readonly reason: string;
  readonly message: string;
}

/** Docker's `ValidateRestartPolicy` (api/types/container/hostconfig.go): null when valid. */
export function restartPolicyError(policy: { name: string; maximumRetryCount: number }): string | null {
  const { name, maximumRetryCount: n } = policy;
  if (name === "") return null;
  if (name === "always" || name === "unless-stopped" || name === "no") {
    if (n === 0) return null;
    return `invalid restart policy: maximum retry count can only be used with 'on-failure'${n < 0 ? " and cannot be negative" : ""}`;
  }
  if (name === "on-failure")
    return n < 0 ? "invalid restart policy: maximum retry count cannot be negative" : null;
  return `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`;
}

/** Docker's `MinimumDuration` for a healthcheck's durations, as Go prints it. */
const MINIMUM_DURATION = "1ms";

/** Docker's `validateHealthCheck` (moby daemon/container.go): null when valid. */
export function healthcheckError(
  hc: NonNullable<CommandOfType<"container.create">["healthcheck"]>,
): string | null {
  const tooShort = (ms: number) => ms !== 0 && ms < 1;
  if (tooShort(hc.intervalMs)) return `Interval in Healthcheck cannot be less than ${MINIMUM_DURATION}`;
  if (tooShort(hc.timeoutMs)) return `Timeout in Healthcheck cannot be less than ${MINIMUM_DURATION}`;
  if (hc.retries < 0) return "Retries in Healthcheck cannot be negative";
  if (tooShort(hc.startPeriodMs)) return `StartPeriod in Healthcheck cannot be less than ${MINIMUM_DURATION}`;
  if (tooShort(hc.startIntervalMs))
    return `StartInterval in Healthcheck cannot be less than ${MINIMUM_DURATION}`;
  return null;
}

/** The restart policy a valid request asks for (an empty name is `no`, as Docker's create normalises). */
export function restartPolicyOf(k: CommandOfType<"container.create">): RestartPolicy {
  const p = k.restartPolicy;
  if (p === undefined || p.name === "") return { name: "no", maximumRetryCount: 0 };
  const name = POLICIES.find((n) => n === p.name) ?? "no";
  return { name, maximumRetryCount: name === "on-failure" ? p.maximumRetryCount : 0 };
}

/** The first setting Docker refuses, or null; and the stop signal when it is valid. */
export function createSettings(k: CommandOfType<"container.create">): {
  readonly invalid: InvalidSetting | null;
  readonly stopSignal: SignalName | null;
} {
  const stopSignal = k.stopSignal === undefined ? null : (parseSignal(k.stopSignal) ?? null);
  const refuse = (reason: string, message: string) => ({ invalid: { reason, message }, stopSignal });
  if (k.workingDir !== undefined && k.workingDir !== "" && !k.workingDir.startsWith("/"))
    return refuse(
      "invalid-working-dir",
      `the working directory '${k.workingDir}' is invalid, it needs to be an absolute path`,
    );
  if (k.stopSignal !== undefined && stopSignal === null)
    return refuse("invalid-signal", signalError(k.stopSignal) ?? `invalid signal: ${k.stopSignal}`);
  for (const e of k.env ?? [])
    if ((e.split("=")[0] ?? "") === "") return refuse("invalid-env", `invalid environment variable: ${e}`);
  const healthError = k.healthcheck === undefined ? null : healthcheckError(k.healthcheck);
  if (healthError !== null) return refuse("invalid-healthcheck", healthError);
  const policy = k.restartPolicy;
  const policyName = policy?.name ?? "";
  if ((k.autoRemove ?? false) && policyName !== "" && policyName !== "no")
    return refuse("auto-remove-with-restart", "can't create 'AutoRemove' container with restart policy");
  const policyError = policy === undefined ? null : restartPolicyError(policy);
  if (policyError !== null) return refuse("invalid-restart-policy", policyError);
  return { invalid: null, stopSignal };
}
