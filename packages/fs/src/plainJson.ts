/**
 * Plain JSON data: what a snapshot can carry as it is. The copy checks every value on the way (a
 * class instance, `undefined` in an array, a hole, `NaN`, a field named `__proto__` or data nested
 * deeper than 64 levels is refused with its path), sorts object keys (in UTF-16 order) so that equal
 * data always gives the same text, and never shares an object with its input.
 */
import { FsStateCodecError, type FsStateCodecProblem } from "./FsStateCodecError.js";

/** A value JSON carries as it is. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export type JsonObject = { readonly [key: string]: JsonValue };

/** Whether `value` is an object literal (or `JSON.parse` output): no class instance, no array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Plain data nested deeper is refused (a hostile snapshot must not exhaust the call stack). */
const MAX_DEPTH = 64;

/** A JSON value that is not an object or array. */
export const isPrimitive = (v: unknown): v is string | boolean | number | null =>
  v === null ||
  typeof v === "string" ||
  typeof v === "boolean" ||
  (typeof v === "number" && Number.isFinite(v));

/** A checked copy of `value`; `path` names it in the error, which has the given `reason`. */
export function copyPlain(value: unknown, path: string, reason: FsStateCodecProblem): JsonValue {
  const fail = (at: string, problem: string) => new FsStateCodecError(reason, at, problem);
  const copy = (v: unknown, at: string, depth: number): JsonValue => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        if (!Number.isFinite(v)) throw fail(at, `${v} is not a JSON number`);
        return v;
      case "object": {
        if (v === null) return null;
        if (depth >= MAX_DEPTH) throw fail(at, `nested deeper than ${MAX_DEPTH} levels`);
        if (Array.isArray(v)) {
          const out: JsonValue[] = [];
          for (let i = 0; i < v.length; i++) {
            if (!(i in v)) throw fail(`${at}[${i}]`, "a hole in an array is not JSON data");
            const item: unknown = v[i];
            out.push(isPrimitive(item) ? item : copy(item, `${at}[${i}]`, depth + 1));
          }
          return out;
        }
        if (!isPlainObject(v)) {
          const name = (v as object).constructor?.name ?? "object";
          throw fail(at, `a ${name} is not plain JSON data`);
        }
        const out: Record<string, JsonValue> = {};
        for (const key of Object.keys(v).sort()) {
          if (key === "__proto__") throw fail(at, "a field named __proto__ is refused");
          const field = v[key];
          if (field === undefined) continue; // absent, as JSON has it
          out[key] = isPrimitive(field) ? field : copy(field, `${at}.${key}`, depth + 1);
        }
        return out;
      }
      default:
        throw fail(at, `${v === undefined ? "undefined" : `a ${typeof v}`} is not JSON data`);
    }
  };
  return copy(value, path, 0);
}
