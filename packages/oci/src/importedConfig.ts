/**
 * What an imported image's config says of the image, as the engine records it (the inverse of
 * ociConfig.ts): its runtime `config` (Env, Entrypoint, Cmd, Labels, ExposedPorts, User, WorkingDir,
 * StopSignal, Volumes, Healthcheck, OnBuild), its `history`, `author` and `created`. The config comes
 * from an untrusted archive: each field is taken only when it has the type the spec gives it, anything
 * else is left out (never an error: a config Docker accepts is imported), and times before 1970 (the zero
 * time some images carry) are not kept. An image exported by Strata and imported again says the same.
 */
import { type Healthcheck, type HistoryEntry, type ImageConfig, parseSignal } from "@strata/core";

export interface ImportedConfig {
  readonly config: Partial<ImageConfig>;
  readonly history?: HistoryEntry[];
  readonly author?: string;
  readonly created?: number;
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const keysOf = (v: unknown): string[] | undefined => (isObject(v) ? Object.keys(v) : undefined);
const nsToMs = (v: unknown) =>
  typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.round(v / 1e6) : 0;

/** An RFC 3339 time as ms since the epoch, when it is one and not before 1970. */
function time(v: unknown): number | undefined {
  if (typeof v !== "string") return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function healthcheck(v: unknown): Healthcheck | undefined {
  if (!isObject(v) || !isStrings(v.Test)) return undefined;
  return {
    test: [...v.Test],
    intervalMs: nsToMs(v.Interval),
    timeoutMs: nsToMs(v.Timeout),
    startPeriodMs: nsToMs(v.StartPeriod),
    startIntervalMs: nsToMs(v.StartInterval),
    retries:
      typeof v.Retries === "number" && Number.isSafeInteger(v.Retries) && v.Retries > 0 ? v.Retries : 0,
  };
}

/** The runtime config (`config` of the image config), the fields Strata models. */
function runtimeConfig(c: unknown): Partial<ImageConfig> {
  if (!isObject(c)) return {};
  const out: { -readonly [K in keyof ImageConfig]?: ImageConfig[K] } = {};
  if (isStrings(c.Env)) out.env = [...c.Env];
  if (isStrings(c.Entrypoint)) out.entrypoint = [...c.Entrypoint];
  if (isStrings(c.Cmd)) out.cmd = [...c.Cmd];
  if (isObject(c.Labels) && Object.values(c.Labels).every((x) => typeof x === "string"))
    out.labels = { ...(c.Labels as Record<string, string>) };
  const ports = keysOf(c.ExposedPorts);
  if (ports) out.exposedPorts = ports;
  if (typeof c.User === "string") out.user = c.User;
  if (typeof c.WorkingDir === "string") out.workingDir = c.WorkingDir;
  const signal = typeof c.StopSignal === "string" ? parseSignal(c.StopSignal) : undefined;
  if (signal) out.stopSignal = signal;
  const volumes = keysOf(c.Volumes);
  if (volumes) out.volumes = volumes;
  const hc = healthcheck(c.Healthcheck);
  if (hc) out.healthcheck = hc;
  if (isStrings(c.OnBuild)) out.onBuild = [...c.OnBuild];
  return out;
}

/**
 * What `json` (an image config, parsed) says of the image. `now` dates history entries without a time.
 *
 * @example
 * importedConfig({ created: "2026-01-01T00:00:00Z", config: { Env: ["A=1"] } }).config.env; // ["A=1"]
 */
export function importedConfig(json: unknown, now: number): ImportedConfig {
  if (!isObject(json)) return { config: {} };
  const created = time(json.created);
  const history = Array.isArray(json.history)
    ? json.history.filter(isObject).map(
        (h): HistoryEntry => ({
          created: time(h.created) ?? created ?? now,
          createdBy: typeof h.created_by === "string" ? h.created_by : "",
          comment: typeof h.comment === "string" ? h.comment : "",
          author: typeof h.author === "string" ? h.author : "",
          emptyLayer: h.empty_layer === true,
        }),
      )
    : undefined;
  return {
    config: runtimeConfig(json.config),
    ...(history && history.length > 0 ? { history } : {}),
    ...(typeof json.author === "string" ? { author: json.author } : {}),
    ...(created !== undefined ? { created } : {}),
  };
}
