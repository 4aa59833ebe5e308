/**
 * Go strings are bytes: `len`, `index`, `slice` and `truncate` count bytes, `range`, `printf "%5s"` and
 * `title` count runes, and a cut in the middle of a rune leaves invalid UTF-8 that Go prints as is. The
 * template engine keeps every Go string as a "byte string": a JS string whose code units are the bytes
 * (0–255), converted from and to UTF-8 only at the edges (`toGoString`, `fromGoString`).
 * Pure: no I/O. Rules: Go's unicode/utf8 (an invalid byte decodes to U+FFFD with width 1).
 */

/** The byte string of a JS (UTF-16) string: its UTF-8 bytes, one code unit each. */
export function toGoString(text: string): string {
  // Fast path: ASCII is its own UTF-8.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for the ASCII range.
  if (/^[\u0000-\u007f]*$/.test(text)) return text;
  return Buffer.from(text, "utf8").toString("latin1");
}

/** The JS string a byte string spells in UTF-8 (invalid sequences become U+FFFD, as a terminal shows them). */
export function fromGoString(bytes: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for the ASCII range.
  if (/^[\u0000-\u007f]*$/.test(bytes)) return bytes;
  return Buffer.from(bytes, "latin1").toString("utf8");
}

/** The bytes of a byte string. */
export function goStringBytes(bytes: string): Buffer {
  return Buffer.from(bytes, "latin1");
}

/** U+FFFD, what an invalid byte decodes to. */
export const RUNE_ERROR = 0xfffd;

/** Decodes the rune at byte offset `i`: [rune, width] (utf8.DecodeRuneInString). */
export function decodeRune(s: string, i: number): [number, number] {
  const n = s.length - i;
  if (n <= 0) return [RUNE_ERROR, 0];
  const b0 = s.charCodeAt(i);
  if (b0 < 0x80) return [b0, 1];
  const cont = (k: number) => {
    const b = s.charCodeAt(i + k);
    return k < n && b >= 0x80 && b <= 0xbf ? b : -1;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    const b1 = cont(1);
    if (b1 < 0) return [RUNE_ERROR, 1];
    return [((b0 & 0x1f) << 6) | (b1 & 0x3f), 2];
  }
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const b1 = cont(1);
    if (b1 < 0 || (b0 === 0xe0 && b1 < 0xa0) || (b0 === 0xed && b1 > 0x9f)) return [RUNE_ERROR, 1];
    const b2 = cont(2);
    if (b2 < 0) return [RUNE_ERROR, 1];
    return [((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f), 3];
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const b1 = cont(1);
    if (b1 < 0 || (b0 === 0xf0 && b1 < 0x90) || (b0 === 0xf4 && b1 > 0x8f)) return [RUNE_ERROR, 1];
    const b2 = cont(2);
    if (b2 < 0) return [RUNE_ERROR, 1];
    const b3 = cont(3);
    if (b3 < 0) return [RUNE_ERROR, 1];
    return [((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f), 4];
  }
  return [RUNE_ERROR, 1];
}

/** Decodes the rune ending at byte offset `end` (utf8.DecodeLastRuneInString of s[:end]). */
export function decodeLastRune(s: string, end: number): [number, number] {
  if (end <= 0) return [RUNE_ERROR, 0];
  let start = end - 1;
  const b = s.charCodeAt(start);
  if (b < 0x80) return [b, 1];
  const lim = Math.max(end - 4, 0);
  for (start--; start >= lim; start--) {
    if ((s.charCodeAt(start) & 0xc0) !== 0x80) break;
  }
  if (start < 0) start = 0;
  const [r, size] = decodeRune(s.slice(0, end), start);
  if (start + size !== end) return [RUNE_ERROR, 1];
  return [r, size];
}

/** The runes of a byte string, as Go's `for _, r := range s` sees them. */
export function goRunes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    out.push(r);
    i += w;
  }
  return out;
}

/** utf8.RuneCountInString. */
export function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; ) {
    i += decodeRune(s, i)[1];
    n++;
  }
  return n;
}

/** The UTF-8 bytes of one rune, as a byte string (utf8.EncodeRune; invalid runes become U+FFFD). */
export function encodeRune(r: number): string {
  let c = r;
  if (c < 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) c = RUNE_ERROR;
  if (c < 0x80) return String.fromCharCode(c);
  if (c < 0x800) return String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
  if (c < 0x10000) return String.fromCharCode(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  return String.fromCharCode(
    0xf0 | (c >> 18),
    0x80 | ((c >> 12) & 0x3f),
    0x80 | ((c >> 6) & 0x3f),
    0x80 | (c & 0x3f),
  );
}

/** A byte string from runes. */
export function runesToGoString(runes: readonly number[]): string {
  let out = "";
  for (const r of runes) out += encodeRune(r);
  return out;
}

/** Whether the byte string is valid UTF-8. */
export function validUtf8(s: string): boolean {
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    if (r === RUNE_ERROR && w === 1) {
      // U+FFFD spelled out is three bytes; width 1 means an invalid byte.
      return false;
    }
    i += w;
  }
  return true;
}

/** unicode.IsPrint (letters, marks, numbers, punctuation, symbols and the ASCII space). */
export function isPrintRune(r: number): boolean {
  if (r === 0x20) return true;
  if (r < 0x20 || r === 0x7f) return false;
  if (r >= 0xd800 && r <= 0xdfff) return false;
  if (r > 0x10ffff) return false;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(r));
}

/** unicode.IsLetter. */
export function isLetterRune(r: number): boolean {
  if (r < 0x80) return (r >= 0x41 && r <= 0x5a) || (r >= 0x61 && r <= 0x7a);
  if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return false;
  return /^\p{L}$/u.test(String.fromCodePoint(r));
}

/** unicode.IsDigit (decimal digits, any script). */
export function isDigitRune(r: number): boolean {
  if (r < 0x80) return r >= 0x30 && r <= 0x39;
  if (r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff)) return false;
  return /^\p{Nd}$/u.test(String.fromCodePoint(r));
}

/** unicode.IsSpace. */
export function isSpaceRune(r: number): boolean {
  switch (r) {
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x20:
    case 0x85:
    case 0xa0:
      return true;
  }
  if (r < 0x100) return false;
  return /^\p{White_Space}$/u.test(String.fromCodePoint(r));
}

/** Maps each rune with `f` (strings.Map), as strings.ToUpper/ToLower do rune by rune. */
export function mapRunes(s: string, f: (r: number) => number): string {
  let out = "";
  for (let i = 0; i < s.length; ) {
    const [r, w] = decodeRune(s, i);
    out += r === RUNE_ERROR && w === 1 ? encodeRune(RUNE_ERROR) : encodeRune(f(r));
    i += w;
  }
  return out;
}

/** unicode.ToUpper: the single-rune mapping (a rune whose upper case is several runes, like ß, stays). */
export function toUpperRune(r: number): number {
  if (r < 0x80) return r >= 0x61 && r <= 0x7a ? r - 32 : r;
  const up = String.fromCodePoint(r).toUpperCase();
  const cp = up.codePointAt(0) ?? r;
  return up.length === String.fromCodePoint(cp).length ? cp : r;
}

/** unicode.ToLower, single-rune mapping. */
export function toLowerRune(r: number): number {
  if (r < 0x80) return r >= 0x41 && r <= 0x5a ? r + 32 : r;
  const low = String.fromCodePoint(r).toLowerCase();
  const cp = low.codePointAt(0) ?? r;
  return low.length === String.fromCodePoint(cp).length ? cp : r;
}

/** unicode.ToTitle (title case equals upper case except for a few digraphs). */
export function toTitleRune(r: number): number {
  switch (r) {
    case 0x1c4:
    case 0x1c5:
    case 0x1c6:
      return 0x1c5;
    case 0x1c7:
    case 0x1c8:
    case 0x1c9:
      return 0x1c8;
    case 0x1ca:
    case 0x1cb:
    case 0x1cc:
      return 0x1cb;
    case 0x1f1:
    case 0x1f2:
    case 0x1f3:
      return 0x1f2;
  }
  return toUpperRune(r);
}
