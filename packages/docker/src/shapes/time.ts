/**
 * Time as Docker writes it: RFC 3339 with nanoseconds and trailing zeros trimmed (Go's `RFC3339Nano`,
 * always UTC `Z`; the zero time is `0001-01-01T00:00:00Z`), unix seconds, and the human durations of
 * `docker ps` (go-units `HumanDuration`). Strata's clock counts milliseconds.
 */
import { dockerTimestamp, nanosToMs, parseGoDuration } from "./dockerTimestamp.js";

export const ZERO_TIME = "0001-01-01T00:00:00Z";

/** `ms` (since the epoch) as Go's RFC3339Nano; null is the zero time. */
export function rfc3339Nano(ms: number | null): string {
  if (ms === null) return ZERO_TIME;
  const iso = new Date(ms).toISOString(); // 2026-01-01T00:00:00.123Z
  const [whole, fraction = "000Z"] = iso.split(".");
  const digits = fraction.replace(/Z$/, "").replace(/0+$/, "");
  return digits ? `${whole}.${digits}Z` : `${whole}Z`;
}

/** Unix seconds (whole) of `ms`. */
export const unixSeconds = (ms: number): number => Math.floor(ms / 1000);

/** go-units `HumanDuration`: how `docker ps` says how long ago. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

/**
 * A time given in a query (`since`, `until` of events and filters) as ms since the epoch: unix
 * seconds with an optional fraction (`1718013600.123456789`), an RFC 3339 date in the forms the docker
 * CLI reads (`2026-01-01`, `2026-01-01T10:00`, `…Z`, `…+01:00`), or, given `now`, a Go duration before
 * it (`10m`, `1h30m`). Null if it is none of them (or empty). See `dockerTimestamp` for the exact
 * nanoseconds.
 */
export function parseDockerTime(value: string, now?: number): number | null {
  if (now === undefined && parseGoDuration(value) !== null) return null;
  try {
    const ns = dockerTimestamp(value, now ?? 0);
    return ns === null ? null : nanosToMs(ns);
  } catch {
    return null;
  }
}
