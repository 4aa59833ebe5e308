/**
 * Go values and the reflect operations text/template uses on them: zero values, indirection, truth,
 * length, struct fields (with promotion through embedded fields), methods (value and pointer receivers),
 * map lookup and Go's sorted map order (internal/fmtsort).
 * Pure. Rules: Go's reflect and text/template/exec.go (indirect, isTrue, FieldByName, MethodByName).
 */
import {
  type GoField,
  type GoMethod,
  type GoType,
  type GoValue,
  isFloatKind,
  isIntKind,
  isUintKind,
  ptrTo,
  T,
} from "./GoType.js";

export type { GoValue } from "./GoType.js";

/** A Go string (contents as a byte string). */
export function goStr(bytes: string, t: GoType = T.string): GoValue {
  return { t, v: bytes };
}

/** A Go integer of type `t`. */
export function goInt(n: bigint | number, t: GoType = T.int): GoValue {
  return { t, v: typeof n === "bigint" ? n : BigInt(Math.trunc(n)) };
}

/** A Go float64. */
export function goFloat(n: number, t: GoType = T.float64): GoValue {
  return { t, v: n };
}

/** A Go bool. */
export function goBool(b: boolean, t: GoType = T.bool): GoValue {
  return { t, v: b };
}

/** A slice of `elem` values. */
export function goSlice(t: GoType, items: readonly GoValue[] | null): GoValue {
  return { t, v: items === null ? null : items.map((x) => ({ ...x, addr: true })) };
}

/** A map of type `t` from (key contents, value) pairs. */
export function goMap(t: GoType, entries: Iterable<readonly [string | bigint, GoValue]> | null): GoValue {
  return { t, v: entries === null ? null : new Map(entries) };
}

/** A pointer to `target` (of type *target.t), or a nil pointer of type `t` when target is null. */
export function goPtr(target: GoValue | null, t?: GoType): GoValue {
  if (target === null) {
    if (!t) throw new Error("goPtr: a nil pointer needs its type");
    return { t, v: null };
  }
  return { t: t ?? ptrTo(target.t), v: { target: { ...target, addr: true } } };
}

/** A value inside an interface{} (or a nil interface when `inner` is null). */
export function goIface(inner: GoValue | null, t: GoType = T.any): GoValue {
  return { t, v: inner };
}

/** A struct value from its field values in order. */
export function goStruct(t: GoType, fields: readonly GoValue[]): GoValue {
  return { t, v: fields };
}

/** reflect.Zero(t). */
export function zeroValue(t: GoType): GoValue {
  switch (t.kind) {
    case "bool":
      return { t, v: false };
    case "string":
      return { t, v: "" };
    case "float32":
    case "float64":
      return { t, v: 0 };
    case "struct":
      return { t, v: (t.fields ?? []).map((f) => zeroValue(f.type)) };
    case "array":
      return { t, v: Array.from({ length: t.len ?? 0 }, () => zeroValue(t.elem ?? T.any)) };
    case "interface":
    case "error":
    case "ptr":
    case "slice":
    case "map":
    case "reflectValue":
      return { t, v: null };
  }
  if (isIntKind(t.kind) || isUintKind(t.kind)) return { t, v: 0n };
  return { t, v: null };
}

/** reflect.Value.IsNil for nillable kinds (false for others). */
export function isNilValue(v: GoValue): boolean {
  switch (v.t.kind) {
    case "interface":
    case "error":
    case "ptr":
    case "slice":
    case "map":
      return v.v === null;
  }
  return false;
}

/** reflect.Value.Elem for a pointer (addressable target) or an interface (its dynamic value). */
export function elem(v: GoValue): GoValue | undefined {
  if (v.t.kind === "ptr") {
    const p = v.v as { target: GoValue } | null;
    return p ? { ...p.target, addr: true } : undefined;
  }
  if (v.t.kind === "interface" || v.t.kind === "error") return (v.v as GoValue | null) ?? undefined;
  return v;
}

/** exec.go indirect: through pointers and interfaces, stopping at a nil one. */
export function indirect(v: GoValue): [GoValue, boolean] {
  let cur = v;
  while (cur.t.kind === "ptr" || cur.t.kind === "interface") {
    if (cur.v === null) return [cur, true];
    const next = elem(cur);
    if (!next) return [cur, true];
    cur = next;
  }
  return [cur, false];
}

/** exec.go indirectInterface: the dynamic value of an interface, or invalid for a nil one. */
export function indirectInterface(v: GoValue | undefined): GoValue | undefined {
  if (v?.t.kind !== "interface") return v;
  return (v.v as GoValue | null) ?? undefined;
}

/** reflect.Value.Len for strings (bytes), slices, arrays and maps. */
export function lengthOf(v: GoValue): number {
  switch (v.t.kind) {
    case "string":
      return (v.v as string).length;
    case "slice":
    case "array":
      return ((v.v as GoValue[] | null) ?? []).length;
    case "map":
      return ((v.v as Map<unknown, GoValue> | null) ?? new Map()).size;
  }
  throw new Error(`len of ${v.t.name}`);
}

/** exec.go isTrue: [truth, ok]; an invalid value is false. */
export function isTrue(v: GoValue | undefined): [boolean, boolean] {
  if (!v) return [false, true];
  const k = v.t.kind;
  switch (k) {
    case "array":
    case "map":
    case "slice":
    case "string":
      return [lengthOf(v) > 0, true];
    case "bool":
      return [v.v as boolean, true];
    case "ptr":
    case "interface":
    case "error":
      return [v.v !== null, true];
    case "struct":
      return [true, true];
  }
  if (isIntKind(k) || isUintKind(k)) return [(v.v as bigint) !== 0n, true];
  if (isFloatKind(k)) return [(v.v as number) !== 0, true];
  return [false, false];
}

/** The elements of a slice or array (addressable). */
export function elements(v: GoValue): GoValue[] {
  return ((v.v as GoValue[] | null) ?? []).map((x) => ({ ...x, addr: true }));
}

/** The name an embedded field is known by: its type's name without package or `*`. */
export function embeddedName(t: GoType): string {
  const n = t.kind === "ptr" && t.elem ? t.elem.name : t.name;
  const dot = n.lastIndexOf(".");
  return dot >= 0 ? n.slice(dot + 1) : n;
}

/** A field found by name: the index path through embedded fields, and the field. */
export interface FieldPath {
  readonly path: readonly number[];
  readonly field: GoField;
}

function structOf(t: GoType): GoType | undefined {
  if (t.kind === "struct") return t;
  if (t.kind === "ptr" && t.elem?.kind === "struct") return t.elem;
  return undefined;
}

/** reflect.Type.FieldByName: the shallowest field of that name; none if two are equally shallow. */
export function fieldByName(t: GoType, name: string): FieldPath | undefined {
  let level: { type: GoType; path: number[] }[] = [{ type: t, path: [] }];
  const seen = new Set<GoType>();
  while (level.length > 0) {
    const found: FieldPath[] = [];
    const next: { type: GoType; path: number[] }[] = [];
    for (const { type, path } of level) {
      if (seen.has(type)) continue;
      seen.add(type);
      (type.fields ?? []).forEach((f, i) => {
        const fname = f.embedded ? embeddedName(f.type) : f.name;
        if (fname === name) found.push({ path: [...path, i], field: f });
        else if (f.embedded) {
          const s = structOf(f.type);
          if (s) next.push({ type: s, path: [...path, i] });
        }
      });
    }
    if (found.length === 1) return found[0];
    if (found.length > 1) return undefined;
    level = next;
  }
  return undefined;
}

/** An error reaching a promoted field through a nil embedded pointer. */
export class NilEmbeddedError extends Error {}

/** reflect.Value.FieldByIndexErr. */
export function fieldByIndex(v: GoValue, path: readonly number[]): GoValue {
  let cur = v;
  path.forEach((i, depth) => {
    if (depth > 0 && cur.t.kind === "ptr") {
      const target = elem(cur);
      if (!target) {
        throw new NilEmbeddedError(
          `reflect: indirection through nil pointer to embedded struct field ${embeddedName(cur.t)}`,
        );
      }
      cur = target;
    }
    const fields = cur.v as GoValue[];
    const f = fields[i];
    if (!f) throw new Error(`field ${i} of ${cur.t.name} missing`);
    cur = cur.addr ? { ...f, addr: true } : f;
  });
  return cur;
}

/** Whether a field name is exported (starts with an upper-case letter). */
export function isExported(name: string): boolean {
  const c = name.codePointAt(0) ?? 0;
  const s = String.fromCodePoint(c);
  return s !== s.toLowerCase() && s === s.toUpperCase();
}

/** A method found on a value: the method and the receiver to call it with. */
export interface BoundMethod {
  readonly method: GoMethod;
  readonly recv: GoValue;
}

/**
 * reflect.Value.MethodByName on `v` (a *T sees T's and *T's methods, an addressable T too, a plain T
 * only value-receiver ones), including methods promoted from embedded fields.
 */
export function methodByName(v: GoValue, name: string): BoundMethod | undefined {
  let base: GoValue | undefined = v;
  let viaPtr = false;
  if (v.t.kind === "ptr") {
    viaPtr = true;
    const own = v.t.elem?.methods.get(name);
    if (own) return { method: own, recv: v };
    base = elem(v);
    if (!base) return undefined;
  } else {
    const own = v.t.methods.get(name);
    if (own && (!own.ptrRecv || v.addr)) return { method: own, recv: v };
  }
  if (base.t.kind !== "struct") return undefined;
  for (const [i, f] of (base.t.fields ?? []).entries()) {
    if (!f.embedded) continue;
    const fv = fieldByIndex(viaPtr ? { ...base, addr: true } : base, [i]);
    const found = fv.t.kind === "ptr" && fv.v === null ? undefined : methodByName(fv, name);
    if (found) return found;
  }
  return undefined;
}

/** The primitive a map key is stored under. */
export function keyOf(k: GoValue): string | bigint {
  return k.v as string | bigint;
}

/** reflect.Value.MapIndex (undefined when absent). */
export function mapIndex(m: GoValue, key: string | bigint): GoValue | undefined {
  const entries = m.v as Map<string | bigint, GoValue> | null;
  return entries?.get(key);
}

/** The entries of a map in internal/fmtsort order (keys as Go values). */
export function sortedEntries(m: GoValue): [GoValue, GoValue][] {
  const entries = [...((m.v as Map<string | bigint, GoValue> | null) ?? new Map<string | bigint, GoValue>())];
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const kt = m.t.key ?? T.string;
  return entries.map(([k, v]) => [{ t: kt, v: k }, v]);
}
