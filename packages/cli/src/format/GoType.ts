/**
 * The Go types the template engine reflects over: basic kinds, pointers, slices, arrays, maps with
 * string or integer keys, structs (fields with json tags, embedded fields) and named types with methods.
 * Types are interned, so identity is Go's type identity; assignability follows the Go spec (identical,
 * to `interface {}`, or identical underlying types when one side is unnamed).
 * Pure. Rules: Go's reflect (Type.String, AssignableTo) for the subset used.
 */

/**
 * A Go value as reflect.Value sees it: its type, its contents and whether it is addressable. Contents by
 * kind: bool → boolean; integers → bigint; floats → number; string → byte string (goString.ts);
 * interface → the dynamic GoValue or null (nil); ptr → `{ target }` or null; slice → GoValue[] or null;
 * array → GoValue[]; map → Map from the key's contents (byte string or bigint) to the element, or null;
 * struct → GoValue[] in field order. Operations live in GoValue.ts.
 */
export interface GoValue {
  readonly t: GoType;
  readonly v: unknown;
  /** reflect.Value.CanAddr: reached through a pointer, a slice element or an addressable struct. */
  readonly addr?: boolean;
}

/** The kinds of reflect.Kind the engine knows. `reflectValue` marks a function parameter of type reflect.Value. */
export type GoKind =
  | "bool"
  | "int"
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint"
  | "uint8"
  | "uint16"
  | "uint32"
  | "uint64"
  | "uintptr"
  | "float32"
  | "float64"
  | "string"
  | "interface"
  | "map"
  | "slice"
  | "array"
  | "struct"
  | "ptr"
  | "error"
  | "reflectValue";

/** A struct field: its Go name, type, json tag and whether it is embedded (anonymous). */
export interface GoField {
  readonly name: string;
  readonly type: GoType;
  /** The raw json tag value (`json:"Id,omitempty"` → `Id,omitempty`), or null without one. */
  readonly json: string | null;
  readonly embedded: boolean;
  /** The whole tag as written, for the type's String(). */
  readonly tag?: string;
}

/** An error a Go function or method returns; the template says `error calling NAME: MESSAGE`. */
export class GoFuncError extends Error {
  readonly code = "GO_FUNC_ERROR";
}

/** A method of a named type. Methods return one value, or throw GoFuncError for their error result. */
export interface GoMethod {
  readonly name: string;
  /** Declared on *T (only reachable through a pointer or an addressable value). */
  readonly ptrRecv: boolean;
  readonly params: readonly GoType[];
  readonly variadic?: boolean;
  readonly result: GoType;
  /** Whether the method also returns an error (counts in the "%d results" message only). */
  readonly returnsError?: boolean;
  call(recv: GoValue, args: readonly GoValue[]): GoValue;
}

/** A Go type. Compare with `===` (types are interned). */
export interface GoType {
  readonly kind: GoKind;
  /** reflect.Type.String(): `int`, `[]string`, `map[string]interface {}`, `*container.State`. */
  readonly name: string;
  /** A defined type (predeclared or declared with `type`), as opposed to a type literal. */
  readonly named: boolean;
  /** For a named type, the type literal (or basic type) beneath; for others, itself. */
  readonly underlying: GoType;
  readonly elem?: GoType;
  readonly key?: GoType;
  readonly len?: number;
  /** Struct fields, in declaration order (set once, after creation, so types may refer to each other). */
  fields?: readonly GoField[];
  /** Methods declared on this named type (value and pointer receivers). */
  readonly methods: Map<string, GoMethod>;
}

function make(kind: GoKind, name: string, extra: Partial<GoType> = {}, named = false): GoType {
  const t = { kind, name, named, methods: new Map(), ...extra } as {
    -readonly [K in keyof GoType]: GoType[K];
  };
  if (!t.underlying) t.underlying = t;
  return t;
}

const basics = new Map<string, GoType>();
function basic(kind: GoKind): GoType {
  let t = basics.get(kind);
  if (!t) {
    t = make(kind, kind, {}, true);
    basics.set(kind, t);
  }
  return t;
}

/** The predeclared types. */
export const T = {
  bool: basic("bool"),
  int: basic("int"),
  int8: basic("int8"),
  int16: basic("int16"),
  int32: basic("int32"),
  int64: basic("int64"),
  uint: basic("uint"),
  uint8: basic("uint8"),
  uint16: basic("uint16"),
  uint32: basic("uint32"),
  uint64: basic("uint64"),
  float32: basic("float32"),
  float64: basic("float64"),
  string: basic("string"),
  /** `interface {}` (any). */
  any: make("interface", "interface {}"),
  error: make("error", "error", {}, true),
  /** reflect.Value, as a parameter type of builtins (and, or, index, eq…). */
  reflectValue: make("reflectValue", "reflect.Value", {}, true),
} as const;

const ptrs = new Map<GoType, GoType>();
/** *elem */
export function ptrTo(elem: GoType): GoType {
  let t = ptrs.get(elem);
  if (!t) {
    t = make("ptr", `*${elem.name}`, { elem });
    ptrs.set(elem, t);
  }
  return t;
}

const slices = new Map<GoType, GoType>();
/** []elem */
export function sliceOf(elem: GoType): GoType {
  let t = slices.get(elem);
  if (!t) {
    t = make("slice", `[]${elem.name}`, { elem });
    slices.set(elem, t);
  }
  return t;
}

const arrays = new Map<GoType, Map<number, GoType>>();
/** [len]elem */
export function arrayOf(len: number, elem: GoType): GoType {
  let byLen = arrays.get(elem);
  if (!byLen) {
    byLen = new Map();
    arrays.set(elem, byLen);
  }
  let t = byLen.get(len);
  if (!t) {
    t = make("array", `[${len}]${elem.name}`, { elem, len });
    byLen.set(len, t);
  }
  return t;
}

const maps = new Map<GoType, Map<GoType, GoType>>();
/** map[key]elem */
export function mapOf(key: GoType, elem: GoType): GoType {
  let byKey = maps.get(key);
  if (!byKey) {
    byKey = new Map();
    maps.set(key, byKey);
  }
  let t = byKey.get(elem);
  if (!t) {
    t = make("map", `map[${key.name}]${elem.name}`, { key, elem });
    byKey.set(elem, t);
  }
  return t;
}

/** A struct type literal (its fields may be set later with `setFields`). */
export function structType(fields: readonly GoField[] = []): GoType {
  const t = make("struct", "struct {}");
  setFields(t, fields);
  return t;
}

/** Sets a struct's fields (and, for a literal, its name). */
export function setFields(t: GoType, fields: readonly GoField[]): void {
  t.fields = fields;
  if (!t.named) {
    const parts = fields.map((f) => {
      const tag = f.tag ? ` ${JSON.stringify(f.tag)}` : "";
      return f.embedded ? `${f.type.name}${tag}` : `${f.name} ${f.type.name}${tag}`;
    });
    (t as { name: string }).name = parts.length === 0 ? "struct {}" : `struct { ${parts.join("; ")} }`;
  }
}

/** A named (defined) type `pkg.Name` over `underlying`; structs get their fields with setFields. */
export function namedType(name: string, underlying: GoType): GoType {
  if (underlying.kind === "struct") {
    const t = make("struct", name, {}, true);
    if (underlying.fields) t.fields = underlying.fields;
    return t;
  }
  return make(
    underlying.kind,
    name,
    {
      underlying,
      ...(underlying.elem ? { elem: underlying.elem } : {}),
      ...(underlying.key ? { key: underlying.key } : {}),
      ...(underlying.len !== undefined ? { len: underlying.len } : {}),
    },
    true,
  );
}

/** Adds methods to a named type. */
export function addMethods(t: GoType, methods: readonly GoMethod[]): GoType {
  for (const m of methods) t.methods.set(m.name, m);
  return t;
}

/** Integer kinds (signed). */
export function isIntKind(k: GoKind): boolean {
  return k === "int" || k === "int8" || k === "int16" || k === "int32" || k === "int64";
}

/** Integer kinds (unsigned). */
export function isUintKind(k: GoKind): boolean {
  return (
    k === "uint" || k === "uint8" || k === "uint16" || k === "uint32" || k === "uint64" || k === "uintptr"
  );
}

/** Float kinds. */
export function isFloatKind(k: GoKind): boolean {
  return k === "float32" || k === "float64";
}

/** reflect.Type.AssignableTo. */
export function assignableTo(v: GoType, t: GoType): boolean {
  if (v === t) return true;
  if (t.kind === "interface") return true;
  if (t.kind === "error") return false;
  if (v.named && t.named) return false;
  return v.underlying === t.underlying && v.kind !== "interface";
}

/** The bit size of an integer kind. */
export function intBits(k: GoKind): number {
  switch (k) {
    case "int8":
    case "uint8":
      return 8;
    case "int16":
    case "uint16":
      return 16;
    case "int32":
    case "uint32":
      return 32;
    default:
      return 64;
  }
}

/** Whether values of the type may be nil. */
export function canBeNil(t: GoType): boolean {
  switch (t.kind) {
    case "interface":
    case "map":
    case "ptr":
    case "slice":
    case "error":
    case "reflectValue":
      return true;
  }
  return false;
}

/** reflect.Type.Comparable (the types the engine has). */
export function comparable(t: GoType): boolean {
  switch (t.kind) {
    case "map":
    case "slice":
      return false;
    case "array":
      return t.elem ? comparable(t.elem) : true;
    case "struct":
      return (t.fields ?? []).every((f) => comparable(f.type));
  }
  return true;
}
