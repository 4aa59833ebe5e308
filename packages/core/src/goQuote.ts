/**
 * Go's `strconv.Quote` (what `%q` prints), for the names runc and Go's os/exec quote in their errors.
 * Pure. Rules: Go strconv/quote.go — `"` and `\` escaped, `\a \b \f \n \r \t \v`, other control
 * characters as `\xNN`; Strata keeps every rune above U+007F as it is (Go escapes the unprintable ones).
 */

const C_ESCAPES: Readonly<Record<string, string>> = {
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

/**
 * @example
 * goQuote('/bin/a"b'); // the text "/bin/a\"b" with its quotes
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (C_ESCAPES[ch] !== undefined) out += C_ESCAPES[ch];
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return `${out}"`;
}
