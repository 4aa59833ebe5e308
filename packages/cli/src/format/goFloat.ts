/**
 * Go's float formatting (strconv.FormatFloat with 'e', 'f', 'g' and -1 for the shortest form), which the
 * template engine's printing (`%v` is `%g` shortest, switching to an exponent at 1e+06), `printf` and
 * go-units' sizes (`%.3g`, so 999.95 kB prints `1e+03kB`) use. Fixed precision rounds the exact binary
 * value half to even, as Go does (1.125 to 3 digits is 1.12; JS toPrecision says 1.13).
 * Pure. Rules: Go strconv/ftoa.go and decimal.go.
 */

/** Decimal digits of a float: value = 0.d1d2d3… × 10^dp. `d` has no leading or trailing zeros. */
interface Decimal {
  d: string;
  dp: number;
}

/** The shortest digits that read back as `f` (|f| > 0, finite): what JS and Go both print. */
function shortestDecimal(f: number): Decimal {
  const s = Math.abs(f).toExponential(); // e.g. "1.2345e+2"
  const [mant = "0", exp = "0"] = s.split("e");
  const d = mant.replace(".", "").replace(/0+$/, "");
  return { d, dp: Number(exp) + 1 };
}

/** The exact decimal expansion of a finite, non-zero float. */
function exactDecimal(f: number): Decimal {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(f));
  const bits = buf.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let e: number;
  if (expBits === 0) {
    e = -1074;
  } else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  let digits: string;
  let dp: number;
  if (e >= 0) {
    digits = (mant << BigInt(e)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-e)).toString();
    dp = digits.length - -e;
  }
  const lead = digits.match(/^0*/)?.[0].length ?? 0;
  digits = digits.slice(lead);
  dp -= lead;
  return { d: digits.replace(/0+$/, ""), dp };
}

/** decimal.Round: to `nd` digits, half to even on an exact tie. */
function roundDecimal(a: Decimal, nd: number): Decimal {
  if (nd < 0) return { d: "", dp: a.dp };
  if (nd >= a.d.length) return a;
  const digit = a.d.charCodeAt(nd) - 48;
  let up: boolean;
  if (digit === 5 && nd + 1 === a.d.length) {
    up = nd > 0 && (a.d.charCodeAt(nd - 1) - 48) % 2 === 1;
  } else {
    up = digit >= 5;
  }
  if (!up) {
    const d = a.d.slice(0, nd).replace(/0+$/, "");
    return { d, dp: d === "" ? 0 : a.dp };
  }
  let i = nd - 1;
  while (i >= 0 && a.d[i] === "9") i--;
  if (i < 0) return { d: "1", dp: a.dp + 1 };
  return { d: a.d.slice(0, i) + String.fromCharCode(a.d.charCodeAt(i) + 1), dp: a.dp };
}

function fmtE(neg: boolean, digs: Decimal, prec: number, fmt: "e" | "E"): string {
  let out = neg ? "-" : "";
  out += digs.d.length === 0 ? "0" : (digs.d[0] ?? "0");
  if (prec > 0) {
    out += ".";
    for (let i = 1; i <= prec; i++) out += digs.d[i] ?? "0";
  }
  let exp = digs.dp - 1;
  if (digs.d.length === 0) exp = 0;
  out += fmt;
  out += exp < 0 ? "-" : "+";
  const a = Math.abs(exp);
  out += a < 10 ? `0${a}` : String(a);
  return out;
}

function fmtF(neg: boolean, digs: Decimal, prec: number): string {
  let out = neg ? "-" : "";
  if (digs.dp > 0) {
    let m = Math.min(digs.d.length, digs.dp);
    out += digs.d.slice(0, m);
    for (; m < digs.dp; m++) out += "0";
  } else {
    out += "0";
  }
  if (prec > 0) {
    out += ".";
    for (let i = 1; i <= prec; i++) {
      const j = digs.dp + i - 1;
      out += j >= 0 && j < digs.d.length ? digs.d[j] : "0";
    }
  }
  return out;
}

/** The verbs strconv.FormatFloat knows that the engine uses. */
export type FloatFormat = "e" | "E" | "f" | "F" | "g" | "G";

/**
 * strconv.FormatFloat(f, fmt, prec, 64).
 * @example formatFloat(1234567, "g", -1) // "1.234567e+06"
 */
export function formatFloat(f: number, fmt: FloatFormat, prec: number): string {
  if (Number.isNaN(f)) return "NaN";
  if (f === Number.POSITIVE_INFINITY) return "+Inf";
  if (f === Number.NEGATIVE_INFINITY) return "-Inf";
  const neg = f < 0 || Object.is(f, -0);
  const shortest = prec < 0;
  let digs: Decimal;
  let p = prec;
  const f2 = fmt === "F" ? "f" : fmt;
  if (f === 0) {
    digs = { d: "", dp: 0 };
    if (shortest) p = f2 === "g" || f2 === "G" ? 1 : 0;
  } else if (shortest) {
    digs = shortestDecimal(f);
    switch (f2) {
      case "e":
      case "E":
        p = digs.d.length - 1;
        break;
      case "f":
        p = Math.max(digs.d.length - digs.dp, 0);
        break;
      default:
        p = digs.d.length;
    }
  } else {
    const exact = exactDecimal(f);
    switch (f2) {
      case "e":
      case "E":
        digs = roundDecimal(exact, p + 1);
        break;
      case "f":
        digs = roundDecimal(exact, exact.dp + p);
        break;
      default:
        if (p === 0) p = 1;
        digs = roundDecimal(exact, p);
    }
  }
  switch (f2) {
    case "e":
    case "E":
      return fmtE(neg, digs, p, f2);
    case "f":
      return fmtF(neg, digs, p);
  }
  // 'g' / 'G'
  let eprec = p;
  if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
  if (shortest) eprec = 6;
  const exp = digs.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (p > digs.d.length) p = digs.d.length;
    return fmtE(neg, digs, p - 1, f2 === "g" ? "e" : "E");
  }
  if (p > digs.dp) p = digs.d.length;
  return fmtF(neg, digs, Math.max(p - digs.dp, 0));
}

/**
 * The text encoding/json writes for a float64: 'f' between 1e-6 and 1e21, else 'e' with a short
 * exponent (1e-07 becomes 1e-7), shortest digits.
 */
export function formatJsonFloat(f: number): string {
  const abs = Math.abs(f);
  let fmt: FloatFormat = "f";
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) fmt = "e";
  let s = formatFloat(f, fmt, -1);
  if (fmt === "e") {
    const m = s.match(/^(.*e[-+])0(\d)$/);
    if (m) s = `${m[1]}${m[2]}`;
  }
  return s;
}
