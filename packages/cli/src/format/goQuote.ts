/**
 * strconv.Quote, QuoteToASCII, QuoteRune and Unquote over byte strings: what `%q`, docker's quoted
 * COMMAND column and the template parser's string literals use.
 * Pure. Rules: Go strconv/quote.go.
 */
import { decodeRune, encodeRune, isPrintRune, RUNE_ERROR } from "./goString.js";

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

function appendEscaped(r: number, width: number, quote: number, asciiOnly: boolean): string {
  if (r === RUNE_ERROR && width === 1) return "";
  if (r === quote || r === 0x5c) return `\\${String.fromCharCode(r)}`;
  if (asciiOnly) {
    if (r < 0x80 && isPrintRune(r)) return String.fromCharCode(r);
  } else if (isPrintRune(r)) {
    return encodeRune(r);
  }
  switch (r) {
    case 0x07:
      return "\\a";
    case 0x08:
      return "\\b";
    case 0x0c:
      return "\\f";
    case 0x0a:
      return "\\n";
    case 0x0d:
      return "\\r";
    case 0x09:
      return "\\t";
    case 0x0b:
      return "\\v";
  }
  if (r < 0x20 || r === 0x7f) return `\\x${hex(r, 2)}`;
  if (r < 0x10000) return `\\u${hex(r, 4)}`;
  return `\\U${hex(r, 8)}`;
}

function quoteWith(s: string, quote: number, asciiOnly: boolean): string {
  let out = String.fromCharCode(quote);
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    if (r === RUNE_ERROR && w === 1) out += `\\x${hex(s.charCodeAt(i), 2)}`;
    else out += appendEscaped(r, w, quote, asciiOnly);
    i += w;
  }
  return out + String.fromCharCode(quote);
}

/** strconv.Quote (byte string in, byte string out). */
export function goQuote(s: string): string {
  return quoteWith(s, 0x22, false);
}

/** strconv.Quote of a JavaScript string (its UTF-8 bytes), as a JavaScript string: `%q` in a message. */
export function goQuoteText(s: string): string {
  return Buffer.from(goQuote(Buffer.from(s, "utf8").toString("latin1")), "latin1").toString("utf8");
}

/** strconv.QuoteToASCII. */
export function goQuoteToAscii(s: string): string {
  return quoteWith(s, 0x22, true);
}

/** strconv.QuoteRune (QuoteRuneToASCII when asciiOnly). */
export function goQuoteRune(r: number, asciiOnly = false): string {
  let c = r;
  if (c < 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) c = RUNE_ERROR;
  return `'${appendEscaped(c, 0, 0x27, asciiOnly)}'`;
}

/** strconv.CanBackquote. */
export function canBackquote(s: string): boolean {
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    if (w > 1) {
      if (r === 0xfeff) return false;
      i += w;
      continue;
    }
    if (r === RUNE_ERROR) return false;
    if ((r < 0x20 && r !== 0x09) || r === 0x60 || r === 0x7f) return false;
    i += w;
  }
  return true;
}

/** strconv.ErrSyntax, as the parser reports it. */
export class GoSyntaxError extends Error {
  constructor() {
    super("invalid syntax");
  }
}

/** strconv.UnquoteChar: [rune or byte, multibyte, tail]. `byteValue` when \x or octal gave a raw byte. */
export function unquoteChar(s: string, quote: number): { value: number; byte: boolean; tail: string } {
  const c = s.charCodeAt(0);
  if (c === quote && (quote === 0x27 || quote === 0x22)) throw new GoSyntaxError();
  if (c >= 0x80) {
    const [r, w] = decodeRune(s, 0);
    return { value: r, byte: false, tail: s.slice(w) };
  }
  if (c !== 0x5c) return { value: c, byte: false, tail: s.slice(1) };
  if (s.length <= 1) throw new GoSyntaxError();
  const e = s[1];
  let rest = s.slice(2);
  switch (e) {
    case "a":
      return { value: 7, byte: false, tail: rest };
    case "b":
      return { value: 8, byte: false, tail: rest };
    case "f":
      return { value: 12, byte: false, tail: rest };
    case "n":
      return { value: 10, byte: false, tail: rest };
    case "r":
      return { value: 13, byte: false, tail: rest };
    case "t":
      return { value: 9, byte: false, tail: rest };
    case "v":
      return { value: 11, byte: false, tail: rest };
    case "x":
    case "u":
    case "U": {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      if (rest.length < n) throw new GoSyntaxError();
      const digits = rest.slice(0, n);
      if (!/^[0-9a-fA-F]+$/.test(digits)) throw new GoSyntaxError();
      const v = Number.parseInt(digits, 16);
      rest = rest.slice(n);
      if (e === "x") return { value: v, byte: true, tail: rest };
      if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw new GoSyntaxError();
      return { value: v, byte: false, tail: rest };
    }
    case "0":
    case "1":
    case "2":
    case "3":
    case "4":
    case "5":
    case "6":
    case "7": {
      const digits = s.slice(1, 4);
      if (!/^[0-7]{3}$/.test(digits)) throw new GoSyntaxError();
      const v = Number.parseInt(digits, 8);
      if (v > 255) throw new GoSyntaxError();
      return { value: v, byte: true, tail: s.slice(4) };
    }
    case "\\":
      return { value: 0x5c, byte: false, tail: rest };
    case "'":
    case '"':
      if (e.charCodeAt(0) !== quote) throw new GoSyntaxError();
      return { value: e.charCodeAt(0), byte: false, tail: rest };
  }
  throw new GoSyntaxError();
}

/** strconv.Unquote for "…", `…` and '…' literals (byte strings). */
export function goUnquote(s: string): string {
  const n = s.length;
  if (n < 2) throw new GoSyntaxError();
  const quote = s.charCodeAt(0);
  if (quote !== s.charCodeAt(n - 1)) throw new GoSyntaxError();
  const body = s.slice(1, n - 1);
  if (quote === 0x60) {
    if (body.includes("`")) throw new GoSyntaxError();
    return body.replaceAll("\r", "");
  }
  if (quote !== 0x22 && quote !== 0x27) throw new GoSyntaxError();
  if (body.includes("\n")) throw new GoSyntaxError();
  let out = "";
  let rest = body;
  while (rest.length > 0) {
    const { value, byte, tail } = unquoteChar(rest, quote);
    out += byte ? String.fromCharCode(value) : encodeRune(value);
    rest = tail;
    if (quote === 0x27 && rest.length > 0) throw new GoSyntaxError();
  }
  if (quote === 0x27 && out.length === 0) throw new GoSyntaxError();
  return out;
}
