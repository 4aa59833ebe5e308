/**
 * text/template's builtin functions: and, or, not, len, index, slice, eq, ne, lt, le, gt, ge, print,
 * printf, println, html, js, urlquery, call, with Go's error texts ("index out of range: 5",
 * "incompatible types for comparison: float64 and int", "len of type int").
 * Pure. Rules: Go text/template/funcs.go (Go 1.24).
 */

import {
  assignableTo,
  canBeNil,
  comparable,
  GoFuncError,
  type GoKind,
  type GoType,
  type GoValue,
  isFloatKind,
  isIntKind,
  isUintKind,
  sliceOf,
  T,
} from "./GoType.js";
import {
  elements,
  indirect,
  indirectInterface,
  isNilValue,
  isTrue,
  lengthOf,
  mapIndex,
  zeroValue,
} from "./GoValue.js";
import { asFmtArg, type FmtArg, goSprint, goSprintf, goSprintln } from "./goFmt.js";
import { decodeRune, encodeRune, isPrintRune, RUNE_ERROR } from "./goString.js";
import type { FuncMap, TemplateFunc } from "./templateFunc.js";

type Kind = "invalid" | "bool" | "complex" | "int" | "float" | "string" | "uint";

function basicKind(v: GoValue | undefined): Kind {
  if (!v) return "invalid";
  const k: GoKind = v.t.kind;
  if (k === "bool") return "bool";
  if (isIntKind(k)) return "int";
  if (isUintKind(k)) return "uint";
  if (isFloatKind(k)) return "float";
  if (k === "string") return "string";
  return "invalid";
}

const fail = (message: string): never => {
  throw new GoFuncError(message);
};

/** reflect's panic when calling Type on a zero Value (what Go reports for `len` of nothing). */
const ZERO_VALUE_TYPE = "reflect: call of reflect.Value.Type on zero Value";

function typeName(v: GoValue | undefined): string {
  return v ? v.t.name : fail(ZERO_VALUE_TYPE);
}

function truth(v: GoValue | undefined): boolean {
  return isTrue(indirectInterface(v))[0];
}

function indexArg(index: GoValue | undefined, cap: number): number {
  if (!index) return fail("cannot index slice/array with nil");
  if (!isIntKind(index.t.kind) && !isUintKind(index.t.kind)) {
    return fail(`cannot index slice/array with type ${index.t.name}`);
  }
  const x = index.v as bigint;
  if (x < 0n || x > BigInt(cap)) return fail(`index out of range: ${x}`);
  return Number(x);
}

function prepareArg(value: GoValue | undefined, argType: GoType): GoValue {
  let v = value;
  if (!v) {
    if (!canBeNil(argType)) return fail(`value is nil; should be of type ${argType.name}`);
    v = zeroValue(argType);
  }
  if (assignableTo(v.t, argType)) return v;
  const intLike = (k: GoKind) => isIntKind(k) || isUintKind(k);
  if (intLike(v.t.kind) && intLike(argType.kind)) return { t: argType, v: v.v };
  return fail(`value has type ${v.t.name}; should be ${argType.name}`);
}

/** The index builtin. */
function index(args: readonly (GoValue | undefined)[]): GoValue | undefined {
  let item = indirectInterface(args[0]);
  if (!item) return fail("index of untyped nil");
  for (const raw of args.slice(1)) {
    const ix = indirectInterface(raw);
    const [target, isNil] = indirect(item);
    if (isNil) return fail("index of nil pointer");
    item = target;
    switch (item.t.kind) {
      case "array":
      case "slice":
      case "string": {
        const len = lengthOf(item);
        const x = indexArg(ix, len);
        if (x >= len) return fail(`reflect: ${item.t.kind} index out of range`);
        if (item.t.kind === "string") item = { t: T.uint8, v: BigInt((item.v as string).charCodeAt(x)) };
        else item = elements(item)[x] as GoValue;
        break;
      }
      case "map": {
        const key = prepareArg(ix, item.t.key ?? T.string);
        item = mapIndex(item, key.v as string | bigint) ?? zeroValue(item.t.elem ?? T.any);
        break;
      }
      default:
        return fail(`can't index item of type ${item.t.name}`);
    }
  }
  return item;
}

/** The slice builtin. */
function slice(args: readonly (GoValue | undefined)[]): GoValue | undefined {
  const item = indirectInterface(args[0]);
  if (!item) return fail("slice of untyped nil");
  const indexes = args.slice(1);
  if (indexes.length > 3) return fail(`too many slice indexes: ${indexes.length}`);
  let cap: number;
  switch (item.t.kind) {
    case "string":
      if (indexes.length === 3) return fail("cannot 3-index slice a string");
      cap = lengthOf(item);
      break;
    case "array":
    case "slice":
      cap = lengthOf(item);
      break;
    default:
      return fail(`can't slice item of type ${item.t.name}`);
  }
  const idx = [0, lengthOf(item), 0];
  indexes.forEach((ix, i) => {
    idx[i] = indexArg(indirectInterface(ix), cap);
  });
  const [i, j, k] = idx as [number, number, number];
  if (i > j) return fail(`invalid slice index: ${i} > ${j}`);
  if (indexes.length === 3 && j > k) return fail(`invalid slice index: ${j} > ${k}`);
  if (item.t.kind === "string") return { t: item.t, v: (item.v as string).slice(i, j) };
  const t = item.t.kind === "array" ? sliceOf(item.t.elem ?? T.any) : item.t;
  return { t, v: elements(item).slice(i, j) };
}

function length(args: readonly (GoValue | undefined)[]): GoValue {
  const a = args[0];
  if (!a) return fail(ZERO_VALUE_TYPE);
  const [item, isNil] = indirect(a);
  if (isNil) return fail("len of nil pointer");
  switch (item.t.kind) {
    case "array":
    case "map":
    case "slice":
    case "string":
      return { t: T.int, v: BigInt(lengthOf(item)) };
  }
  return fail(`len of type ${item.t.name}`);
}

function goEqual(a: GoValue, b: GoValue): boolean {
  const k = a.t.kind;
  if (k === "struct" || k === "array") {
    const fa = a.v as GoValue[];
    const fb = b.v as GoValue[];
    return fa.length === fb.length && fa.every((x, i) => goEqual(x, fb[i] as GoValue));
  }
  if (k === "interface") {
    const ia = a.v as GoValue | null;
    const ib = b.v as GoValue | null;
    if (ia === null || ib === null) return ia === ib;
    return ia.t === ib.t && goEqual(ia, ib);
  }
  if (k === "ptr") {
    const pa = a.v as { target: GoValue } | null;
    const pb = b.v as { target: GoValue } | null;
    return pa === pb || (pa !== null && pb !== null && pa.target === pb.target);
  }
  return a.v === b.v;
}

function eq(args: readonly (GoValue | undefined)[]): GoValue {
  const arg1 = indirectInterface(args[0]);
  const rest = args.slice(1);
  if (rest.length === 0) return fail("missing argument for comparison");
  const k1 = basicKind(arg1);
  for (const raw of rest) {
    const arg = indirectInterface(raw);
    const k2 = basicKind(arg);
    let t = false;
    if (k1 !== k2) {
      if (k1 === "int" && k2 === "uint") t = (arg1?.v as bigint) >= 0n && arg1?.v === arg?.v;
      else if (k1 === "uint" && k2 === "int") t = (arg?.v as bigint) >= 0n && arg1?.v === arg?.v;
      else if (arg1 && arg)
        return fail(`incompatible types for comparison: ${arg1.t.name} and ${arg.t.name}`);
    } else if (k1 !== "invalid") {
      t = arg1?.v === arg?.v;
    } else {
      const canCompare = !arg1 || !arg || arg1.t.kind === arg.t.kind;
      if (!canCompare) {
        return fail(
          `non-comparable types ${goSprintf("%s", [asFmtArg(arg1)])}: ${arg1?.t.name}, ${arg?.t.name}: ${goSprint([asFmtArg(arg)])}`,
        );
      }
      const n1 = !arg1 || isNilValue(arg1);
      const n2 = !arg || isNilValue(arg);
      if (n1 || n2) t = n1 === n2;
      else {
        if (arg && !comparable(arg.t)) {
          return fail(`non-comparable type ${goSprintf("%s", [asFmtArg(arg)])}: ${arg.t.name}`);
        }
        t = arg1?.t === arg?.t && goEqual(arg1 as GoValue, arg as GoValue);
      }
    }
    if (t) return { t: T.bool, v: true };
  }
  return { t: T.bool, v: false };
}

function lt(args: readonly (GoValue | undefined)[]): boolean {
  const a1 = indirectInterface(args[0]);
  const k1 = basicKind(a1);
  if (k1 === "invalid") return fail("invalid type for comparison");
  const a2 = indirectInterface(args[1]);
  const k2 = basicKind(a2);
  if (k2 === "invalid") return fail("invalid type for comparison");
  const v1 = a1?.v as bigint | number | string;
  const v2 = a2?.v as bigint | number | string;
  if (k1 !== k2) {
    if (k1 === "int" && k2 === "uint") return (v1 as bigint) < 0n || (v1 as bigint) < (v2 as bigint);
    if (k1 === "uint" && k2 === "int") return (v2 as bigint) >= 0n && (v1 as bigint) < (v2 as bigint);
    return fail(`incompatible types for comparison: ${typeName(a1)} and ${typeName(a2)}`);
  }
  if (k1 === "bool" || k1 === "complex") return fail("invalid type for comparison");
  return v1 < v2;
}

const boolOf = (b: boolean): GoValue => ({ t: T.bool, v: b });
const RV = T.reflectValue;

function fmtArgs(args: readonly (GoValue | undefined)[]): FmtArg[] {
  return args.map(asFmtArg);
}

/** fmt.Sprint with template's printableValue (html, js, urlquery). */
function evalArgs(args: readonly (GoValue | undefined)[]): string {
  const a = fmtArgs(args);
  if (a.length === 1 && a[0]?.t === T.string) return a[0].v as string;
  return goSprint(
    a.map((x) => {
      if (x && x.t.kind === "ptr") {
        const [target] = indirect(x);
        return target;
      }
      return x;
    }),
  );
}

function htmlEscape(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    switch (c) {
      case "\0":
        out += encodeRune(RUNE_ERROR);
        break;
      case '"':
        out += "&#34;";
        break;
      case "'":
        out += "&#39;";
        break;
      case "&":
        out += "&amp;";
        break;
      case "<":
        out += "&lt;";
        break;
      case ">":
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

function jsEscape(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; ) {
    const b = s.charCodeAt(i);
    if (b < 0x80) {
      const c = s[i] as string;
      switch (c) {
        case "\\":
          out += "\\\\";
          break;
        case "'":
          out += "\\'";
          break;
        case '"':
          out += '\\"';
          break;
        case "<":
          out += "\\u003C";
          break;
        case ">":
          out += "\\u003E";
          break;
        case "&":
          out += "\\u0026";
          break;
        case "=":
          out += "\\u003D";
          break;
        default:
          out += b < 0x20 ? `\\u00${b.toString(16).toUpperCase().padStart(2, "0")}` : c;
      }
      i++;
      continue;
    }
    const [r, w] = decodeRune(s, i);
    out += isPrintRune(r) ? s.slice(i, i + w) : `\\u${r.toString(16).toUpperCase().padStart(4, "0")}`;
    i += w;
  }
  return out;
}

function urlQueryEscape(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += `%${s.charCodeAt(i).toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const str = (s: string): GoValue => ({ t: T.string, v: s });

/** The builtin functions, by name. */
export const BUILTINS: FuncMap = {
  and: { params: [RV, RV], variadic: true, result: RV, call: () => undefined },
  or: { params: [RV, RV], variadic: true, result: RV, call: () => undefined },
  call: { params: [RV, RV], variadic: true, result: RV, returnsError: true, call: () => undefined },
  not: { params: [RV], result: T.bool, call: (a) => boolOf(!truth(a[0])) },
  len: { params: [RV], result: T.int, returnsError: true, call: length },
  index: { params: [RV, RV], variadic: true, result: RV, returnsError: true, call: index },
  slice: { params: [RV, RV], variadic: true, result: RV, returnsError: true, call: slice },
  eq: { params: [RV, RV], variadic: true, result: T.bool, returnsError: true, call: eq },
  ne: { params: [RV, RV], result: T.bool, returnsError: true, call: (a) => boolOf(!(eq(a).v as boolean)) },
  lt: { params: [RV, RV], result: T.bool, returnsError: true, call: (a) => boolOf(lt(a)) },
  le: {
    params: [RV, RV],
    result: T.bool,
    returnsError: true,
    call: (a) => boolOf(lt(a) || (eq(a).v as boolean)),
  },
  gt: {
    params: [RV, RV],
    result: T.bool,
    returnsError: true,
    call: (a) => boolOf(!(lt(a) || (eq(a).v as boolean))),
  },
  ge: { params: [RV, RV], result: T.bool, returnsError: true, call: (a) => boolOf(!lt(a)) },
  print: { params: [T.any], variadic: true, result: T.string, call: (a) => str(goSprint(fmtArgs(a))) },
  println: { params: [T.any], variadic: true, result: T.string, call: (a) => str(goSprintln(fmtArgs(a))) },
  printf: {
    params: [T.string, T.any],
    variadic: true,
    result: T.string,
    call: (a) => str(goSprintf((a[0]?.v as string) ?? "", fmtArgs(a.slice(1)))),
  },
  html: { params: [T.any], variadic: true, result: T.string, call: (a) => str(htmlEscape(evalArgs(a))) },
  js: { params: [T.any], variadic: true, result: T.string, call: (a) => str(jsEscape(evalArgs(a))) },
  urlquery: {
    params: [T.any],
    variadic: true,
    result: T.string,
    call: (a) => str(urlQueryEscape(evalArgs(a))),
  },
} satisfies Record<string, TemplateFunc>;
