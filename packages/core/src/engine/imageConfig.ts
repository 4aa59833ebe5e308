/**
 * Image configurations: the empty one, what older logs imply, what a container's configuration is as
 * an image's (`commit`), and how `create` merges a container's settings over its image's (moby
 * daemon/commit.go `merge`, used by create's `mergeAndVerifyConfig` as well).
 */
import type { CommandOfType } from "../commands/commands.js";
import type {
  ContainerConfig,
  Healthcheck,
  HistoryEntry,
  ImageConfig,
  Layer,
  SignalAction,
  SignalHandlers,
} from "../events/common.js";
import type { SignalName } from "../signals.js";

export const EMPTY_IMAGE_CONFIG: ImageConfig = Object.freeze({
  env: [],
  entrypoint: null,
  cmd: [],
  labels: {},
  exposedPorts: [],
  user: "",
  workingDir: "",
  stopSignal: null,
  volumes: [],
  healthcheck: null,
  onBuild: [],
});

/** The configuration an `image.created` without one implies: its `cmd` and nothing else. */
export function impliedImageConfig(cmd: readonly string[]): ImageConfig {
  return { ...EMPTY_IMAGE_CONFIG, cmd: [...cmd] };
}

/** The history an `image.created` without one implies: one entry per layer, at the image's creation. */
export function impliedHistory(layers: readonly Layer[], created: number): HistoryEntry[] {
  return layers.map((l) => ({
    created,
    createdBy: l.createdBy,
    comment: l.comment,
    author: "",
    emptyLayer: false,
  }));
}

/** A container's configuration as an image's (what a commit starts from before `--change`). */
export function containerImageConfig(config: ContainerConfig): ImageConfig {
  return {
    env: [...(config.env ?? [])],
    entrypoint: config.entrypoint ?? null,
    cmd: [...config.cmd],
    labels: { ...(config.labels ?? {}) },
    exposedPorts: [...(config.exposedPorts ?? [])],
    user: config.user ?? "",
    workingDir: config.workingDir ?? "",
    stopSignal: config.stopSignal,
    volumes: [...(config.volumes ?? [])],
    healthcheck: config.healthcheck ?? null,
    onBuild: [...(config.onBuild ?? [])],
  };
}

const envKey = (e: string) => e.split("=")[0];

/**
 * The image-derived part of a new container's configuration: the command's settings where given, the
 * image's otherwise. Env is merged by key (the command wins), labels and exposed ports are unions;
 * an image's cmd is used only when neither an entrypoint nor a cmd is given.
 */
export function mergeCreateConfig(
  image: ImageConfig,
  k: CommandOfType<"container.create">,
  stopSignal: SignalName | null,
): Omit<ContainerConfig, "restartPolicy" | "autoRemove" | "stopTimeout" | "handlers"> {
  const env = [...(k.env ?? [])];
  for (const e of image.env) if (!env.some((u) => envKey(u) === envKey(e))) env.push(e);
  const entrypoint = k.entrypoint ?? image.entrypoint;
  const cmd = k.cmd ?? (k.entrypoint !== undefined && k.entrypoint.length > 0 ? [] : [...image.cmd]);
  return {
    cmd,
    entrypoint: entrypoint === null ? null : [...entrypoint],
    env,
    labels: { ...image.labels, ...(k.labels ?? {}) },
    exposedPorts: [...image.exposedPorts],
    user: k.user ?? image.user,
    workingDir: k.workingDir ?? image.workingDir,
    volumes: [...image.volumes],
    healthcheck: canonicalHealthcheck(k.healthcheck ?? image.healthcheck),
    onBuild: [...image.onBuild],
    stopSignal: stopSignal ?? image.stopSignal,
  };
}

/**
 * A commit's configuration after `--change`, completed from the container's as moby's `merge` does:
 * with no entrypoint, an empty cmd takes the container's (so `CMD []` alone changes nothing), and a
 * missing entrypoint takes the container's.
 */
export function mergeCommitConfig(changed: ImageConfig, container: ImageConfig): ImageConfig {
  if (changed.entrypoint !== null && changed.entrypoint.length > 0) return changed;
  return {
    ...changed,
    cmd: changed.cmd.length === 0 ? [...container.cmd] : changed.cmd,
    entrypoint: changed.entrypoint ?? container.entrypoint,
  };
}

/** A container config without the optional fields that are empty (events stay as small as before). */
export function compactConfig(config: ContainerConfig): ContainerConfig {
  const out: Record<string, unknown> = { ...config };
  const empty = (v: unknown) =>
    v === null ||
    v === "" ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
  for (const key of [
    "entrypoint",
    "env",
    "labels",
    "exposedPorts",
    "user",
    "workingDir",
    "volumes",
    "healthcheck",
    "onBuild",
  ])
    if (key in out && empty(out[key])) delete out[key];
  return out as ContainerConfig;
}

/** The configuration `image.create` records: its `config` fields over the empty one, `cmd` first. */
export function imageCreateConfig(k: CommandOfType<"image.create">): ImageConfig {
  const c = { ...EMPTY_IMAGE_CONFIG, ...(k.config ?? {}), cmd: [...(k.cmd ?? k.config?.cmd ?? [])] };
  return { ...c, healthcheck: canonicalHealthcheck(c.healthcheck) };
}

/** A healthcheck with its keys in the schema's order (a user's object may have them in any order). */
export function canonicalHealthcheck(hc: Healthcheck | null | undefined): Healthcheck | null {
  if (!hc) return null;
  return {
    test: [...hc.test],
    intervalMs: hc.intervalMs,
    timeoutMs: hc.timeoutMs,
    startPeriodMs: hc.startPeriodMs,
    startIntervalMs: hc.startIntervalMs,
    retries: hc.retries,
  };
}

/** Signal handlers with each action's keys in the schema's order. */
export function canonicalHandlers(handlers: SignalHandlers): SignalHandlers {
  const out: Record<string, SignalAction> = {};
  for (const [signal, a] of Object.entries(handlers) as [string, SignalAction][])
    out[signal] = a.action === "exit" ? { action: "exit", exitCode: a.exitCode } : { action: a.action };
  return out as SignalHandlers;
}
