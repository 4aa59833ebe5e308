/**
 * A time in a filter (`until` of image and container prune and of `docker images`), as moby's
 * `GetTimestamp` reads it: a Go duration before `now` (`10m`, `1h30m`, whole seconds), an RFC 3339
 * date or date-time (with or without a zone: without one it is UTC, Strata's zone), or unix seconds with
 * an optional fraction. Anything else is 400 `failed to parse value as time or duration: "<value>"`.
 */
import { DockerApiError } from "./errors.js";

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's `time.ParseDuration`, in ms; null if `text` is not one. */
export function parseGoDuration(text: string): number | null {
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/.exec(text);
  if (!m) return null;
  let total = 0;
  for (const part of (m[2] as string).matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g))
    total += Number(part[1]) * (UNITS[part[2] as string] as number);
  return m[1] === "-" ? -total : total;
}

/** `value` as ms since the epoch (`now` for durations). */
export function dockerTimestampMs(value: string, now: number): number {
  const duration = value === "0" ? null : parseGoDuration(value);
  if (duration !== null) return Math.floor((now - duration) / 1000) * 1000;
  const failed = () => new DockerApiError(400, `failed to parse value as time or duration: "${value}"`);
  const date = /^(\d{4}-\d\d-\d\d)(?:T(\d\d)(?::(\d\d)(?::(\d\d)(\.\d+)?)?)?)?([zZ]|[+-]\d\d:\d\d)?$/.exec(
    value,
  );
  if (date) {
    const [, day, h = "00", min = "00", sec = "00", fraction = "", zone = "Z"] = date;
    const t = Date.parse(`${day}T${h}:${min}:${sec}${fraction.slice(0, 4)}${zone.toUpperCase()}`);
    if (!Number.isNaN(t)) return t;
  }
  // Go answers a date it cannot read with time.Parse's own error; Strata says which value it was.
  if (value.includes("-")) throw new DockerApiError(400, `parsing time "${value}": not a date or time`);
  const unix = /^(-?\d+)(?:\.(\d+))?$/.exec(value);
  if (!unix) throw failed();
  const fraction = (unix[2] ?? "").slice(0, 3).padEnd(3, "0");
  return Number(unix[1]) * 1000 + Number(fraction);
}
