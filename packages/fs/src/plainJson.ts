/**
 * Plain JSON data: what a snapshot can carry as it is. The copy checks every value on the way (a
 * class instance, `undefined` in an array, a hole, `NaN` or a field named `__proto__` is refused with
 * its path), sorts object keys in byte order so that equal data always gives the same text, and
 * never shares an object with its input.
 */
import { FsStateCodecError, type FsStateCodecProblem } from "./FsStateCodecError.js";
import { compareNames } from "./PersistentMap.js";

/** A value JSON carries as it is. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export type JsonObject = { readonly [key: string]: JsonValue };

/** Whether `value` is an object literal (or `JSON.parse` output): no class instance, no array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A checked copy of `value`; `path` names it in the error, which has the given `reason`. */
export function copyPlain(value: unknown, path: string, reason: FsStateCodecProblem): JsonValue {
  const fail = (at: string, problem: string) => new FsStateCodecError(reason, at, problem);
  const copy = (v: unknown, at: string): JsonValue => {
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        if (!Number.isFinite(v)) throw fail(at, `${v} is not a JSON number`);
        return v;
      case "object": {
        if (v === null) return null;
        if (Array.isArray(v)) {
          const out: JsonValue[] = [];
          for (let i = 0; i < v.length; i++) {
            if (!(i in v)) throw fail(`${at}[${i}]`, "a hole in an array is not JSON data");
            out.push(copy(v[i], `${at}[${i}]`));
          }
          return out;
        }
        if (!isPlainObject(v)) {
          const name = (v as object).constructor?.name ?? "object";
          throw fail(at, `a ${name} is not plain JSON data`);
        }
        const out: Record<string, JsonValue> = {};
        for (const key of Object.keys(v).sort(compareNames)) {
          if (key === "__proto__") throw fail(at, "a field named __proto__ is refused");
          const field = v[key];
          if (field === undefined) continue; // absent, as JSON has it
          out[key] = copy(field, `${at}.${key}`);
        }
        return out;
      }
      default:
        throw fail(at, `${v === undefined ? "undefined" : `a ${typeof v}`} is not JSON data`);
    }
  };
  return copy(value, path);
}
