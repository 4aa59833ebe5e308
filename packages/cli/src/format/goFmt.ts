/**
 * Go's fmt over GoValues: Sprint, Sprintln and Sprintf with Go's verbs, flags, width and precision,
 * Stringer/error methods, and the `%!d(string=x)`, `%!(EXTRA …)`, `%!s(MISSING)` forms for mistakes.
 * Values print as Go prints them: `map[a:b c:d]` (keys sorted), `[a b]`, `{f1 f2}`, `&{…}` for a pointer
 * to a struct at the top, `<nil>`, floats with %g's shortest digits (1e+06 from a million on).
 * Strings in and out are byte strings (goString.ts). Pure. Rules: Go fmt/print.go and fmt/format.go.
 */

import { type GoValue, isFloatKind, isIntKind, isUintKind, T } from "./GoType.js";
import { elem, elements, fieldByIndex, isNilValue, methodByName, sortedEntries } from "./GoValue.js";
import { formatFloat } from "./goFloat.js";
import { canBackquote, goQuote, goQuoteRune, goQuoteToAscii } from "./goQuote.js";
import { decodeRune, encodeRune, RUNE_ERROR, runeCount } from "./goString.js";

/** An argument to fmt: a value, or null for a nil interface. */
export type FmtArg = GoValue | null;

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  wid: number;
  widPresent: boolean;
  prec: number;
  precPresent: boolean;
}

function clearFlags(): Flags {
  return {
    plus: false,
    minus: false,
    sharp: false,
    space: false,
    zero: false,
    plusV: false,
    sharpV: false,
    wid: 0,
    widPresent: false,
    prec: 0,
    precPresent: false,
  };
}

/** A fake address for pointers printed as addresses (Go prints the real one, which cannot be reproduced). */
const FAKE_ADDRESS = "0xc000010000";

class Printer {
  buf = "";
  f: Flags = clearFlags();
  erroring = false;
  arg: FmtArg | undefined = undefined;
  value: GoValue | undefined = undefined;

  writePadding(n: number): void {
    if (n <= 0) return;
    const pad = this.f.zero && !this.f.minus ? "0" : " ";
    this.buf += pad.repeat(n);
  }

  pad(s: string): void {
    if (!this.f.widPresent || this.f.wid === 0) {
      this.buf += s;
      return;
    }
    const width = this.f.wid - runeCount(s);
    if (!this.f.minus) {
      this.writePadding(width);
      this.buf += s;
    } else {
      this.buf += s;
      this.writePadding(width);
    }
  }

  truncate(s: string): string {
    if (!this.f.precPresent) return s;
    let n = this.f.prec;
    for (let i = 0; i < s.length; ) {
      n--;
      if (n < 0) return s.slice(0, i);
      i += decodeRune(s, i)[1];
    }
    return s;
  }

  fmtS(s: string): void {
    this.pad(this.truncate(s));
  }

  fmtSx(s: string, upper: boolean): void {
    const digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    let length = s.length;
    if (this.f.precPresent && this.f.prec < length) length = this.f.prec;
    let out = "";
    for (let i = 0; i < length; i++) {
      if (this.f.space && i > 0) out += " ";
      if (this.f.sharp && (this.f.space || i === 0)) out += upper ? "0X" : "0x";
      const c = s.charCodeAt(i);
      out += (digits[c >> 4] ?? "") + (digits[c & 15] ?? "");
    }
    const savedZero = this.f.zero;
    if (this.f.widPresent && this.f.wid > out.length && !this.f.minus) this.f.zero = savedZero;
    this.pad(out);
  }

  fmtQ(s: string): void {
    const t = this.truncate(s);
    if (this.f.sharp && canBackquote(t)) this.pad(`\`${t}\``);
    else if (this.f.plus) this.pad(goQuoteToAscii(t));
    else this.pad(goQuote(t));
  }

  fmtInteger(value: bigint, base: number, signed: boolean, verb: string, upper: boolean): void {
    let u = value;
    const negative = signed && u < 0n;
    if (negative) u = -u;
    let prec = 0;
    if (this.f.precPresent) {
      prec = this.f.prec;
      if (prec === 0 && u === 0n) {
        const oldZero = this.f.zero;
        this.f.zero = false;
        this.writePadding(this.f.wid);
        this.f.zero = oldZero;
        return;
      }
    } else if (this.f.zero && !this.f.minus && this.f.widPresent) {
      prec = this.f.wid;
      if (negative || this.f.plus || this.f.space) prec--;
    }
    let digits = u.toString(base);
    if (upper) digits = digits.toUpperCase();
    while (digits.length < prec) digits = `0${digits}`;
    if (this.f.sharp) {
      if (base === 2) digits = `0b${digits}`;
      else if (base === 8 && !digits.startsWith("0")) digits = `0${digits}`;
      else if (base === 16) digits = `${upper ? "0X" : "0x"}${digits}`;
    }
    if (verb === "O") digits = `0o${digits}`;
    if (negative) digits = `-${digits}`;
    else if (this.f.plus) digits = `+${digits}`;
    else if (this.f.space) digits = ` ${digits}`;
    const oldZero = this.f.zero;
    this.f.zero = false;
    this.pad(digits);
    this.f.zero = oldZero;
  }

  fmtFloatValue(v: number, verb: string, defPrec: number): void {
    const prec = this.f.precPresent ? this.f.prec : defPrec;
    const fmtVerb = verb === "v" ? "g" : (verb as "e" | "E" | "f" | "F" | "g" | "G");
    let num = formatFloat(v, fmtVerb, prec);
    if (num[0] !== "-" && num[0] !== "+") num = `+${num}`;
    if (this.f.space && num[0] === "+" && !this.f.plus) num = ` ${num.slice(1)}`;
    if (num[1] === "I" || num[1] === "N") {
      const oldZero = this.f.zero;
      this.f.zero = false;
      if (num[1] === "N" && !this.f.space && !this.f.plus) num = num.slice(1);
      this.pad(num);
      this.f.zero = oldZero;
      return;
    }
    if (this.f.sharp && verb !== "b") {
      let digits = 0;
      if (verb === "v" || verb === "g" || verb === "G") digits = prec === -1 ? 6 : prec;
      let tail = "";
      let body = num;
      let hasDot = false;
      let sawNonzero = false;
      for (let i = 1; i < body.length; i++) {
        const c = body[i];
        if (c === ".") hasDot = true;
        else if (c === "e" || c === "E") {
          tail = body.slice(i);
          body = body.slice(0, i);
          break;
        } else {
          if (c !== "0") sawNonzero = true;
          if (sawNonzero) digits--;
        }
      }
      if (!hasDot) {
        if (body.length === 2 && body[1] === "0") digits--;
        body += ".";
      }
      while (digits > 0) {
        body += "0";
        digits--;
      }
      num = body + tail;
    }
    if (this.f.plus || num[0] !== "+") {
      if (this.f.zero && !this.f.minus && this.f.widPresent && this.f.wid > num.length) {
        this.buf += num[0];
        this.writePadding(this.f.wid - num.length);
        this.buf += num.slice(1);
        return;
      }
      this.pad(num);
      return;
    }
    this.pad(num.slice(1));
  }

  badVerb(verb: string): void {
    this.erroring = true;
    this.buf += `%!${verb}(`;
    if (this.arg !== undefined && this.arg !== null) {
      this.buf += `${this.arg.t.name}=`;
      this.printArg(this.arg, "v");
    } else if (this.value !== undefined) {
      this.buf += `${this.value.t.name}=`;
      this.printValue(this.value, "v", 0);
    } else {
      this.buf += "<nil>";
    }
    this.buf += ")";
    this.erroring = false;
  }

  fmtBool(b: boolean, verb: string): void {
    if (verb === "t" || verb === "v") this.pad(b ? "true" : "false");
    else this.badVerb(verb);
  }

  fmtIntegerVerb(v: bigint, signed: boolean, verb: string): void {
    switch (verb) {
      case "v":
        if (this.f.sharpV && !signed) {
          this.f.sharp = true;
          this.fmtInteger(v, 16, false, verb, false);
        } else this.fmtInteger(v, 10, signed, verb, false);
        return;
      case "d":
        this.fmtInteger(v, 10, signed, verb, false);
        return;
      case "b":
        this.fmtInteger(v, 2, signed, verb, false);
        return;
      case "o":
      case "O":
        this.fmtInteger(v, 8, signed, verb, false);
        return;
      case "x":
        this.fmtInteger(v, 16, signed, verb, false);
        return;
      case "X":
        this.fmtInteger(v, 16, signed, verb, true);
        return;
      case "c":
        this.pad(encodeRune(Number(v > 0x10ffffn || v < 0n ? BigInt(RUNE_ERROR) : v)));
        return;
      case "q":
        this.pad(goQuoteRune(Number(v > 0x10ffffn || v < 0n ? BigInt(RUNE_ERROR) : v), this.f.plus));
        return;
      case "U": {
        let s = `U+${v.toString(16).toUpperCase().padStart(4, "0")}`;
        const r = Number(v);
        if (this.f.sharp && v >= 0n && v <= 0x10ffffn) s += ` '${encodeRune(r)}'`;
        const oldZero = this.f.zero;
        this.f.zero = false;
        this.pad(s);
        this.f.zero = oldZero;
        return;
      }
    }
    this.badVerb(verb);
  }

  fmtFloatVerb(v: number, verb: string): void {
    switch (verb) {
      case "v":
        this.fmtFloatValue(v, "g", -1);
        return;
      case "g":
      case "G":
        this.fmtFloatValue(v, verb, -1);
        return;
      case "f":
      case "F":
      case "e":
      case "E":
        this.fmtFloatValue(v, verb, 6);
        return;
    }
    this.badVerb(verb);
  }

  fmtString(s: string, verb: string): void {
    switch (verb) {
      case "v":
        if (this.f.sharpV) this.fmtQ(s);
        else this.fmtS(s);
        return;
      case "s":
        this.fmtS(s);
        return;
      case "x":
        this.fmtSx(s, false);
        return;
      case "X":
        this.fmtSx(s, true);
        return;
      case "q":
        this.fmtQ(s);
        return;
    }
    this.badVerb(verb);
  }

  fmtPointer(v: GoValue, verb: string): void {
    const isNil = v.v === null;
    switch (verb) {
      case "v":
        if (this.f.sharpV) {
          this.buf += `(${v.t.name})(${isNil ? "nil" : FAKE_ADDRESS})`;
        } else if (isNil) this.pad("<nil>");
        else this.pad(FAKE_ADDRESS);
        return;
      case "p":
        this.pad(isNil ? "0x0" : FAKE_ADDRESS);
        return;
      case "b":
      case "o":
      case "d":
      case "x":
      case "X":
        this.fmtInteger(isNil ? 0n : 0xc000010000n, verb === "d" ? 10 : 16, false, verb, verb === "X");
        return;
    }
    this.badVerb(verb);
  }

  /** fmt's handleMethods: error and Stringer for the string-ish verbs. */
  handleMethods(arg: GoValue, verb: string): boolean {
    if (this.erroring) return false;
    if (this.f.sharpV) return false;
    if (!"vsxXq".includes(verb)) return false;
    for (const name of ["Error", "String"]) {
      const m = methodByName({ ...arg, addr: false }, name);
      if (!m || m.method.params.length > 0 || m.method.result.kind !== "string") continue;
      let s: string;
      try {
        s = m.method.call(m.recv, []).v as string;
      } catch (e) {
        if (arg.t.kind === "ptr" && arg.v === null) {
          this.pad("<nil>");
          return true;
        }
        this.buf += `%!${verb}(PANIC=${name} method: ${e instanceof Error ? e.message : String(e)})`;
        return true;
      }
      this.fmtString(s, verb);
      return true;
    }
    return false;
  }

  printArg(arg: FmtArg, verb: string): void {
    this.arg = arg;
    this.value = undefined;
    if (arg === null) {
      if (verb === "T" || verb === "v") this.pad("<nil>");
      else this.badVerb(verb);
      return;
    }
    if (verb === "T") {
      this.fmtS(arg.t.name);
      return;
    }
    if (verb === "p") {
      if (arg.t.kind === "ptr" || arg.t.kind === "map" || arg.t.kind === "slice") this.fmtPointer(arg, "p");
      else this.badVerb(verb);
      return;
    }
    if (!this.handleMethods(arg, verb)) this.printValue(arg, verb, 0);
  }

  printValue(value: GoValue | undefined, verb: string, depth: number): void {
    if (depth > 0 && value !== undefined) {
      this.arg = value;
      if (this.handleMethods(value, verb)) return;
    }
    this.arg = undefined;
    this.value = value;
    if (value === undefined) {
      if (depth === 0) this.pad("<invalid reflect.Value>");
      else if (verb === "v") this.pad("<nil>");
      else this.badVerb(verb);
      return;
    }
    const k = value.t.kind;
    if (k === "bool") {
      this.fmtBool(value.v as boolean, verb);
      return;
    }
    if (isIntKind(k) || isUintKind(k)) {
      this.fmtIntegerVerb(value.v as bigint, isIntKind(k), verb);
      return;
    }
    if (isFloatKind(k)) {
      this.fmtFloatVerb(value.v as number, verb);
      return;
    }
    switch (k) {
      case "string":
        this.fmtString(value.v as string, verb);
        return;
      case "map": {
        if (this.f.sharpV) {
          this.buf += value.t.name;
          if (value.v === null) {
            this.buf += "(nil)";
            return;
          }
          this.buf += "{";
        } else this.buf += "map[";
        sortedEntries(value).forEach(([key, v], i) => {
          if (i > 0) this.buf += this.f.sharpV ? ", " : " ";
          this.printValue(key, verb, depth + 1);
          this.buf += ":";
          this.printValue(unwrapField(v), verb, depth + 1);
        });
        this.buf += this.f.sharpV ? "}" : "]";
        return;
      }
      case "struct": {
        if (this.f.sharpV) this.buf += value.t.name;
        this.buf += "{";
        (value.t.fields ?? []).forEach((field, i) => {
          if (i > 0) this.buf += this.f.sharpV ? ", " : " ";
          if (this.f.plusV || this.f.sharpV) this.buf += `${field.name}:`;
          this.printValue(unwrapField(fieldByIndex(value, [i])), verb, depth + 1);
        });
        this.buf += "}";
        return;
      }
      case "interface":
      case "error": {
        const inner = value.v as GoValue | null;
        if (inner === null) {
          if (this.f.sharpV) this.buf += `${value.t.name}(nil)`;
          else this.buf += "<nil>";
        } else this.printValue(inner, verb, depth + 1);
        return;
      }
      case "array":
      case "slice": {
        const items = elements(value);
        if ("sqxX".includes(verb) && value.t.elem?.kind === "uint8") {
          const bytes = items.map((x) => String.fromCharCode(Number(x.v as bigint))).join("");
          this.fmtString(bytes, verb);
          return;
        }
        if (this.f.sharpV) {
          this.buf += value.t.name;
          if (k === "slice" && value.v === null) {
            this.buf += "(nil)";
            return;
          }
          this.buf += "{";
          items.forEach((x, i) => {
            if (i > 0) this.buf += ", ";
            this.printValue(x, verb, depth + 1);
          });
          this.buf += "}";
        } else {
          this.buf += "[";
          items.forEach((x, i) => {
            if (i > 0) this.buf += " ";
            this.printValue(x, verb, depth + 1);
          });
          this.buf += "]";
        }
        return;
      }
      case "ptr": {
        if (depth === 0 && value.v !== null) {
          const a = elem(value);
          if (
            a &&
            (a.t.kind === "array" || a.t.kind === "slice" || a.t.kind === "struct" || a.t.kind === "map")
          ) {
            this.buf += "&";
            this.printValue(a, verb, depth + 1);
            return;
          }
        }
        this.fmtPointer(value, verb);
        return;
      }
    }
    this.buf += `?${value.t.name}?`;
  }
}

/** fmt's getField: an interface field prints its dynamic value. */
function unwrapField(v: GoValue): GoValue | undefined {
  if (v.t.kind === "interface" && v.v !== null) return v.v as GoValue;
  return v;
}

/** The argument fmt receives for a value passed as interface{} (an interface's dynamic value). */
export function asFmtArg(v: GoValue | undefined): FmtArg {
  if (v === undefined) return null;
  if (v.t.kind === "interface") return (v.v as GoValue | null) ?? null;
  if (isNilValue(v) && v.t.kind === "error") return null;
  return v;
}

/** fmt.Sprint: spaces between operands when neither is a string. */
export function goSprint(args: readonly FmtArg[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = arg !== null && arg.t.kind === "string";
    if (i > 0 && !isString && !prevString) p.buf += " ";
    p.f = clearFlags();
    p.printArg(arg, "v");
    prevString = isString;
  });
  return p.buf;
}

/** fmt.Sprintln: spaces between all operands, and a newline. */
export function goSprintln(args: readonly FmtArg[]): string {
  const p = new Printer();
  args.forEach((arg, i) => {
    if (i > 0) p.buf += " ";
    p.f = clearFlags();
    p.printArg(arg, "v");
  });
  return `${p.buf}\n`;
}

function parseNum(s: string, start: number, end: number): [number, boolean, number] {
  if (start >= end) return [0, false, end];
  let num = 0;
  let isnum = false;
  let i = start;
  for (; i < end && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57; i++) {
    if (num > 1e6 || num < -1e6) return [0, false, end];
    num = num * 10 + (s.charCodeAt(i) - 48);
    isnum = true;
  }
  return [num, isnum, i];
}

/** fmt.Sprintf. */
export function goSprintf(format: string, args: readonly FmtArg[]): string {
  const p = new Printer();
  const end = format.length;
  let argNum = 0;
  let afterIndex = false;
  let reordered = false;
  let goodArgNum = true;

  const argNumber = (an: number, i: number): [number, number, boolean] => {
    if (i >= end || format[i] !== "[") return [an, i, false];
    reordered = true;
    for (let j = i + 1; j < end; j++) {
      if (format[j] === "]") {
        const [width, ok, newi] = parseNum(format, i + 1, j);
        if (!ok || newi !== j) {
          goodArgNum = false;
          return [an, j + 1, true];
        }
        const index = width - 1;
        if (index >= 0 && index < args.length) return [index, j + 1, true];
        goodArgNum = false;
        return [an, j + 1, true];
      }
    }
    goodArgNum = false;
    return [an, i + 1, false];
  };

  const intFromArg = (an: number): [number, boolean, number] => {
    let num = 0;
    let isInt = false;
    const a = args[an];
    if (an < args.length) {
      if (a && (isIntKind(a.t.kind) || isUintKind(a.t.kind))) {
        const n = a.v as bigint;
        if (n >= -(2n ** 63n) && n < 2n ** 63n) {
          num = Number(n);
          isInt = true;
        }
      }
      an++;
      if (num > 1e6 || num < -1e6) {
        num = 0;
        isInt = false;
      }
    }
    return [num, isInt, an];
  };

  for (let i = 0; i < end; ) {
    goodArgNum = true;
    const lasti = i;
    while (i < end && format[i] !== "%") i++;
    if (i > lasti) p.buf += format.slice(lasti, i);
    if (i >= end) break;
    i++;
    p.f = clearFlags();
    let simple = false;
    for (; i < end; i++) {
      const c = format[i] ?? "";
      if (c === "#") p.f.sharp = true;
      else if (c === "0") p.f.zero = true;
      else if (c === "+") p.f.plus = true;
      else if (c === "-") p.f.minus = true;
      else if (c === " ") p.f.space = true;
      else {
        if (c >= "a" && c <= "z" && argNum < args.length) {
          if (c === "v") {
            p.f.sharpV = p.f.sharp;
            p.f.sharp = false;
            p.f.plusV = p.f.plus;
            p.f.plus = false;
          }
          p.printArg(args[argNum] ?? null, c);
          argNum++;
          i++;
          simple = true;
        }
        break;
      }
    }
    if (simple) continue;

    [argNum, i, afterIndex] = argNumber(argNum, i);
    if (i < end && format[i] === "*") {
      i++;
      [p.f.wid, p.f.widPresent, argNum] = intFromArg(argNum);
      if (!p.f.widPresent) p.buf += "%!(BADWIDTH)";
      if (p.f.wid < 0) {
        p.f.wid = -p.f.wid;
        p.f.minus = true;
        p.f.zero = false;
      }
      afterIndex = false;
    } else {
      [p.f.wid, p.f.widPresent, i] = parseNum(format, i, end);
      if (afterIndex && p.f.widPresent) goodArgNum = false;
    }
    if (i + 1 < end && format[i] === ".") {
      i++;
      if (afterIndex) goodArgNum = false;
      [argNum, i, afterIndex] = argNumber(argNum, i);
      if (i < end && format[i] === "*") {
        i++;
        [p.f.prec, p.f.precPresent, argNum] = intFromArg(argNum);
        if (p.f.prec < 0) {
          p.f.prec = 0;
          p.f.precPresent = false;
        }
        if (!p.f.precPresent) p.buf += "%!(BADPREC)";
        afterIndex = false;
      } else {
        [p.f.prec, p.f.precPresent, i] = parseNum(format, i, end);
        if (!p.f.precPresent) {
          p.f.prec = 0;
          p.f.precPresent = true;
        }
      }
    }
    if (!afterIndex) [argNum, i, afterIndex] = argNumber(argNum, i);
    if (i >= end) {
      p.buf += "%!(NOVERB)";
      break;
    }
    let verb = format[i] ?? "";
    let size = 1;
    if (format.charCodeAt(i) >= 0x80) {
      const [r, w] = decodeRune(format, i);
      verb = encodeRune(r);
      size = w;
    }
    i += size;
    if (verb === "%") p.buf += "%";
    else if (!goodArgNum) p.buf += `%!${verb}(BADINDEX)`;
    else if (argNum >= args.length) p.buf += `%!${verb}(MISSING)`;
    else {
      if (verb === "v") {
        p.f.sharpV = p.f.sharp;
        p.f.sharp = false;
        p.f.plusV = p.f.plus;
        p.f.plus = false;
      }
      p.printArg(args[argNum] ?? null, verb);
      argNum++;
    }
  }
  if (!reordered && argNum < args.length) {
    p.f = clearFlags();
    p.buf += "%!(EXTRA ";
    args.slice(argNum).forEach((arg, i) => {
      if (i > 0) p.buf += ", ";
      if (arg === null) p.buf += "<nil>";
      else {
        p.buf += `${arg.t.name}=`;
        p.printArg(arg, "v");
      }
    });
    p.buf += ")";
  }
  return p.buf;
}

/** The type name %T prints for an argument. */
export function fmtTypeName(arg: FmtArg): string {
  return arg === null ? "<nil>" : arg.t.name;
}

/** A string value of type string (a convenience for callers building fmt arguments). */
export function fmtString(bytes: string): GoValue {
  return { t: T.string, v: bytes };
}
