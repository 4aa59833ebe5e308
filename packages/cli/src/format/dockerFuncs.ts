/**
 * The functions docker/cli adds to every template (json, split, join, title, lower, upper, pad,
 * truncate), and the replacements it installs to render a table's header row (json, split, join, title,
 * lower, upper and truncate return their first argument unchanged, so `{{upper .Names}}` heads its
 * column with NAMES).
 * Pure. Rules: docker/cli templates/templates.go (v28.2.2); Go strings.Split/Join/Title/ToUpper.
 */

import { GoFuncError, type GoValue, sliceOf, T } from "./GoType.js";
import { elements } from "./GoValue.js";
import { goJsonMarshal } from "./goJsonEncode.js";
import {
  decodeRune,
  isDigitRune,
  isLetterRune,
  isSpaceRune,
  mapRunes,
  toLowerRune,
  toTitleRune,
  toUpperRune,
} from "./goString.js";
import type { FuncMap } from "./templateFunc.js";

const STRINGS = sliceOf(T.string);
const str = (s: string): GoValue => ({ t: T.string, v: s });
const arg = (a: readonly (GoValue | undefined)[], i: number): string => (a[i]?.v as string | undefined) ?? "";

/** strings.Split(s, sep). */
export function goSplit(s: string, sep: string): string[] {
  if (sep === "") {
    const out: string[] = [];
    for (let i = 0; i < s.length; ) {
      const w = decodeRune(s, i)[1];
      out.push(s.slice(i, i + w));
      i += w;
    }
    return out;
  }
  return s.split(sep);
}

function isSeparator(r: number): boolean {
  if (r <= 0x7f) {
    if ((r >= 0x30 && r <= 0x39) || (r >= 0x61 && r <= 0x7a) || (r >= 0x41 && r <= 0x5a) || r === 0x5f)
      return false;
    return true;
  }
  if (isLetterRune(r) || isDigitRune(r)) return false;
  return isSpaceRune(r);
}

/** strings.Title (deprecated in Go, still what docker's `title` does). */
export function goTitle(s: string): string {
  let prev = 0x20;
  return mapRunes(s, (r) => {
    const out = isSeparator(prev) ? toTitleRune(r) : r;
    prev = r;
    return out;
  });
}

/** docker/cli's functions. */
export const DOCKER_FUNCS: FuncMap = {
  json: {
    params: [T.any],
    result: T.string,
    call: (a) => {
      const v = a[0];
      const inner = v && v.t.kind === "interface" ? ((v.v as GoValue | null) ?? null) : (v ?? null);
      try {
        return str(goJsonMarshal(inner, false).trim());
      } catch (e) {
        throw new GoFuncError(e instanceof Error ? e.message : String(e));
      }
    },
  },
  split: {
    params: [T.string, T.string],
    result: STRINGS,
    call: (a) => ({
      t: STRINGS,
      v: goSplit(arg(a, 0), arg(a, 1)).map((x) => ({ t: T.string, v: x, addr: true })),
    }),
  },
  join: {
    params: [STRINGS, T.string],
    result: T.string,
    call: (a) => str((a[0] ? elements(a[0]) : []).map((x) => x.v as string).join(arg(a, 1))),
  },
  title: { params: [T.string], result: T.string, call: (a) => str(goTitle(arg(a, 0))) },
  lower: { params: [T.string], result: T.string, call: (a) => str(mapRunes(arg(a, 0), toLowerRune)) },
  upper: { params: [T.string], result: T.string, call: (a) => str(mapRunes(arg(a, 0), toUpperRune)) },
  pad: {
    params: [T.string, T.int, T.int],
    result: T.string,
    call: (a) => {
      const source = arg(a, 0);
      if (source === "") return str(source);
      const prefix = Number(a[1]?.v as bigint);
      const suffix = Number(a[2]?.v as bigint);
      if (prefix < 0 || suffix < 0) throw new GoFuncError("strings: negative Repeat count");
      return str(" ".repeat(prefix) + source + " ".repeat(suffix));
    },
  },
  truncate: {
    params: [T.string, T.int],
    result: T.string,
    call: (a) => {
      const source = arg(a, 0);
      const length = Number(a[1]?.v as bigint);
      if (source.length < length) return str(source);
      if (length < 0) throw new GoFuncError(`runtime error: slice bounds out of range [:${length}]`);
      return str(source.slice(0, length));
    },
  },
};

/** docker/cli's HeaderFunctions: what the header row is rendered with (identity on the column name). */
export const HEADER_FUNCS: FuncMap = {
  json: { params: [T.string], result: T.string, call: (a) => str(arg(a, 0)) },
  split: { params: [T.string, T.string], result: T.string, call: (a) => str(arg(a, 0)) },
  join: { params: [T.string, T.string], result: T.string, call: (a) => str(arg(a, 0)) },
  title: { params: [T.string], result: T.string, call: (a) => str(arg(a, 0)) },
  lower: { params: [T.string], result: T.string, call: (a) => str(arg(a, 0)) },
  upper: { params: [T.string], result: T.string, call: (a) => str(arg(a, 0)) },
  truncate: { params: [T.string, T.int], result: T.string, call: (a) => str(arg(a, 0)) },
};
