/**
 * encoding/json's Unmarshal from a RawJson tree into a Go type: object keys matched to struct fields by
 * json name (exactly, then ignoring case), promoted fields of embedded structs, null leaving non-nillable
 * values at zero, numbers into integers only when integral, `interface {}` getting float64 (or json.Number
 * with useNumber, as docker inspect's fallback decodes), and per-type decoders (UnmarshalJSON methods).
 * Pure. Rules: Go encoding/json/decode.go.
 */

import {
  type GoType,
  type GoValue,
  intBits,
  isFloatKind,
  isIntKind,
  isUintKind,
  mapOf,
  namedType,
  sliceOf,
  T,
} from "./GoType.js";
import { goStr, zeroValue } from "./GoValue.js";
import { jsonFields } from "./goJsonEncode.js";
import type { RawJson } from "./rawJson.js";

/** A JSON value that does not fit the Go type (json.UnmarshalTypeError's wording). */
export class JsonDecodeError extends Error {
  readonly code = "FORMAT_JSON_TYPE";
}

/** json.Number: a number literal kept as text. */
export const JSON_NUMBER: GoType = namedType("json.Number", T.string);

/** `map[string]interface {}` and `[]interface {}`, what JSON objects and arrays decode to in an interface. */
export const MAP_STRING_ANY: GoType = mapOf(T.string, T.any);
export const SLICE_ANY: GoType = sliceOf(T.any);

/** A custom decoder, as a type's UnmarshalJSON method. */
export type JsonDecoder = (raw: RawJson, options: DecodeOptions) => GoValue;

const decoders = new WeakMap<GoType, JsonDecoder>();

/** Registers the UnmarshalJSON of a type. */
export function registerJsonDecoder(t: GoType, decoder: JsonDecoder): void {
  decoders.set(t, decoder);
}

/** Options: json.Decoder.UseNumber. */
export interface DecodeOptions {
  readonly useNumber?: boolean;
}

function describeRaw(raw: RawJson): string {
  switch (raw.kind) {
    case "number":
      return `number ${raw.text}`;
    case "null":
      return "null";
    default:
      return raw.kind;
  }
}

function mismatch(raw: RawJson, t: GoType, where: string): never {
  const value = raw.kind === "number" ? "number" : describeRaw(raw);
  throw new JsonDecodeError(`json: cannot unmarshal ${value} into Go ${where} of type ${t.name}`);
}

/** Decodes into `interface {}`. */
export function decodeAny(raw: RawJson, options: DecodeOptions): GoValue | null {
  switch (raw.kind) {
    case "null":
      return null;
    case "bool":
      return { t: T.bool, v: raw.value };
    case "number":
      return options.useNumber ? goStr(raw.text, JSON_NUMBER) : { t: T.float64, v: Number(raw.text) };
    case "string":
      return goStr(raw.value);
    case "array":
      return { t: SLICE_ANY, v: raw.items.map((x) => ({ t: T.any, v: decodeAny(x, options) })) };
    case "object": {
      const m = new Map<string, GoValue>();
      for (const [k, v] of raw.entries) m.set(k, { t: T.any, v: decodeAny(v, options) });
      return { t: MAP_STRING_ANY, v: m };
    }
  }
}

function decodeInt(raw: RawJson, t: GoType, where: string): bigint {
  if (raw.kind !== "number") return mismatch(raw, t, where);
  if (!/^-?\d+$/.test(raw.text)) {
    throw new JsonDecodeError(`json: cannot unmarshal number ${raw.text} into Go ${where} of type ${t.name}`);
  }
  const n = BigInt(raw.text);
  const bits = BigInt(intBits(t.kind));
  const [lo, hi] = isUintKind(t.kind)
    ? [0n, 2n ** bits - 1n]
    : [-(2n ** (bits - 1n)), 2n ** (bits - 1n) - 1n];
  if (n < lo || n > hi) {
    throw new JsonDecodeError(`json: cannot unmarshal number ${raw.text} into Go ${where} of type ${t.name}`);
  }
  return n;
}

function decodeInto(
  raw: RawJson,
  t: GoType,
  options: DecodeOptions,
  where: string,
  current?: GoValue,
): GoValue {
  const custom = decoders.get(t);
  if (custom) return custom(raw, options);
  const k = t.kind;
  if (raw.kind === "null") {
    switch (k) {
      case "interface":
      case "ptr":
      case "map":
      case "slice":
        return zeroValue(t);
    }
    return current ?? zeroValue(t);
  }
  if (k === "interface") return { t, v: decodeAny(raw, options) };
  if (k === "ptr") {
    const target = decodeInto(raw, t.elem ?? T.any, options, where);
    return { t, v: { target: { ...target, addr: true } } };
  }
  if (k === "bool") return raw.kind === "bool" ? { t, v: raw.value } : mismatch(raw, t, where);
  if (k === "string") {
    if (raw.kind === "string") return { t, v: raw.value };
    if (t === JSON_NUMBER && raw.kind === "number") return { t, v: raw.text };
    return mismatch(raw, t, where);
  }
  if (isIntKind(k) || isUintKind(k)) return { t, v: decodeInt(raw, t, where) };
  if (isFloatKind(k)) return raw.kind === "number" ? { t, v: Number(raw.text) } : mismatch(raw, t, where);
  switch (k) {
    case "slice": {
      if (raw.kind !== "array") return mismatch(raw, t, where);
      return {
        t,
        v: raw.items.map((x) => ({ ...decodeInto(x, t.elem ?? T.any, options, where), addr: true })),
      };
    }
    case "array": {
      if (raw.kind !== "array") return mismatch(raw, t, where);
      const zero = zeroValue(t).v as GoValue[];
      return {
        t,
        v: zero.map((z, i) => (raw.items[i] ? decodeInto(raw.items[i], t.elem ?? T.any, options, where) : z)),
      };
    }
    case "map": {
      if (raw.kind !== "object") return mismatch(raw, t, where);
      const m = new Map<string | bigint, GoValue>((current?.v as Map<string | bigint, GoValue> | null) ?? []);
      const kt = t.key ?? T.string;
      for (const [key, v] of raw.entries) {
        const mk: string | bigint =
          kt.kind === "string" ? key : decodeInt({ kind: "number", text: key }, kt, where);
        m.set(mk, decodeInto(v, t.elem ?? T.any, options, where));
      }
      return { t, v: m };
    }
    case "struct":
      return decodeStruct(raw, t, options, where, current);
  }
  return mismatch(raw, t, where);
}

function decodeStruct(
  raw: RawJson,
  t: GoType,
  options: DecodeOptions,
  _where: string,
  current?: GoValue,
): GoValue {
  if (raw.kind !== "object") return mismatch(raw, t, "value");
  const value = (current ?? zeroValue(t)) as { t: GoType; v: GoValue[] };
  const root: GoValue[] = [...value.v];
  const fields = jsonFields(t);
  for (const [key, v] of raw.entries) {
    let f = fields.find((x) => x.name === key);
    if (!f) f = fields.find((x) => x.name.toLowerCase() === key.toLowerCase());
    if (!f) continue;
    setPath(root, t, f.index, (ft, cur) =>
      decodeInto(v, ft, options, `struct field ${t.name.replace(/^.*\./, "")}.${f.name}`, cur),
    );
  }
  return { t, v: root };
}

/** Sets the field at `path` (through embedded structs and pointers, allocating them) to `make(type, current)`. */
function setPath(
  fields: GoValue[],
  t: GoType,
  path: readonly number[],
  make: (ft: GoType, current: GoValue) => GoValue,
): void {
  const [i, ...rest] = path;
  if (i === undefined) return;
  const field = t.fields?.[i];
  if (!field) return;
  const current = fields[i] ?? zeroValue(field.type);
  if (rest.length === 0) {
    fields[i] = make(field.type, current);
    return;
  }
  let st = field.type;
  let inner: GoValue = current;
  const viaPtr = st.kind === "ptr";
  if (viaPtr) {
    st = st.elem ?? st;
    const p = current.v as { target: GoValue } | null;
    inner = p ? p.target : zeroValue(st);
  }
  const innerFields = [...(inner.v as GoValue[])];
  setPath(innerFields, st, rest, make);
  const updated: GoValue = { t: st, v: innerFields };
  fields[i] = viaPtr ? { t: field.type, v: { target: { ...updated, addr: true } } } : updated;
}

/** json.Unmarshal(raw, &v) for a value of type `t`. */
export function goJsonUnmarshal(raw: RawJson, t: GoType, options: DecodeOptions = {}): GoValue {
  return decodeInto(raw, t, options, "value");
}
