/**
 * The few Go time layouts docker prints: time.Time.String() ("2026-01-01 00:00:00 +0000 UTC", the
 * CreatedAt columns), RFC 3339 (history CreatedAt), RFC 3339 with fixed nanoseconds (the events line),
 * RFC 3339 nano (time.Time in JSON), and time.Duration's String ("1m30s").
 * Docker prints the client's local zone; Strata prints UTC, which is what docker prints with TZ=UTC.
 * Pure. Rules: Go time/format.go and time/time.go.
 */

/** An instant with the zone it was read in: nanoseconds since the epoch, offset seconds, zone name. */
export interface GoTime {
  readonly ns: bigint;
  readonly offset: number;
  /** "UTC", or "" for a numeric zone read from "+02:00". */
  readonly zone: string;
}

/** The UTC instant `ns` nanoseconds after the epoch. */
export function utcTime(ns: bigint): GoTime {
  return { ns, offset: 0, zone: "UTC" };
}

/** Go's zero time (January 1, year 1, UTC). */
export const ZERO_TIME: GoTime = utcTime(-62135596800n * 1_000_000_000n);

const pad = (n: number, w: number) => String(n).padStart(w, "0");

function parts(t: GoTime): {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
  nanos: number;
} {
  const shifted = t.ns + BigInt(t.offset) * 1_000_000_000n;
  let sec = shifted / 1_000_000_000n;
  let nanos = shifted % 1_000_000_000n;
  if (nanos < 0n) {
    nanos += 1_000_000_000n;
    sec -= 1n;
  }
  const date = new Date(Number(sec) * 1000);
  return {
    y: date.getUTCFullYear(),
    mo: date.getUTCMonth() + 1,
    d: date.getUTCDate(),
    h: date.getUTCHours(),
    mi: date.getUTCMinutes(),
    s: date.getUTCSeconds(),
    nanos: Number(nanos),
  };
}

function year(y: number): string {
  return y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
}

function offsetText(offset: number, colon: boolean, zForUtc: boolean): string {
  if (zForUtc && offset === 0) return "Z";
  const sign = offset < 0 ? "-" : "+";
  const a = Math.abs(offset);
  const hh = pad(Math.floor(a / 3600), 2);
  const mm = pad(Math.floor((a % 3600) / 60), 2);
  return colon ? `${sign}${hh}:${mm}` : `${sign}${hh}${mm}`;
}

/** time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST". */
export function timeString(t: GoTime): string {
  const p = parts(t);
  let frac = "";
  if (p.nanos !== 0) frac = `.${pad(p.nanos, 9).replace(/0+$/, "")}`;
  const off = offsetText(t.offset, false, false);
  const zone = t.zone === "" ? off : t.zone;
  return `${year(p.y)}-${pad(p.mo, 2)}-${pad(p.d, 2)} ${pad(p.h, 2)}:${pad(p.mi, 2)}:${pad(p.s, 2)}${frac} ${off} ${zone}`;
}

function rfc3339(t: GoTime, nanos: "none" | "trim" | "fixed"): string {
  const p = parts(t);
  let frac = "";
  if (nanos === "fixed") frac = `.${pad(p.nanos, 9)}`;
  else if (nanos === "trim" && p.nanos !== 0) frac = `.${pad(p.nanos, 9).replace(/0+$/, "")}`;
  return `${year(p.y)}-${pad(p.mo, 2)}-${pad(p.d, 2)}T${pad(p.h, 2)}:${pad(p.mi, 2)}:${pad(p.s, 2)}${frac}${offsetText(t.offset, true, true)}`;
}

/** time.RFC3339: "2006-01-02T15:04:05Z07:00". */
export function formatRfc3339(t: GoTime): string {
  return rfc3339(t, "none");
}

/** time.RFC3339Nano: "2006-01-02T15:04:05.999999999Z07:00" (what time.Time's JSON holds). */
export function formatRfc3339Nano(t: GoTime): string {
  return rfc3339(t, "trim");
}

/** docker's rfc3339NanoFixed: "2006-01-02T15:04:05.000000000Z07:00" (the events line). */
export function formatRfc3339NanoFixed(t: GoTime): string {
  return rfc3339(t, "fixed");
}

/** Parses RFC 3339 (what time.Time.UnmarshalJSON accepts); undefined when malformed. */
export function parseRfc3339(text: string): GoTime | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([-+])(\d{2}):(\d{2}))$/.exec(
      text,
    );
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, z, sign, oh, om] = m;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  const ms = date.getTime();
  if (Number.isNaN(ms)) return undefined;
  const secs = BigInt(Math.floor(ms / 1000));
  const nanos = BigInt((frac ?? "").padEnd(9, "0") || "0");
  const offset = z ? 0 : (sign === "-" ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60);
  const utcSecs = secs - BigInt(offset);
  return { ns: utcSecs * 1_000_000_000n + nanos, offset, zone: z || offset === 0 ? "UTC" : "" };
}

function fmtFrac(v: bigint, prec: number): [string, bigint] {
  // Omit trailing zeros up to and including the decimal point.
  let w = "";
  let print = false;
  let x = v;
  for (let i = 0; i < prec; i++) {
    const digit = x % 10n;
    print = print || digit !== 0n;
    if (print) w = String(digit) + w;
    x /= 10n;
  }
  if (print) w = `.${w}`;
  return [w, x];
}

/** time.Duration.String(): "72h3m0.5s", "1.5ms", "0s". */
export function durationString(d: bigint): string {
  if (d === 0n) return "0s";
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < 1_000_000_000n) {
    let prec: number;
    let unit: string;
    if (u < 1000n) {
      return `${neg ? "-" : ""}${u}ns`;
    } else if (u < 1_000_000n) {
      prec = 3;
      unit = "µs";
    } else {
      prec = 6;
      unit = "ms";
    }
    const [frac, rest] = fmtFrac(u, prec);
    out = `${rest}${frac}${unit}`;
  } else {
    const [frac, rest] = fmtFrac(u, 9);
    u = rest;
    out = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return (neg ? "-" : "") + out;
}
