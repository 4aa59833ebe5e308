/**
 * JSON text as the docker CLI receives it: parsed into a tree that keeps number literals as written (so
 * an int64 like a nanosecond timestamp keeps every digit) and strings as byte strings; and json.Indent,
 * which re-indents the daemon's raw bytes for `docker inspect` without touching any token.
 * Pure. Rules: RFC 8259; Go encoding/json (decoding of \u escapes, lone surrogates become U+FFFD;
 * Indent's layout with `{}` and `[]` kept empty).
 */
import { encodeRune, RUNE_ERROR } from "./goString.js";

/** A parsed JSON value. Object entries keep their order; strings are byte strings. */
export type RawJson =
  | { readonly kind: "null" }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "number"; readonly text: string }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "array"; readonly items: readonly RawJson[] }
  | { readonly kind: "object"; readonly entries: readonly (readonly [string, RawJson])[] };

/** Malformed JSON, with Go's wording where it matters ("invalid character 'x' looking for beginning of value"). */
export class RawJsonError extends Error {
  readonly code = "FORMAT_BAD_JSON";
}

function describe(c: string | undefined): string {
  if (c === undefined) return "end of JSON input";
  if (c === "'") return "invalid character '\\''";
  if (c === '"') return "invalid character '\"'";
  const code = c.charCodeAt(0);
  if (code < 0x20) return `invalid character '\\x${code.toString(16).padStart(2, "0")}'`;
  return `invalid character '${c}'`;
}

/** Parses JSON given as a byte string. */
export function parseRawJson(bytes: string): RawJson {
  let i = 0;
  const ws = () => {
    while (i < bytes.length) {
      const c = bytes[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") i++;
      else break;
    }
  };
  const fail = (what: string): never => {
    const c = bytes[i];
    if (c === undefined) throw new RawJsonError("unexpected end of JSON input");
    throw new RawJsonError(`${describe(c)} ${what}`);
  };
  const hex4 = (): number => {
    const h = bytes.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) fail("in \\u hexadecimal character escape");
    i += 4;
    return Number.parseInt(h, 16);
  };
  const str = (): string => {
    i++; // opening quote
    let out = "";
    for (;;) {
      const c = bytes[i];
      if (c === undefined) return fail("in string literal");
      if (c === '"') {
        i++;
        return out;
      }
      if (c === "\\") {
        i++;
        const e = bytes[i];
        i++;
        switch (e) {
          case '"':
          case "\\":
          case "/":
            out += e;
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case "n":
            out += "\n";
            break;
          case "r":
            out += "\r";
            break;
          case "t":
            out += "\t";
            break;
          case "u": {
            let r = hex4();
            if (r >= 0xd800 && r < 0xdc00) {
              if (bytes[i] === "\\" && bytes[i + 1] === "u") {
                const save = i;
                i += 2;
                const r2 = hex4();
                if (r2 >= 0xdc00 && r2 < 0xe000) r = 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00);
                else {
                  i = save;
                  r = RUNE_ERROR;
                }
              } else r = RUNE_ERROR;
            } else if (r >= 0xdc00 && r < 0xe000) r = RUNE_ERROR;
            out += encodeRune(r);
            break;
          }
          default:
            i--;
            fail("in string escape code");
        }
        continue;
      }
      if (c.charCodeAt(0) < 0x20) fail("in string literal");
      out += c;
      i++;
    }
  };
  const value = (): RawJson => {
    ws();
    const c = bytes[i];
    switch (c) {
      case "{": {
        i++;
        const entries: [string, RawJson][] = [];
        ws();
        if (bytes[i] === "}") {
          i++;
          return { kind: "object", entries };
        }
        for (;;) {
          ws();
          if (bytes[i] !== '"') fail("looking for beginning of object key string");
          const key = str();
          ws();
          if (bytes[i] !== ":") fail("after object key");
          i++;
          entries.push([key, value()]);
          ws();
          if (bytes[i] === ",") {
            i++;
            continue;
          }
          if (bytes[i] === "}") {
            i++;
            return { kind: "object", entries };
          }
          fail("after object key:value pair");
        }
      }
      case "[": {
        i++;
        const items: RawJson[] = [];
        ws();
        if (bytes[i] === "]") {
          i++;
          return { kind: "array", items };
        }
        for (;;) {
          items.push(value());
          ws();
          if (bytes[i] === ",") {
            i++;
            continue;
          }
          if (bytes[i] === "]") {
            i++;
            return { kind: "array", items };
          }
          fail("after array element");
        }
      }
      case '"':
        return { kind: "string", value: str() };
      case "t":
        if (bytes.startsWith("true", i)) {
          i += 4;
          return { kind: "bool", value: true };
        }
        break;
      case "f":
        if (bytes.startsWith("false", i)) {
          i += 5;
          return { kind: "bool", value: false };
        }
        break;
      case "n":
        if (bytes.startsWith("null", i)) {
          i += 4;
          return { kind: "null" };
        }
        break;
      default: {
        const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(bytes.slice(i, i + 400));
        if (m && m[0].length > 0 && m[0] !== "-") {
          i += m[0].length;
          return { kind: "number", text: m[0] };
        }
      }
    }
    return fail("looking for beginning of value");
  };
  const v = value();
  ws();
  if (i < bytes.length) fail("after top-level value");
  return v;
}

/**
 * json.Indent(dst, src, prefix, indent): the same tokens, one element per line, `{}` and `[]` when empty.
 * Leading whitespace is dropped and whitespace between tokens replaced.
 */
export function jsonIndent(src: string, prefix: string, indent: string): string {
  let out = "";
  let depth = 0;
  let needIndent = false;
  let inString = false;
  const newline = (d: number) => {
    out += `\n${prefix}${indent.repeat(d)}`;
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as string;
    if (inString) {
      out += c;
      if (c === "\\") {
        out += src[i + 1] ?? "";
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\t" || c === "\n" || c === "\r") continue;
    if (needIndent && c !== "}" && c !== "]") {
      needIndent = false;
      depth++;
      newline(depth);
    }
    switch (c) {
      case '"':
        inString = true;
        out += c;
        break;
      case "{":
      case "[":
        needIndent = true;
        out += c;
        break;
      case ",":
        out += c;
        newline(depth);
        break;
      case ":":
        out += ": ";
        break;
      case "}":
      case "]":
        if (needIndent) needIndent = false;
        else {
          depth--;
          newline(depth);
        }
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}
