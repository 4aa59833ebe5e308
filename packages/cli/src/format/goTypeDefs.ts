/**
 * Go type definitions written as data (`{ struct: [[name, type, jsonTag, rawTag]…] }`, `{ type: "[]string" }`,
 * `{ alias: "string" }`) and their resolution into interned GoTypes, so the API's types (mobyTypes.ts)
 * and docker's formatter contexts are declared once, readably. Type expressions are Go's: `*T`, `[]T`,
 * `[2]uint`, `map[K]V`, `struct{}`, predeclared names and `pkg.Name`.
 * Pure. Rules: the Go spec (type identity; aliases are the same type).
 */
import {
  arrayOf,
  type GoField,
  type GoType,
  mapOf,
  namedType,
  ptrTo,
  setFields,
  sliceOf,
  structType,
  T,
} from "./GoType.js";

/** A field: [Go name ("" when embedded), type, json tag value, whole tag]. */
export type GoFieldDef = readonly [string, GoTypeExpr] | readonly [string, GoTypeExpr, string | null, string];

/** A type expression: Go syntax, or an anonymous struct. */
export type GoTypeExpr = string | { readonly struct: readonly GoFieldDef[] };

/** A definition: a struct, a defined type over another, or an alias. */
export type GoTypeDef =
  | { readonly struct: readonly GoFieldDef[] }
  | { readonly type: string }
  | { readonly alias: string };

const PREDECLARED: Record<string, GoType> = {
  string: T.string,
  bool: T.bool,
  int: T.int,
  int8: T.int8,
  int16: T.int16,
  int32: T.int32,
  rune: T.int32,
  int64: T.int64,
  uint: T.uint,
  uint8: T.uint8,
  byte: T.uint8,
  uint16: T.uint16,
  uint32: T.uint32,
  uint64: T.uint64,
  float32: T.float32,
  float64: T.float64,
  any: T.any,
  "interface{}": T.any,
};

const EMPTY_STRUCT = structType([]);

/** Resolves names against definitions, with extra ready-made types (time.Time…). */
export class GoTypeRegistry {
  private readonly cache = new Map<string, GoType>();

  constructor(
    private readonly defs: Readonly<Record<string, GoTypeDef>>,
    ready: Readonly<Record<string, GoType>> = {},
  ) {
    for (const [k, v] of Object.entries(ready)) this.cache.set(k, v);
  }

  /** The type named `name` (e.g. `container.InspectResponse`). */
  named(name: string): GoType {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const def = this.defs[name];
    if (!def) throw new Error(`unknown Go type ${name}`);
    if ("alias" in def) {
      const t = this.expr(def.alias);
      this.cache.set(name, t);
      return t;
    }
    if ("struct" in def) {
      const t = namedType(name, EMPTY_STRUCT);
      this.cache.set(name, t);
      setFields(t, this.fields(def.struct));
      return t;
    }
    const t = namedType(name, this.expr(def.type));
    this.cache.set(name, t);
    return t;
  }

  private fields(defs: readonly GoFieldDef[]): GoField[] {
    return defs.map((d) => {
      const [name, expr, json, tag] = d;
      const type = this.expr(expr);
      return { name, type, json: json ?? null, embedded: name === "", ...(tag ? { tag } : {}) };
    });
  }

  /** Resolves a type expression. */
  expr(e: GoTypeExpr): GoType {
    if (typeof e !== "string") return structType(this.fields(e.struct));
    const s = e.trim();
    const pre = PREDECLARED[s];
    if (pre) return pre;
    if (s === "struct{}") return EMPTY_STRUCT;
    if (s.startsWith("*")) return ptrTo(this.expr(s.slice(1)));
    if (s.startsWith("[]")) return sliceOf(this.expr(s.slice(2)));
    const arr = /^\[(\d+)\](.*)$/.exec(s);
    if (arr) return arrayOf(Number(arr[1]), this.expr(arr[2] as string));
    if (s.startsWith("map[")) {
      let depth = 0;
      for (let i = 3; i < s.length; i++) {
        if (s[i] === "[") depth++;
        else if (s[i] === "]") {
          depth--;
          if (depth === 0) return mapOf(this.expr(s.slice(4, i)), this.expr(s.slice(i + 1)));
        }
      }
    }
    return this.named(s);
  }
}
