/**
 * The typed flag values of docker's CLI (pflag): an `int` is Go's strconv.ParseInt(s, 0, 64), a
 * `duration` time.ParseDuration, a switch's `=value` strconv.ParseBool. Each parser answers the value or
 * the error text Go prints (`strconv.ParseInt: parsing "x": invalid syntax`), checked in the same order
 * as Go (an overflow met before a bad character is a range error). Pure.
 * Rules: Go strconv/atoi.go, strconv/atob.go, time/format.go (ParseDuration).
 */
import { goQuoteText } from "./format/goQuote.js";

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 0, 64). */
export function parseGoInt64(s: string): Parsed<bigint> {
  const fail = (why: string): Parsed<bigint> => ({
    ok: false,
    error: `strconv.ParseInt: parsing ${goQuoteText(s)}: ${why}`,
  });
  let body = s;
  let neg = false;
  if (body[0] === "+" || body[0] === "-") {
    neg = body[0] === "-";
    body = body.slice(1);
  }
  const u = parseUint64(body);
  if (u === "syntax") return fail("invalid syntax");
  if (u === "range") return fail("value out of range");
  if (!neg && u > INT64_MAX) return fail("value out of range");
  if (neg && u > INT64_MAX + 1n) return fail("value out of range");
  return { ok: true, value: neg ? -u : u };
}

/** strconv.ParseUint(s, 0, 64) without its sign handling: the value, or which error Go meets first. */
function parseUint64(s0: string): bigint | "syntax" | "range" {
  if (s0 === "") return "syntax";
  let s = s0;
  let base = 10n;
  const base0 = true;
  if (s[0] === "0") {
    const c = (s[1] ?? "").toLowerCase();
    if (s.length >= 3 && c === "b") [base, s] = [2n, s.slice(2)];
    else if (s.length >= 3 && c === "o") [base, s] = [8n, s.slice(2)];
    else if (s.length >= 3 && c === "x") [base, s] = [16n, s.slice(2)];
    else [base, s] = [8n, s.slice(1)];
  }
  const max = 2n ** 64n - 1n;
  let n = 0n;
  let underscores = false;
  for (const c of s) {
    let d: bigint;
    const lower = c.toLowerCase();
    if (c === "_" && base0) {
      underscores = true;
      continue;
    }
    if (c >= "0" && c <= "9") d = BigInt(c.charCodeAt(0) - 48);
    else if (c.length === 1 && lower >= "a" && lower <= "z") d = BigInt(lower.charCodeAt(0) - 87);
    else return "syntax";
    if (d >= base) return "syntax";
    n = n * base + d;
    if (n > max) return "range";
  }
  if (underscores && !underscoreOK(s0)) return "syntax";
  return n;
}

/** Go's underscoreOK: `_` only between digits, or right after a base prefix. */
function underscoreOK(s0: string): boolean {
  let s = s0;
  let saw = "^";
  let i = 0;
  if (s[0] === "-" || s[0] === "+") s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === "0" && "bBoOxX".includes(s[1] as string)) {
    hex = "xX".includes(s[1] as string);
    i = 2;
    saw = "0";
  }
  for (; i < s.length; i++) {
    const c = s[i] as string;
    if ((c >= "0" && c <= "9") || (hex && /[a-fA-F]/.test(c))) saw = "0";
    else if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
    } else {
      if (saw === "_") return false;
      saw = "!";
    }
  }
  return saw !== "_";
}

const UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n, // U+00B5
  μs: 1_000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/**
 * time's own quote for its errors: ASCII as it is (`"` and `\` escaped), any other byte (non-ASCII,
 * control) as `\xHH`.
 */
function timeQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c >= 0x80 || c < 0x20)
      for (const b of Buffer.from(ch, "utf8")) out += `\\x${b.toString(16).padStart(2, "0")}`;
    else out += c === 0x22 || c === 0x5c ? `\\${ch}` : ch;
  }
  return `${out}"`;
}

/** time.ParseDuration: nanoseconds (a fraction scaled in float64, as Go does). */
export function parseGoDuration(orig: string): Parsed<bigint> {
  const invalid: Parsed<bigint> = { ok: false, error: `time: invalid duration ${timeQuote(orig)}` };
  const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
  const LIMIT = 2n ** 63n;
  let s = orig;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return { ok: true, value: 0n };
  if (s === "") return invalid;
  let d = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) return invalid;
    // leadingInt
    let v = 0n;
    let i = 0;
    for (; isDigit(s[i]); i++) {
      if (v > LIMIT / 10n) return invalid;
      v = v * 10n + BigInt(Number(s[i]));
      if (v > LIMIT) return invalid;
    }
    const pre = i > 0;
    s = s.slice(i);
    // leadingFraction
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === ".") {
      s = s.slice(1);
      let overflow = false;
      let j = 0;
      for (; isDigit(s[j]); j++) {
        if (overflow) continue;
        if (f > INT64_MAX / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(Number(s[j]));
        if (y > LIMIT) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) return invalid;
    let k = 0;
    while (k < s.length && s[k] !== "." && !isDigit(s[k])) k++;
    if (k === 0) return { ok: false, error: `time: missing unit in duration ${timeQuote(orig)}` };
    const u = s.slice(0, k);
    s = s.slice(k);
    const unit = UNITS[u];
    if (unit === undefined)
      return { ok: false, error: `time: unknown unit ${timeQuote(u)} in duration ${timeQuote(orig)}` };
    if (v > LIMIT / unit) return invalid;
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > LIMIT) return invalid;
    }
    d += v;
    if (d > LIMIT) return invalid;
  }
  if (neg) return { ok: true, value: -d };
  if (d > INT64_MAX) return invalid;
  return { ok: true, value: d };
}

/** strconv.ParseBool. */
export function parseGoBool(s: string): Parsed<boolean> {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return { ok: true, value: true };
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return { ok: true, value: false };
  return { ok: false, error: `strconv.ParseBool: parsing ${goQuoteText(s)}: invalid syntax` };
}
