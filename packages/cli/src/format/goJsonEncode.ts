/**
 * encoding/json's Marshal over GoValues: struct fields by json tag with omitempty and Go's rules for
 * embedded structs, maps with sorted keys, nil slices and maps as null, MarshalJSON methods, and Go's
 * string escaping (HTML-safe by default, `\u003e`; the template `json` function turns that off).
 * Output is a byte string. Pure. Rules: Go encoding/json/encode.go (typeFields, dominantField,
 * isEmptyValue, appendString).
 */

import {
  type GoField,
  GoFuncError,
  type GoType,
  type GoValue,
  isFloatKind,
  isIntKind,
  isUintKind,
} from "./GoType.js";
import {
  elem,
  elements,
  embeddedName,
  fieldByIndex,
  isExported,
  methodByName,
  sortedEntries,
} from "./GoValue.js";
import { formatJsonFloat } from "./goFloat.js";
import { decodeRune, RUNE_ERROR } from "./goString.js";

/** A value encoding/json refuses (NaN, ±Inf). */
export class JsonEncodeError extends GoFuncError {}

interface JsonField {
  readonly name: string;
  readonly tagged: boolean;
  readonly index: readonly number[];
  readonly omitEmpty: boolean;
}

const fieldCache = new WeakMap<GoType, readonly JsonField[]>();

function isValidTag(name: string): boolean {
  if (name === "") return false;
  for (const c of name) {
    if ("!#$%&()*+-./:;<=>?@[]^_{|}~ ".includes(c)) continue;
    if (!/[\p{L}\p{N}]/u.test(c)) return false;
  }
  return true;
}

/** The JSON fields of a struct type, in encoding order. */
export function jsonFields(t: GoType): readonly JsonField[] {
  const cached = fieldCache.get(t);
  if (cached) return cached;
  type Found = JsonField & { depth: number };
  const fields: Found[] = [];
  let next: { type: GoType; index: number[] }[] = [{ type: t, index: [] }];
  const visited = new Set<GoType>();
  let nextCount = new Map<GoType, number>();
  while (next.length > 0) {
    const current = next;
    next = [];
    const count = nextCount;
    nextCount = new Map();
    for (const f of current) {
      if (visited.has(f.type)) continue;
      visited.add(f.type);
      (f.type.fields ?? []).forEach((sf: GoField, i) => {
        const sfName = sf.embedded ? embeddedName(sf.type) : sf.name;
        let ft = sf.type;
        if (sf.embedded) {
          const base = ft.kind === "ptr" && ft.elem ? ft.elem : ft;
          if (!isExported(sfName) && base.kind !== "struct") return;
        } else if (!isExported(sfName)) return;
        const tag = sf.json ?? "";
        if (tag === "-") return;
        const comma = tag.indexOf(",");
        let name = comma >= 0 ? tag.slice(0, comma) : tag;
        const opts = comma >= 0 ? tag.slice(comma + 1).split(",") : [];
        if (!isValidTag(name)) name = "";
        const index = [...f.index, i];
        if (!ft.named && ft.kind === "ptr" && ft.elem) ft = ft.elem;
        if (name !== "" || !sf.embedded || ft.kind !== "struct") {
          const field: Found = {
            name: name !== "" ? name : sfName,
            tagged: name !== "",
            index,
            omitEmpty: opts.includes("omitempty"),
            depth: index.length,
          };
          fields.push(field);
          if ((count.get(f.type) ?? 0) > 1) fields.push(field);
          return;
        }
        nextCount.set(ft, (nextCount.get(ft) ?? 0) + 1);
        if (nextCount.get(ft) === 1) next.push({ type: ft, index });
      });
    }
  }
  const cmpIndex = (a: readonly number[], b: readonly number[]) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
    }
    return a.length - b.length;
  };
  fields.sort((a, b) => {
    if (a.name !== b.name) return a.name < b.name ? -1 : 1;
    if (a.depth !== b.depth) return a.depth - b.depth;
    if (a.tagged !== b.tagged) return a.tagged ? -1 : 1;
    return cmpIndex(a.index, b.index);
  });
  const out: Found[] = [];
  for (let i = 0; i < fields.length; ) {
    const fi = fields[i] as Found;
    let advance = 1;
    while (i + advance < fields.length && fields[i + advance]?.name === fi.name) advance++;
    if (advance === 1) out.push(fi);
    else {
      const second = fields[i + 1] as Found;
      if (!(fi.depth === second.depth && fi.tagged === second.tagged)) out.push(fi);
    }
    i += advance;
  }
  out.sort((a, b) => cmpIndex(a.index, b.index));
  fieldCache.set(t, out);
  return out;
}

const HEX = "0123456789abcdef";

/** encoding/json's quoted string for a byte string. */
export function jsonString(s: string, escapeHTML: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; ) {
    const b = s.charCodeAt(i);
    if (b < 0x80) {
      const c = s[i] as string;
      if (b >= 0x20 && c !== '"' && c !== "\\" && !(escapeHTML && (c === "<" || c === ">" || c === "&"))) {
        out += c;
      } else {
        switch (c) {
          case "\\":
          case '"':
            out += `\\${c}`;
            break;
          case "\b":
            out += "\\b";
            break;
          case "\f":
            out += "\\f";
            break;
          case "\n":
            out += "\\n";
            break;
          case "\r":
            out += "\\r";
            break;
          case "\t":
            out += "\\t";
            break;
          default:
            out += `\\u00${HEX[b >> 4]}${HEX[b & 15]}`;
        }
      }
      i++;
      continue;
    }
    const [r, w] = decodeRune(s, i);
    if (r === RUNE_ERROR && w === 1) out += "\\ufffd";
    else if (r === 0x2028 || r === 0x2029) out += `\\u202${HEX[r & 15]}`;
    else out += s.slice(i, i + w);
    i += w;
  }
  return `${out}"`;
}

function isEmptyValue(v: GoValue): boolean {
  const k = v.t.kind;
  switch (k) {
    case "array":
    case "slice":
      return elements(v).length === 0;
    case "map":
      return v.v === null || (v.v as Map<unknown, unknown>).size === 0;
    case "string":
      return (v.v as string) === "";
    case "bool":
      return v.v === false;
    case "interface":
    case "ptr":
      return v.v === null;
  }
  if (isIntKind(k) || isUintKind(k)) return v.v === 0n;
  if (isFloatKind(k)) return v.v === 0;
  return false;
}

/** Escapes <, > and & inside a Marshaler's output, as json's compact step does. */
function compactOutput(s: string, escapeHTML: boolean): string {
  if (!escapeHTML) return s;
  return s.replaceAll("<", "\\u003c").replaceAll(">", "\\u003e").replaceAll("&", "\\u0026");
}

function encode(v: GoValue, escapeHTML: boolean): string {
  const marshaler = v.t.kind === "ptr" && v.v === null ? undefined : methodByName(v, "MarshalJSON");
  if (marshaler) return compactOutput(marshaler.method.call(marshaler.recv, []).v as string, escapeHTML);
  const k = v.t.kind;
  if (k === "bool") return v.v ? "true" : "false";
  if (isIntKind(k) || isUintKind(k)) return String(v.v as bigint);
  if (isFloatKind(k)) {
    const f = v.v as number;
    if (!Number.isFinite(f))
      throw new JsonEncodeError(
        `json: unsupported value: ${Number.isNaN(f) ? "NaN" : f > 0 ? "+Inf" : "-Inf"}`,
      );
    return formatJsonFloat(f);
  }
  switch (k) {
    case "string":
      return jsonString(v.v as string, escapeHTML);
    case "interface":
    case "error": {
      const inner = v.v as GoValue | null;
      return inner === null ? "null" : encode(inner, escapeHTML);
    }
    case "ptr": {
      const target = elem(v);
      return target ? encode(target, escapeHTML) : "null";
    }
    case "slice":
    case "array": {
      if (k === "slice" && v.v === null) return "null";
      const items = elements(v);
      if (v.t.elem?.kind === "uint8" && k === "slice") {
        const bytes = Buffer.from(items.map((x) => Number(x.v as bigint)));
        return `"${bytes.toString("base64")}"`;
      }
      return `[${items.map((x) => encode(x, escapeHTML)).join(",")}]`;
    }
    case "map": {
      if (v.v === null) return "null";
      const entries = sortedEntries(v).map(([key, val]) => [String(key.v), val] as const);
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([key, val]) => `${jsonString(key, escapeHTML)}:${encode(val, escapeHTML)}`).join(",")}}`;
    }
    case "struct": {
      const parts: string[] = [];
      for (const f of jsonFields(v.t)) {
        let fv: GoValue;
        try {
          fv = fieldByIndex(v, f.index);
        } catch {
          continue; // through a nil embedded pointer: absent
        }
        if (f.omitEmpty && isEmptyValue(fv)) continue;
        parts.push(`${jsonString(f.name, escapeHTML)}:${encode(fv, escapeHTML)}`);
      }
      return `{${parts.join(",")}}`;
    }
  }
  throw new JsonEncodeError(`json: unsupported type: ${v.t.name}`);
}

/**
 * json.Marshal (escapeHTML true) or an Encoder with SetEscapeHTML(false); null for a nil interface.
 * @example goJsonMarshal(goStr("a>b"), false) // '"a>b"'
 */
export function goJsonMarshal(v: GoValue | null, escapeHTML = true): string {
  return v === null ? "null" : encode(v, escapeHTML);
}
