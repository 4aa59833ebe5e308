/**
 * Request bodies read as moby's `httputils.ReadJSON` reads them: Go's json.Decoder, its syntax errors
 * word for word (Go encoding/json scanner.go), "unexpected EOF" for a value cut short, and
 * `Decoder.More` for what follows the value.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { readJson } from "../src/readJson.js";

const refusal = (text: string): string => {
  try {
    readJson(Buffer.from(text, "latin1"));
  } catch (e) {
    return (e as Error).message;
  }
  return "accepted";
};

describe("readJson", () => {
  test.each([
    ["{bad}", "invalid JSON: invalid character 'b' looking for beginning of object key string"],
    ["{'a':1}", "invalid JSON: invalid character '\\'' looking for beginning of object key string"],
    ['{"a" 1}', "invalid JSON: invalid character '1' after object key"],
    ['{"a":1 "b":2}', "invalid JSON: invalid character '\"' after object key:value pair"],
    ['{"a":1,}', "invalid JSON: invalid character '}' looking for beginning of object key string"],
    ['{"a":}', "invalid JSON: invalid character '}' looking for beginning of value"],
    ["[1,]", "invalid JSON: invalid character ']' looking for beginning of value"],
    ["[1 2]", "invalid JSON: invalid character '2' after array element"],
    ['{"a":01}', "invalid JSON: invalid character '1' after object key:value pair"],
    ['{"a":-x}', "invalid JSON: invalid character 'x' in numeric literal"],
    ['{"a":1.}', "invalid JSON: invalid character '}' after decimal point in numeric literal"],
    ['{"a":1e}', "invalid JSON: invalid character '}' in exponent of numeric literal"],
    ['{"a":tru}', "invalid JSON: invalid character '}' in literal true (expecting 'e')"],
    ['{"a":nil}', "invalid JSON: invalid character 'i' in literal null (expecting 'u')"],
    ['{"a":fals}', "invalid JSON: invalid character '}' in literal false (expecting 'e')"],
    ['{"a":"x\\q"}', "invalid JSON: invalid character 'q' in string escape code"],
    ['{"a":"\\u12G4"}', "invalid JSON: invalid character 'G' in \\u hexadecimal character escape"],
    ['{"a":"\t"}', "invalid JSON: invalid character '\\t' in string literal"],
    ['{"a":"\x01"}', "invalid JSON: invalid character '\\x01' in string literal"],
    ["\xe9", "invalid JSON: invalid character 'é' looking for beginning of value"],
    ["\x85", "invalid JSON: invalid character '\\u0085' looking for beginning of value"],
    ["\\", "invalid JSON: invalid character '\\\\' looking for beginning of value"],
    ['{"a":1', "invalid JSON: unexpected EOF"],
    ["[", "invalid JSON: unexpected EOF"],
    ['"abc', "invalid JSON: unexpected EOF"],
    ["tru", "invalid JSON: unexpected EOF"],
    ["-", "invalid JSON: unexpected EOF"],
    [" \n\t", "invalid JSON: got EOF while reading request body"],
    ['{"a":1}x', "unexpected content after JSON"],
    ["1 2", "unexpected content after JSON"],
    ["01", "unexpected content after JSON"],
    ["[".repeat(10001), "invalid JSON: invalid character '[' exceeded max depth"],
  ])("%j is refused: %s", (text, message) => {
    expect(refusal(text)).toBe(message);
  });

  test("a value is read whole; spaces and closing brackets after it are let through (Decoder.More)", () => {
    expect(readJson(Buffer.from(' {"a": [1, 2.5e3, true, null, "x\\u00e9"]} \n'))).toEqual({
      a: [1, 2500, true, null, "xé"],
    });
    expect(readJson(Buffer.from('{"a":1}}'))).toEqual({ a: 1 });
    expect(readJson(Buffer.from("[]]"))).toEqual([]);
    expect(readJson(Buffer.from("123"))).toBe(123);
  });

  test("property: every JSON text is read back as JSON.parse reads it, with any spaces around", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom("", " ", "\n\t "), (value, pad) => {
        const text = `${pad}${JSON.stringify(value)}${pad}`;
        expect(readJson(Buffer.from(text))).toEqual(JSON.parse(text));
      }),
    );
  });

  test("property: a JSON text cut short is 'unexpected EOF' (or got EOF when nothing is left), never accepted", () => {
    fc.assert(
      fc.property(
        fc.jsonValue().filter((v) => typeof v === "object" && v !== null),
        fc.nat(),
        (value, n) => {
          const text = JSON.stringify(value);
          const cut = text.slice(0, n % text.length);
          const expected =
            cut.trim() === ""
              ? "invalid JSON: got EOF while reading request body"
              : "invalid JSON: unexpected EOF";
          expect(refusal(cut)).toBe(expected);
        },
      ),
    );
  });
});
