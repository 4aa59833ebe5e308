/**
 * `POST /containers/create`'s body (moby `container.Config` + `HostConfig`) as Strata's
 * `container.create` command: the fields Strata models (Image, Cmd, Entrypoint, Env, Labels, User,
 * WorkingDir, StopSignal, StopTimeout, Healthcheck, HostConfig.RestartPolicy and AutoRemove); the rest
 * (networks, mounts, resources) is accepted and ignored, as docs/docker-api.md says. Unknown fields are
 * ignored, as moby's lenient decoder does.
 */
import type { CommandOfType } from "@strata/core";
import { DockerApiError } from "./errors.js";

type Create = CommandOfType<"container.create">;

const strings = (value: unknown, field: string): string[] | undefined => {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  throw new DockerApiError(
    400,
    `json: cannot unmarshal ${typeof value} into Go struct field Config.${field} of type []string`,
  );
};

/**
 * A healthcheck duration in nanoseconds (Go's time.Duration) as the milliseconds the engine keeps. A
 * non-zero duration under 1ms (negative ones too) becomes -1: the engine refuses it in Docker's words
 * ("Interval in Healthcheck cannot be less than 1ms").
 */
const nsToMs = (ns: unknown): number => {
  if (typeof ns !== "number" || ns === 0) return 0;
  return ns < 1e6 ? -1 : Math.round(ns / 1e6);
};

/** The command for a create body; `name` from the query. Throws 400 in Docker's words. */
export function createCommand(body: unknown, name: string | undefined): Create {
  if (body === undefined) throw new DockerApiError(400, "invalid JSON: got EOF while reading request body");
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new DockerApiError(400, "config cannot be empty in order to create a container");
  const b = body as Record<string, unknown>;
  const host = (b.HostConfig ?? {}) as Record<string, unknown>;
  const image = typeof b.Image === "string" ? b.Image : "";
  const cmd = strings(b.Cmd, "Cmd");
  const entrypoint = strings(b.Entrypoint, "Entrypoint");
  const env = strings(b.Env, "Env");
  const labels = b.Labels && typeof b.Labels === "object" ? (b.Labels as Record<string, string>) : undefined;
  const policy = host.RestartPolicy as { Name?: string; MaximumRetryCount?: number } | undefined;
  const health = b.Healthcheck as Record<string, unknown> | undefined;
  return {
    type: "container.create",
    image,
    ...(name !== undefined && name !== "" ? { name } : {}),
    ...(cmd ? { cmd } : {}),
    // `--entrypoint ''` sends [""]: it clears the image's entrypoint.
    ...(entrypoint ? { entrypoint: entrypoint.length === 1 && entrypoint[0] === "" ? [] : entrypoint } : {}),
    ...(env && env.length > 0 ? { env } : {}),
    ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
    ...(typeof b.User === "string" && b.User !== "" ? { user: b.User } : {}),
    ...(typeof b.WorkingDir === "string" && b.WorkingDir !== "" ? { workingDir: b.WorkingDir } : {}),
    ...(typeof b.StopSignal === "string" && b.StopSignal !== "" ? { stopSignal: b.StopSignal } : {}),
    ...(typeof b.StopTimeout === "number" ? { stopTimeout: b.StopTimeout } : {}),
    ...(health && Array.isArray(health.Test) && health.Test.length > 0
      ? {
          healthcheck: {
            test: health.Test as string[],
            intervalMs: nsToMs(health.Interval),
            timeoutMs: nsToMs(health.Timeout),
            startPeriodMs: nsToMs(health.StartPeriod),
            startIntervalMs: nsToMs(health.StartInterval),
            retries: typeof health.Retries === "number" ? health.Retries : 0,
          },
        }
      : {}),
    ...(policy && (policy.Name ?? "") !== ""
      ? { restartPolicy: { name: policy.Name as string, maximumRetryCount: policy.MaximumRetryCount ?? 0 } }
      : {}),
    ...(host.AutoRemove === true ? { autoRemove: true } : {}),
  } as Create;
}
