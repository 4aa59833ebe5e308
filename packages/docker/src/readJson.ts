/**
 * A request body's JSON as moby's `httputils.ReadJSON` reads it, with its errors in its words: one
 * value read by Go's `json.Decoder` (its scanner's syntax errors, "invalid character 'b' looking for
 * beginning of object key string"; "unexpected EOF" for a value cut short; "got EOF while reading
 * request body" for nothing but spaces), then "unexpected content after JSON" when more than spaces
 * and closing brackets follow (`Decoder.More`). Each prefixed "invalid JSON: " as moby wraps them.
 * Pure. Rules: Go encoding/json scanner.go and stream.go; moby daemon/server/httputils/httputils.go.
 */
import { DockerApiError } from "./shapes/errors.js";

/** Go's maxNestingDepth. */
const MAX_DEPTH = 10000;

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHex = (c: number) => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

const C_ESCAPES: Readonly<Record<number, string>> = {
  7: "\\a",
  8: "\\b",
  12: "\\f",
  10: "\\n",
  13: "\\r",
  9: "\\t",
  11: "\\v",
};

/**
 * Go's `quoteChar(c)`: the byte as a rune U+0000–U+00FF, quoted as strconv.Quote quotes it, between
 * single quotes (`'\''` and `'"'` as they are).
 */
export function quoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return "'\"'";
  if (c === 0x5c) return "'\\\\'";
  const named = C_ESCAPES[c];
  if (named) return `'${named}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, "0")}'`;
  // U+0080–U+009F, U+00A0 and U+00AD are not printable for strconv.
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u00${c.toString(16).padStart(2, "0")}'`;
  return `'${String.fromCharCode(c)}'`;
}

class GoSyntaxError extends Error {}

type Frame = "key" | "value" | "array";

/**
 * The length in bytes of the JSON value at the start of `b` (after spaces), as Go's Decoder finds
 * it; throws GoSyntaxError with Go's text, or returns "eof" / "unexpected-eof" when the input ends
 * before a whole value (nothing but spaces / something).
 */
function scanValue(b: Uint8Array): number | "eof" | "unexpected-eof" {
  const stack: Frame[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new GoSyntaxError(`invalid character ${quoteChar(b[i] as number)} ${what}`);
  };
  const at = () => b[i] as number;
  const more = () => i < b.length;
  const skipSpace = () => {
    while (more() && isSpace(at())) i++;
  };
  const literal = (word: string) => {
    for (let k = 1; k < word.length; k++) {
      i++;
      if (!more()) return false;
      if (at() !== word.charCodeAt(k)) fail(`in literal ${word} (expecting '${word[k]}')`);
    }
    i++;
    return true;
  };
  const digits = () => {
    while (more() && isDigit(at())) i++;
  };
  /** A number; false when the input ends inside it where Go would need more. */
  const number = (): boolean => {
    if (at() === 0x2d) {
      i++;
      if (!more()) return false;
      if (!isDigit(at())) fail("in numeric literal");
    }
    if (at() === 0x30) i++;
    else digits();
    if (more() && at() === 0x2e) {
      i++;
      if (!more()) return false;
      if (!isDigit(at())) fail("after decimal point in numeric literal");
      digits();
    }
    if (more() && (at() === 0x65 || at() === 0x45)) {
      i++;
      if (more() && (at() === 0x2b || at() === 0x2d)) i++;
      if (!more()) return false;
      if (!isDigit(at())) fail("in exponent of numeric literal");
      digits();
    }
    return true;
  };
  /** A string from its opening quote; false when the input ends inside it. */
  const string = (): boolean => {
    i++;
    while (more()) {
      const c = at();
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) fail("in string literal");
      if (c === 0x5c) {
        i++;
        if (!more()) return false;
        const e = at();
        if (e === 0x75) {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!more()) return false;
            if (!isHex(at())) fail("in \\u hexadecimal character escape");
          }
        } else if (!'bfnrt\\/"'.includes(String.fromCharCode(e))) fail("in string escape code");
      }
      i++;
    }
    return false;
  };
  const push = (frame: Frame) => {
    if (stack.length >= MAX_DEPTH) fail("exceeded max depth");
    stack.push(frame);
  };

  skipSpace();
  if (!more()) return "eof";
  for (;;) {
    // A value begins (stateBeginValue), or an array's end right after its `[`.
    skipSpace();
    if (!more()) return "unexpected-eof";
    let c = at();
    let complete = true;
    if (c === 0x7b) {
      push("key");
      i++;
      skipSpace();
      if (!more()) return "unexpected-eof";
      if (at() === 0x7d) {
        stack.pop();
        i++;
      } else {
        if (at() !== 0x22) fail("looking for beginning of object key string");
        continue;
      }
    } else if (c === 0x5b) {
      push("array");
      i++;
      skipSpace();
      if (!more()) return "unexpected-eof";
      if (at() === 0x5d) {
        stack.pop();
        i++;
      } else continue;
    } else if (c === 0x22) complete = string();
    else if (c === 0x2d || isDigit(c)) complete = number();
    else if (c === 0x74) complete = literal("true");
    else if (c === 0x66) complete = literal("false");
    else if (c === 0x6e) complete = literal("null");
    else fail("looking for beginning of value");
    if (!complete) return "unexpected-eof";
    // After a value (stateEndValue): close what it ends, until a `,`/`:` asks for another value.
    for (;;) {
      if (stack.length === 0) return i;
      skipSpace();
      if (!more()) return "unexpected-eof";
      c = at();
      const top = stack[stack.length - 1] as Frame;
      if (top === "key") {
        if (c !== 0x3a) fail("after object key");
        stack[stack.length - 1] = "value";
        i++;
        break;
      }
      if (top === "value") {
        if (c === 0x2c) {
          stack[stack.length - 1] = "key";
          i++;
          skipSpace();
          if (!more()) return "unexpected-eof";
          if (at() !== 0x22) fail("looking for beginning of object key string");
          break;
        }
        if (c !== 0x7d) fail("after object key:value pair");
        stack.pop();
        i++;
        continue;
      }
      if (c === 0x2c) {
        i++;
        break;
      }
      if (c !== 0x5d) fail("after array element");
      stack.pop();
      i++;
    }
  }
}

/**
 * The body's one JSON value, or Docker's 400 in moby's words.
 *
 * @example
 * readJson(Buffer.from("{bad}")); // throws 400 "invalid JSON: invalid character 'b' looking for beginning of object key string"
 */
export function readJson(body: Uint8Array): unknown {
  let end: number | "eof" | "unexpected-eof";
  try {
    end = scanValue(body);
  } catch (e) {
    if (e instanceof GoSyntaxError) throw new DockerApiError(400, `invalid JSON: ${e.message}`);
    throw e;
  }
  if (end === "eof") throw new DockerApiError(400, "invalid JSON: got EOF while reading request body");
  if (end === "unexpected-eof") throw new DockerApiError(400, "invalid JSON: unexpected EOF");
  let rest = end;
  while (rest < body.length && isSpace(body[rest] as number)) rest++;
  if (rest < body.length && body[rest] !== 0x5d && body[rest] !== 0x7d)
    throw new DockerApiError(400, "unexpected content after JSON");
  return JSON.parse(Buffer.from(body.subarray(0, end)).toString("utf8"));
}
