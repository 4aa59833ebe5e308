/**
 * An image's configuration and history in the OCI image config's words (image-spec config.md, plus
 * Docker's Healthcheck and OnBuild, which Docker writes into the same object). Empty fields are left
 * out, as Docker's `omitempty` does, so an image with only a command still exports `{"Cmd": [...]}`.
 */
import type { HistoryEntry, ImageConfig } from "@strata/core";

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, "Z");
const asSet = (keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, {}]));

/** The `config` object of an OCI image config. */
export function ociRuntimeConfig(config: ImageConfig): Record<string, unknown> {
  const hc = config.healthcheck;
  const ns = (ms: number) => ms * 1_000_000;
  return {
    ...(config.user !== "" ? { User: config.user } : {}),
    ...(config.exposedPorts.length > 0 ? { ExposedPorts: asSet(config.exposedPorts) } : {}),
    ...(config.env.length > 0 ? { Env: [...config.env] } : {}),
    ...(config.entrypoint !== null && config.entrypoint.length > 0
      ? { Entrypoint: [...config.entrypoint] }
      : {}),
    Cmd: [...config.cmd],
    ...(config.volumes.length > 0 ? { Volumes: asSet(config.volumes) } : {}),
    ...(config.workingDir !== "" ? { WorkingDir: config.workingDir } : {}),
    ...(Object.keys(config.labels).length > 0 ? { Labels: { ...config.labels } } : {}),
    ...(config.stopSignal !== null ? { StopSignal: config.stopSignal } : {}),
    ...(hc
      ? {
          Healthcheck: {
            Test: [...hc.test],
            ...(hc.intervalMs > 0 ? { Interval: ns(hc.intervalMs) } : {}),
            ...(hc.timeoutMs > 0 ? { Timeout: ns(hc.timeoutMs) } : {}),
            ...(hc.startPeriodMs > 0 ? { StartPeriod: ns(hc.startPeriodMs) } : {}),
            ...(hc.startIntervalMs > 0 ? { StartInterval: ns(hc.startIntervalMs) } : {}),
            ...(hc.retries > 0 ? { Retries: hc.retries } : {}),
          },
        }
      : {}),
    ...(config.onBuild.length > 0 ? { OnBuild: [...config.onBuild] } : {}),
  };
}

/**
 * One OCI `history` entry, as Go's `ocispec.History` marshals it: every field `omitempty`, so an
 * empty `created_by`, `author` or `comment` is left out (moby's `docker save` of a commit without
 * `-m` has no `comment`).
 */
export interface OciHistory {
  readonly created: string;
  readonly created_by?: string;
  readonly author?: string;
  readonly comment?: string;
  readonly empty_layer?: true;
}

/** An image's history as OCI `history` entries, oldest first. */
export function ociHistory(entries: readonly HistoryEntry[]): OciHistory[] {
  return entries.map((h) => ({
    created: iso(h.created),
    ...(h.createdBy !== "" ? { created_by: h.createdBy } : {}),
    ...(h.author !== "" ? { author: h.author } : {}),
    ...(h.comment !== "" ? { comment: h.comment } : {}),
    ...(h.emptyLayer ? { empty_layer: true as const } : {}),
  }));
}
