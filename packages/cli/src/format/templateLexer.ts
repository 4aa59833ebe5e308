/**
 * The lexer of Go's text/template, over a byte string (positions are byte offsets, as in Go's error
 * messages): text, `{{`/`}}` with `{{- ` and ` -}}` trim markers, comments, and the tokens inside actions.
 * Pure. Rules: Go text/template/parse/lex.go (Go 1.24).
 */
import { goQuote } from "./goQuote.js";
import {
  decodeLastRune,
  decodeRune,
  encodeRune,
  isDigitRune,
  isLetterRune,
  isPrintRune,
} from "./goString.js";

/** Token kinds, in Go's order (keywords after `keyword`). */
export enum Item {
  error = 0,
  bool = 1,
  char = 2,
  charConstant = 3,
  comment = 4,
  complex = 5,
  assign = 6,
  declare = 7,
  eof = 8,
  field = 9,
  identifier = 10,
  leftDelim = 11,
  leftParen = 12,
  number = 13,
  pipe = 14,
  rawString = 15,
  rightDelim = 16,
  rightParen = 17,
  space = 18,
  string = 19,
  text = 20,
  variable = 21,
  keyword = 22,
  block = 23,
  break = 24,
  continue = 25,
  dot = 26,
  define = 27,
  else = 28,
  end = 29,
  if = 30,
  nil = 31,
  range = 32,
  template = 33,
  with = 34,
}

/** A token: kind, byte offset, text, line. */
export interface Token {
  readonly typ: Item;
  readonly pos: number;
  readonly val: string;
  readonly line: number;
}

const KEYWORDS: Record<string, Item> = {
  ".": Item.dot,
  block: Item.block,
  break: Item.break,
  continue: Item.continue,
  define: Item.define,
  else: Item.else,
  end: Item.end,
  if: Item.if,
  range: Item.range,
  nil: Item.nil,
  template: Item.template,
  with: Item.with,
};

/** How Go prints a token in "unexpected X in Y" messages. */
export function tokenString(t: Token): string {
  if (t.typ === Item.eof) return "EOF";
  if (t.typ === Item.error) return t.val;
  if (t.typ > Item.keyword) return `<${t.val}>`;
  if (runeLen(t.val) > 10) return `${goQuotePrefix(t.val, 10)}...`;
  return goQuoteAll(t.val);
}

function runeLen(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; n++) i += decodeRune(s, i)[1];
  return n;
}

function goQuoteAll(s: string): string {
  return goQuote(s);
}
function goQuotePrefix(s: string, n: number): string {
  let i = 0;
  for (let k = 0; k < n && i < s.length; k++) i += decodeRune(s, i)[1];
  return goQuote(s.slice(0, i));
}

const EOF = -1;
const SPACE_CHARS = " \t\r\n";

function isSpace(r: number): boolean {
  return r === 0x20 || r === 0x09 || r === 0x0d || r === 0x0a;
}

function isAlphaNumeric(r: number): boolean {
  return r === 0x5f || isLetterRune(r) || isDigitRune(r);
}

function hasLeftTrimMarker(s: string): boolean {
  return s.length >= 2 && s[0] === "-" && isSpace(s.charCodeAt(1));
}

function hasRightTrimMarker(s: string): boolean {
  return s.length >= 2 && isSpace(s.charCodeAt(0)) && s[1] === "-";
}

/** The lexer: call `nextItem()` until eof or error. */
export class Lexer {
  private pos = 0;
  private start = 0;
  private atEOF = false;
  private parenDepth = 0;
  private line = 1;
  private startLine = 1;
  private item: Token;
  private insideAction = false;
  readonly breakOK: boolean;
  readonly continueOK: boolean;

  constructor(
    private input: string,
    private readonly leftDelim = "{{",
    private readonly rightDelim = "}}",
    options: { breakOK?: boolean; continueOK?: boolean } = {},
  ) {
    this.breakOK = options.breakOK ?? true;
    this.continueOK = options.continueOK ?? true;
    this.item = { typ: Item.eof, pos: 0, val: "EOF", line: 1 };
  }

  private next(): number {
    if (this.pos >= this.input.length) {
      this.atEOF = true;
      return EOF;
    }
    const [r, w] = decodeRune(this.input, this.pos);
    this.pos += w;
    if (r === 0x0a) this.line++;
    return r;
  }

  private peek(): number {
    const r = this.next();
    this.backup();
    return r;
  }

  private backup(): void {
    if (!this.atEOF && this.pos > 0) {
      const [r, w] = decodeLastRune(this.input, this.pos);
      this.pos -= w;
      if (r === 0x0a) this.line--;
    }
  }

  private thisItem(t: Item): Token {
    const i = { typ: t, pos: this.start, val: this.input.slice(this.start, this.pos), line: this.startLine };
    this.start = this.pos;
    this.startLine = this.line;
    return i;
  }

  private emit(t: Item): null {
    this.item = this.thisItem(t);
    return null;
  }

  private emitItem(i: Token): null {
    this.item = i;
    return null;
  }

  private ignore(): void {
    this.line += countNewlines(this.input.slice(this.start, this.pos));
    this.start = this.pos;
    this.startLine = this.line;
  }

  private accept(valid: string): boolean {
    const r = this.next();
    if (r !== EOF && valid.includes(String.fromCodePoint(r))) return true;
    this.backup();
    return false;
  }

  private acceptRun(valid: string): void {
    for (;;) {
      const r = this.next();
      if (r === EOF || !valid.includes(String.fromCodePoint(r))) break;
    }
    this.backup();
  }

  private errorf(message: string): null {
    this.item = { typ: Item.error, pos: this.start, val: message, line: this.startLine };
    this.start = 0;
    this.pos = 0;
    this.input = "";
    return null;
  }

  /** The next token. */
  nextItem(): Token {
    this.item = { typ: Item.eof, pos: this.pos, val: "EOF", line: this.startLine };
    let state: (() => unknown) | null = this.insideAction ? this.lexInsideAction : this.lexText;
    while (state) state = state.call(this) as (() => unknown) | null;
    return this.item;
  }

  private lexText(): (() => unknown) | null {
    const x = this.input.indexOf(this.leftDelim, this.pos);
    if (x >= 0) {
      if (x > this.pos) {
        this.pos = x;
        let trimLength = 0;
        const delimEnd = this.pos + this.leftDelim.length;
        if (hasLeftTrimMarker(this.input.slice(delimEnd))) {
          trimLength = rightTrimLength(this.input.slice(this.start, this.pos));
        }
        this.pos -= trimLength;
        this.line += countNewlines(this.input.slice(this.start, this.pos));
        const i = this.thisItem(Item.text);
        this.pos += trimLength;
        this.ignore();
        if (i.val.length > 0) return this.emitItem(i);
      }
      return this.lexLeftDelim;
    }
    this.pos = this.input.length;
    if (this.pos > this.start) {
      this.line += countNewlines(this.input.slice(this.start, this.pos));
      return this.emit(Item.text);
    }
    return this.emit(Item.eof);
  }

  private atRightDelim(): [boolean, boolean] {
    const rest = this.input.slice(this.pos);
    if (hasRightTrimMarker(rest) && rest.slice(2).startsWith(this.rightDelim)) return [true, true];
    if (rest.startsWith(this.rightDelim)) return [true, false];
    return [false, false];
  }

  private lexLeftDelim(): (() => unknown) | null {
    this.pos += this.leftDelim.length;
    const trimSpace = hasLeftTrimMarker(this.input.slice(this.pos));
    const afterMarker = trimSpace ? 2 : 0;
    if (this.input.startsWith("/*", this.pos + afterMarker)) {
      this.pos += afterMarker;
      this.ignore();
      return this.lexComment;
    }
    const i = this.thisItem(Item.leftDelim);
    this.insideAction = true;
    this.pos += afterMarker;
    this.ignore();
    this.parenDepth = 0;
    return this.emitItem(i);
  }

  private lexComment(): (() => unknown) | null {
    this.pos += 2;
    const x = this.input.indexOf("*/", this.pos);
    if (x < 0) return this.errorf("unclosed comment");
    this.pos = x + 2;
    const [delim, trimSpace] = this.atRightDelim();
    if (!delim) return this.errorf("comment ends before closing delimiter");
    this.line += countNewlines(this.input.slice(this.start, this.pos));
    this.thisItem(Item.comment);
    if (trimSpace) this.pos += 2;
    this.pos += this.rightDelim.length;
    if (trimSpace) this.pos += leftTrimLength(this.input.slice(this.pos));
    this.ignore();
    return this.lexText;
  }

  private lexRightDelim(): (() => unknown) | null {
    const [, trimSpace] = this.atRightDelim();
    if (trimSpace) {
      this.pos += 2;
      this.ignore();
    }
    this.pos += this.rightDelim.length;
    const i = this.thisItem(Item.rightDelim);
    if (trimSpace) {
      this.pos += leftTrimLength(this.input.slice(this.pos));
      this.ignore();
    }
    this.insideAction = false;
    return this.emitItem(i);
  }

  private lexInsideAction(): (() => unknown) | null {
    const [delim] = this.atRightDelim();
    if (delim) {
      if (this.parenDepth === 0) return this.lexRightDelim;
      return this.errorf("unclosed left paren");
    }
    const r = this.next();
    if (r === EOF) return this.errorf("unclosed action");
    if (isSpace(r)) {
      this.backup();
      return this.lexSpace;
    }
    switch (r) {
      case 0x3d: // =
        return this.emit(Item.assign);
      case 0x3a: // :
        if (this.next() !== 0x3d) return this.errorf("expected :=");
        return this.emit(Item.declare);
      case 0x7c: // |
        return this.emit(Item.pipe);
      case 0x22: // "
        return this.lexQuote;
      case 0x60: // `
        return this.lexRawQuote;
      case 0x24: // $
        return this.lexVariable;
      case 0x27: // '
        return this.lexChar;
      case 0x2e: // .
        if (this.pos < this.input.length) {
          const c = this.input.charCodeAt(this.pos);
          if (c < 0x30 || c > 0x39) return this.lexField;
        }
        this.backup();
        return this.lexNumber;
      case 0x28: // (
        this.parenDepth++;
        return this.emit(Item.leftParen);
      case 0x29: // )
        this.parenDepth--;
        if (this.parenDepth < 0) return this.errorf("unexpected right paren");
        return this.emit(Item.rightParen);
    }
    if (r === 0x2b || r === 0x2d || (r >= 0x30 && r <= 0x39)) {
      this.backup();
      return this.lexNumber;
    }
    if (isAlphaNumeric(r)) {
      this.backup();
      return this.lexIdentifier;
    }
    if (r <= 0x7f && r >= 0x20 && r !== 0x7f) return this.emit(Item.char);
    return this.errorf(`unrecognized character in action: ${unicodeHashU(r)}`);
  }

  private lexSpace(): (() => unknown) | null {
    let numSpaces = 0;
    for (;;) {
      const r = this.peek();
      if (!isSpace(r)) break;
      this.next();
      numSpaces++;
    }
    const rest = this.input.slice(this.pos - 1);
    if (hasRightTrimMarker(rest) && rest.slice(2).startsWith(this.rightDelim)) {
      this.backup();
      if (numSpaces === 1) return this.lexRightDelim;
    }
    return this.emit(Item.space);
  }

  private lexIdentifier(): (() => unknown) | null {
    for (;;) {
      const r = this.next();
      if (isAlphaNumeric(r)) continue;
      this.backup();
      const word = this.input.slice(this.start, this.pos);
      if (!this.atTerminator()) return this.errorf(`bad character ${unicodeHashU(r)}`);
      const key = KEYWORDS[word];
      if (key !== undefined && key > Item.keyword) {
        if ((key === Item.break && !this.breakOK) || (key === Item.continue && !this.continueOK)) {
          return this.emit(Item.identifier);
        }
        return this.emit(key);
      }
      if (word[0] === ".") return this.emit(Item.field);
      if (word === "true" || word === "false") return this.emit(Item.bool);
      return this.emit(Item.identifier);
    }
  }

  private lexField(): (() => unknown) | null {
    return this.lexFieldOrVariable(Item.field);
  }

  private lexVariable(): (() => unknown) | null {
    if (this.atTerminator()) return this.emit(Item.variable);
    return this.lexFieldOrVariable(Item.variable);
  }

  private lexFieldOrVariable(typ: Item): (() => unknown) | null {
    if (this.atTerminator()) {
      return this.emit(typ === Item.variable ? Item.variable : Item.dot);
    }
    let r: number;
    for (;;) {
      r = this.next();
      if (!isAlphaNumeric(r)) {
        this.backup();
        break;
      }
    }
    if (!this.atTerminator()) return this.errorf(`bad character ${unicodeHashU(r)}`);
    return this.emit(typ);
  }

  private atTerminator(): boolean {
    const r = this.peek();
    if (isSpace(r)) return true;
    switch (r) {
      case EOF:
      case 0x2e:
      case 0x2c:
      case 0x7c:
      case 0x3a:
      case 0x29:
      case 0x28:
        return true;
    }
    return this.input.startsWith(this.rightDelim, this.pos);
  }

  private lexChar(): (() => unknown) | null {
    for (;;) {
      const r = this.next();
      if (r === 0x5c) {
        const r2 = this.next();
        if (r2 !== EOF && r2 !== 0x0a) continue;
        return this.errorf("unterminated character constant");
      }
      if (r === EOF || r === 0x0a) return this.errorf("unterminated character constant");
      if (r === 0x27) break;
    }
    return this.emit(Item.charConstant);
  }

  private lexNumber(): (() => unknown) | null {
    if (!this.scanNumber())
      return this.errorf(`bad number syntax: ${goQuoteAll(this.input.slice(this.start, this.pos))}`);
    const sign = this.peek();
    if (sign === 0x2b || sign === 0x2d) {
      if (!this.scanNumber() || this.input[this.pos - 1] !== "i") {
        return this.errorf(`bad number syntax: ${goQuoteAll(this.input.slice(this.start, this.pos))}`);
      }
      return this.emit(Item.complex);
    }
    return this.emit(Item.number);
  }

  private scanNumber(): boolean {
    this.accept("+-");
    let digits = "0123456789_";
    if (this.accept("0")) {
      if (this.accept("xX")) digits = "0123456789abcdefABCDEF_";
      else if (this.accept("oO")) digits = "01234567_";
      else if (this.accept("bB")) digits = "01_";
    }
    this.acceptRun(digits);
    if (this.accept(".")) this.acceptRun(digits);
    if (digits.length === 11 && this.accept("eE")) {
      this.accept("+-");
      this.acceptRun("0123456789_");
    }
    if (digits.length === 23 && this.accept("pP")) {
      this.accept("+-");
      this.acceptRun("0123456789_");
    }
    this.accept("i");
    if (isAlphaNumeric(this.peek())) {
      this.next();
      return false;
    }
    return true;
  }

  private lexQuote(): (() => unknown) | null {
    for (;;) {
      const r = this.next();
      if (r === 0x5c) {
        const r2 = this.next();
        if (r2 !== EOF && r2 !== 0x0a) continue;
        return this.errorf("unterminated quoted string");
      }
      if (r === EOF || r === 0x0a) return this.errorf("unterminated quoted string");
      if (r === 0x22) break;
    }
    return this.emit(Item.string);
  }

  private lexRawQuote(): (() => unknown) | null {
    for (;;) {
      const r = this.next();
      if (r === EOF) return this.errorf("unterminated raw quoted string");
      if (r === 0x60) break;
    }
    return this.emit(Item.rawString);
  }
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 0x0a) n++;
  return n;
}

function rightTrimLength(s: string): number {
  let i = s.length;
  while (i > 0 && SPACE_CHARS.includes(s[i - 1] as string)) i--;
  return s.length - i;
}

function leftTrimLength(s: string): number {
  let i = 0;
  while (i < s.length && SPACE_CHARS.includes(s[i] as string)) i++;
  return i;
}

/** fmt's %#U: U+0041 'A' (the character only when printable). */
export function unicodeHashU(r: number): string {
  const hex = r.toString(16).toUpperCase().padStart(4, "0");
  if (!isPrintRune(r)) return `U+${hex}`;
  return `U+${hex} '${encodeRune(r)}'`;
}
