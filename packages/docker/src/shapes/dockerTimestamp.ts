/**
 * The times `GET /events` takes in `since` and `until`, read exactly: what dockerd parses (unix seconds
 * with an optional fraction of up to nine digits, moby api/types/time `ParseTimestamps`) and what the
 * docker CLI converts before sending (`GetTimestamp`: a Go duration before now such as `10m` or `1h30m`,
 * and the RFC 3339 forms, with or without a zone, down to a bare date). The CLI's forms are accepted
 * here too, so a client that sends them as typed (dockerode users do) gets what `docker events` would.
 *
 * Results are nanoseconds since the epoch as a `bigint`: a `timeNano` has 19 digits, more than a
 * double holds, and `since` must compare exactly with the events' `timeNano`.
 */
import { DockerApiError } from "./errors.js";

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const INT64_MAX = 9_223_372_036_854_775_807n;
const INT64_MIN = -9_223_372_036_854_775_808n;

/** Go's `time.ParseDuration` units, in nanoseconds. */
const UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  "\u00b5s": 1e3,
  "\u03bcs": 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * A Go duration (`300ms`, `-1.5h`, `2h45m`) in nanoseconds, or null if `value` is not one. As Go, a
 * duration needs a unit on every number; only `0` stands alone (and GetTimestamp excludes it).
 */
export function parseGoDuration(value: string): number | null {
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+)$/.exec(value);
  if (!m) return null;
  let total = 0;
  for (const part of (m[2] as string).matchAll(/(\d+\.?\d*|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g))
    total += Number(part[1]) * (UNITS[part[2] as string] as number);
  if (total > Number(INT64_MAX)) return null;
  return m[1] === "-" ? -total : total;
}

/** `strconv.ParseInt(text, 10, 64)`, with Go's error text. */
function parseInt64(text: string): bigint {
  if (!/^[+-]?\d+$/.test(text))
    throw new DockerApiError(500, `strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  const n = BigInt(text);
  if (n > INT64_MAX || n < INT64_MIN)
    throw new DockerApiError(500, `strconv.ParseInt: parsing ${JSON.stringify(text)}: value out of range`);
  return n;
}

/**
 * dockerd's own parse (`parseTimestamp`): `seconds[.fraction]`, the fraction scaled to nanoseconds as
 * moby does (more than nine digits are cut). A bad value is the raw `strconv` error, which dockerd
 * 28.2 answers with a 500.
 */
export function parseUnixTimestamp(value: string): bigint {
  const dot = value.indexOf(".");
  const seconds = parseInt64(dot < 0 ? value : value.slice(0, dot));
  if (dot < 0) return seconds * NS_PER_S;
  const fraction = value.slice(dot + 1);
  const n = parseInt64(fraction);
  const scale = 9 - fraction.length;
  const nanos = scale >= 0 ? n * 10n ** BigInt(scale) : n / 10n ** BigInt(-scale);
  return seconds * NS_PER_S + nanos;
}

/** The days in `month` (1-12) of `year`, in the proleptic Gregorian calendar Go uses. */
function daysIn(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}

/**
 * The RFC 3339 forms GetTimestamp reads (it picks Go's layout by the colons and the zone it sees): a
 * date, a date and hour, hour and minute, or a full time with an optional fraction, each with a zone
 * (`Z`, `+01:00`) or in the zone of `now` (the server's local zone). Nanoseconds, or null when `value`
 * is not one of them (or not a valid date).
 */
export function parseRfc3339Like(value: string, nowMs: number): bigint | null {
  const local = !/[zZ+]/.test(value) && (value.match(/-/g) ?? []).length !== 3;
  const zone = local ? "" : "(Z|[+-]\\d{2}:\\d{2})";
  const fraction = "(?:[.,](\\d+))?";
  let pattern: string;
  if (value.includes(".")) pattern = `T(\\d{2}):(\\d{2}):(\\d{2})${fraction}`;
  else if (value.includes("T")) {
    let colons = (value.match(/:/g) ?? []).length;
    if (!local && !/[zZ]/.test(value) && colons > 0) colons -= 1;
    pattern =
      colons === 0
        ? "T(\\d{2})()()()"
        : colons === 1
          ? "T(\\d{2}):(\\d{2})()()"
          : `T(\\d{2}):(\\d{2}):(\\d{2})${fraction}`;
  } else pattern = "()()()()";
  const m = new RegExp(`^(\\d{4})-(\\d{2})-(\\d{2})${pattern}${zone}$`).exec(value);
  if (!m) return null;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0] = m
    .slice(1, 7)
    .map((x) => Number(x || "0"));
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysIn(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  )
    return null;
  const nanos = BigInt(`${m[7] ?? ""}000000000`.slice(0, 9));
  let offsetMinutes: number;
  const z = m[8];
  if (local) offsetMinutes = -new Date(nowMs).getTimezoneOffset();
  else if (z === "Z" || z === undefined) offsetMinutes = 0;
  else {
    const [hh, mm] = z.slice(1).split(":").map(Number) as [number, number];
    if (hh > 23 || mm > 59) return null;
    offsetMinutes = (z.startsWith("-") ? -1 : 1) * (hh * 60 + mm);
  }
  // setUTCFullYear, not Date.UTC: that one reads years 0-99 as 1900-1999; Go does not.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return BigInt(date.getTime() - offsetMinutes * 60_000) * NS_PER_MS + nanos;
}

/**
 * `since` or `until` as dockerd reads it after the CLI converted it: null when empty (the zero time:
 * no bound), else nanoseconds since the epoch. A duration counts back from `nowMs` (the engine's clock)
 * to whole seconds, as GetTimestamp does; a number is read by dockerd's own rules; a date by RFC 3339's.
 * Anything else is dockerd's answer to it: a 500 with the `strconv` error.
 */
export function dockerTimestamp(value: string | undefined, nowMs: number): bigint | null {
  if (value === undefined || value === "") return null;
  if (value !== "0") {
    const d = parseGoDuration(value);
    if (d !== null) {
      const nowNs = BigInt(nowMs) * NS_PER_MS;
      const at = nowNs - BigInt(Math.trunc(d));
      const seconds = at >= 0n ? at / NS_PER_S : -((-at + NS_PER_S - 1n) / NS_PER_S);
      return seconds * NS_PER_S;
    }
  }
  const rfc = parseRfc3339Like(value, nowMs);
  if (rfc !== null) return rfc;
  return parseUnixTimestamp(value);
}

/** Nanoseconds as milliseconds (a fraction where the time has one). */
export const nanosToMs = (ns: bigint): number => Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;

/**
 * A time in a filter (`until` of image and container prune and of `docker images`), read by dockerd
 * itself with `GetTimestamp` (the CLI sends these as typed): a duration before `nowMs` (whole seconds),
 * an RFC 3339 form, or unix seconds. Milliseconds since the epoch. A value with a `-` that is no date is
 * Go's time.Parse error (Strata names the value), anything else 400 `failed to parse value as time or
 * duration: "<value>"`, as moby's GetTimestamp words them.
 */
export function dockerTimestampMs(value: string, nowMs: number): number {
  const failed = () => new DockerApiError(400, `failed to parse value as time or duration: "${value}"`);
  if (value.includes("-") && parseGoDuration(value) === null && parseRfc3339Like(value, nowMs) === null)
    throw new DockerApiError(400, `parsing time "${value}": not a date or time`);
  let ns: bigint | null;
  try {
    ns = dockerTimestamp(value, nowMs);
  } catch (e) {
    if (e instanceof DockerApiError) throw failed();
    throw e;
  }
  if (ns === null) throw failed();
  return nanosToMs(ns);
}
