/**
 * strconv.ParseInt/ParseUint (base 0: 0x, 0o, 0b and leading-0 octal prefixes, `_` separators) and
 * ParseFloat for the number literals of templates.
 * Pure. Rules: Go strconv/atoi.go and atof.go (underscoreOK).
 */

function underscoreOK(s0: string): boolean {
  let s = s0;
  let saw = "^";
  let i = 0;
  if (s.length >= 1 && (s[0] === "-" || s[0] === "+")) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === "0") {
    const c = (s[1] ?? "").toLowerCase();
    if (c === "b" || c === "o" || c === "x") {
      hex = c === "x";
      i = 2;
      saw = "0";
    }
  }
  for (; i < s.length; i++) {
    const c = s[i] ?? "";
    const lc = c.toLowerCase();
    if ((c >= "0" && c <= "9") || (hex && lc >= "a" && lc <= "f")) {
      saw = "0";
      continue;
    }
    if (c === "_") {
      if (saw !== "0") return false;
      saw = "_";
      continue;
    }
    if (saw === "_") return false;
    saw = "!";
  }
  return saw !== "_";
}

/** The value of an unsigned literal in base 0, or undefined (syntax error; `range` when it overflows). */
function parseUnsigned(s: string): bigint | "range" | undefined {
  if (s === "") return undefined;
  let base = 10;
  let digits = s;
  if (s[0] === "0") {
    const c = (s[1] ?? "").toLowerCase();
    if (s.length >= 3 && c === "b") {
      base = 2;
      digits = s.slice(2);
    } else if (s.length >= 3 && c === "o") {
      base = 8;
      digits = s.slice(2);
    } else if (s.length >= 3 && c === "x") {
      base = 16;
      digits = s.slice(2);
    } else {
      base = 8;
      digits = s.slice(1);
    }
  }
  const underscores = digits.includes("_");
  const clean = digits.replaceAll("_", "");
  if (clean === "" && !(base === 8 && s === "0")) {
    if (s === "0") return 0n;
    return undefined;
  }
  const valid = { 2: /^[01]*$/, 8: /^[0-7]*$/, 10: /^[0-9]*$/, 16: /^[0-9a-fA-F]*$/ }[
    base as 2 | 8 | 10 | 16
  ];
  if (!valid.test(clean)) return undefined;
  if (underscores && !underscoreOK(s)) return undefined;
  let n = 0n;
  for (const ch of clean) n = n * BigInt(base) + BigInt(Number.parseInt(ch, 16));
  if (n >= 2n ** 64n) return "range";
  return n;
}

/** strconv.ParseUint(s, 0, 64): undefined when it fails. */
export function parseGoUint(s: string): bigint | undefined {
  const r = parseUnsigned(s);
  return typeof r === "bigint" ? r : undefined;
}

/** strconv.ParseInt(s, 0, 64): undefined when it fails. */
export function parseGoInt(s: string): bigint | undefined {
  let neg = false;
  let body = s;
  if (s[0] === "+" || s[0] === "-") {
    neg = s[0] === "-";
    body = s.slice(1);
  }
  const r = parseUnsigned(body);
  if (typeof r !== "bigint") return undefined;
  const v = neg ? -r : r;
  if (v < -(2n ** 63n) || v > 2n ** 63n - 1n) return undefined;
  return v;
}

/** strconv.ParseFloat(s, 64): undefined when it fails (syntax or range). */
export function parseGoFloat(s: string): number | undefined {
  let body = s;
  let sign = 1;
  if (body[0] === "+" || body[0] === "-") {
    sign = body[0] === "-" ? -1 : 1;
    body = body.slice(1);
  }
  const lower = body.toLowerCase();
  if (lower === "inf" || lower === "infinity") return sign * Number.POSITIVE_INFINITY;
  if (lower === "nan") return Number.NaN;
  if (body.includes("_") && !underscoreOK(s)) return undefined;
  const clean = body.replaceAll("_", "");
  const hexm = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([-+]?\d+)$/.exec(clean);
  if (hexm) {
    const [, int = "", frac = "", exp = "0"] = hexm;
    if (int === "" && frac === "") return undefined;
    const mant = Number.parseInt(`${int}${frac}` || "0", 16);
    const v = mant * 2 ** (Number(exp) - 4 * frac.length);
    return Number.isFinite(v) ? sign * v : undefined;
  }
  if (!/^(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(clean)) return undefined;
  const v = Number(clean);
  if (!Number.isFinite(v)) return undefined;
  return sign * v;
}
