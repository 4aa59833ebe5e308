/**
 * A container as Docker shows it: the row of `docker ps` (`GET /containers/json`), and `docker inspect`
 * (`GET /containers/{id}/json`) with moby's fields in moby's order (the CLI re-indents the raw JSON, so
 * order and presence are what users see). Built from the engine's state; times from the injected clock.
 * There are no real processes, networks or mounts: those parts say so with empty values of the right
 * type (docs/docker-api.md lists them).
 */
import { type ContainerRecord, type EngineState, findImage } from "@strata/core";
import { humanDuration, rfc3339Nano, unixSeconds } from "./time.js";

/** The program a container runs: its entrypoint then its command (Path, then Args). */
export function programOf(record: ContainerRecord): string[] {
  const c = record.context.config;
  return [...(c.entrypoint ?? []), ...c.cmd];
}

/** `docker ps`'s STATUS text (moby container/state.go `String`). */
export function statusText(record: ContainerRecord, now: number): string {
  const c = record.context;
  const since = (t: number | null) => humanDuration(Math.max(0, now - (t ?? now)));
  switch (record.status) {
    case "running": {
      const health = c.health?.status;
      const suffix =
        health === "healthy" || health === "unhealthy"
          ? ` (${health})`
          : health === "starting"
            ? " (health: starting)"
            : "";
      return `Up ${since(c.startedAt)}${suffix}`;
    }
    case "paused":
      return `Up ${since(c.startedAt)} (Paused)`;
    case "restarting":
      return `Restarting (${c.exitCode}) ${since(c.finishedAt)} ago`;
    case "removing":
      return "Removal In Progress";
    case "dead":
      return "Dead";
    case "created":
      return "Created";
    case "exited":
      return `Exited (${c.exitCode}) ${since(c.finishedAt)} ago`;
  }
}

/** The reference a container was created with, as typed (Docker's `Config.Image`). */
export function imageAsTyped(record: ContainerRecord): string {
  const c = record.context;
  return c.imageAsGiven || c.imageRef || c.imageId;
}

/**
 * The image a `docker ps` row shows (moby daemon/list.go): the reference as typed while it still names
 * the container's image, else the image id.
 */
export function imageShownAs(record: ContainerRecord, state: EngineState): string {
  const typed = imageAsTyped(record);
  const id = record.context.imageId;
  if (typed === id) return id;
  let match: ReturnType<typeof findImage>;
  try {
    match = findImage(state, typed);
  } catch {
    match = undefined;
  }
  return match?.image.id === id ? typed : id;
}

/** One row of `GET /containers/json` (moby api/types/container `Summary`). */
export function containerSummary(
  record: ContainerRecord,
  state: EngineState,
  now: number,
): Record<string, unknown> {
  const c = record.context;
  const [path = "", ...args] = programOf(record);
  return {
    Id: c.id,
    Names: [`/${c.name}`],
    Image: imageShownAs(record, state),
    ImageID: c.imageId,
    Command: [path, ...args.map((a) => (a.includes(" ") ? `'${a}'` : a))].join(" ").trim(),
    Created: unixSeconds(c.createdAt),
    Ports: [],
    Labels: c.config.labels ?? {},
    State: record.status,
    Status: statusText(record, now),
    HostConfig: { NetworkMode: "none" },
    NetworkSettings: { Networks: {} },
    Mounts: [],
  };
}

/** The restart policy as Docker writes it. */
function restartPolicy(record: ContainerRecord): { Name: string; MaximumRetryCount: number } {
  const p = record.context.config.restartPolicy;
  return { Name: p.name, MaximumRetryCount: p.maximumRetryCount };
}

/** `docker inspect <container>` (moby api/types/container `InspectResponse`), in moby's field order. */
export function containerInspect(record: ContainerRecord): Record<string, unknown> {
  const c = record.context;
  const s = record.status;
  const config = c.config;
  const [path = "", ...args] = programOf(record);
  const running = s === "running" || s === "paused" || s === "restarting";
  const health = c.health
    ? { Status: c.health.status, FailingStreak: c.health.failingStreak ?? 0, Log: [] }
    : undefined;
  const execIds = c.execs.map((x) => x.execId);
  return {
    Id: c.id,
    Created: rfc3339Nano(c.createdAt),
    Path: path,
    Args: args,
    State: {
      Status: s,
      Running: running,
      Paused: s === "paused",
      Restarting: s === "restarting",
      OOMKilled: c.oomKilled,
      Dead: s === "dead",
      Pid: s === "running" || s === "paused" ? c.hostPid : 0,
      ExitCode: c.exitCode,
      Error: c.error,
      StartedAt: rfc3339Nano(c.startedAt),
      FinishedAt: rfc3339Nano(c.finishedAt),
      ...(health ? { Health: health } : {}),
    },
    Image: c.imageId,
    ResolvConfPath: "",
    HostnamePath: "",
    HostsPath: "",
    LogPath: "",
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Driver: "overlay2",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: execIds.length > 0 ? execIds : null,
    HostConfig: {
      Binds: null,
      NetworkMode: "none",
      PortBindings: {},
      RestartPolicy: restartPolicy(record),
      AutoRemove: config.autoRemove,
      VolumeDriver: "",
      VolumesFrom: null,
      LogConfig: { Type: "none", Config: {} },
    },
    GraphDriver: {
      Data: { Strata: "a layer stack in the event log: see GET /strata/containers/{id}/layers" },
      Name: "overlay2",
    },
    Mounts: [],
    Config: {
      Hostname: c.id.slice(0, 12),
      Domainname: "",
      User: config.user ?? "",
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: config.env && config.env.length > 0 ? [...config.env] : null,
      Cmd: config.cmd.length > 0 ? [...config.cmd] : null,
      Image: imageAsTyped(record),
      Volumes:
        config.volumes && config.volumes.length > 0
          ? Object.fromEntries(config.volumes.map((v) => [v, {}]))
          : null,
      WorkingDir: config.workingDir ?? "",
      Entrypoint: config.entrypoint && config.entrypoint.length > 0 ? [...config.entrypoint] : null,
      OnBuild: config.onBuild && config.onBuild.length > 0 ? [...config.onBuild] : null,
      Labels: config.labels ?? {},
      ...(config.stopSignal ? { StopSignal: config.stopSignal } : {}),
      ...(config.stopTimeout !== null ? { StopTimeout: config.stopTimeout } : {}),
    },
    NetworkSettings: {
      Bridge: "",
      SandboxID: "",
      SandboxKey: "",
      Ports: {},
      HairpinMode: false,
      LinkLocalIPv6Address: "",
      LinkLocalIPv6PrefixLen: 0,
      SecondaryIPAddresses: null,
      SecondaryIPv6Addresses: null,
      EndpointID: "",
      Gateway: "",
      GlobalIPv6Address: "",
      GlobalIPv6PrefixLen: 0,
      IPAddress: "",
      IPPrefixLen: 0,
      IPv6Gateway: "",
      MacAddress: "",
      Networks: {},
    },
  };
}
