/**
 * A function a template can call: its Go signature (parameter types, variadic, result) and its body.
 * Arguments arrive already checked against the parameter types, as text/template's evalCall does;
 * an invalid value (Go's zero reflect.Value) is `undefined`. A returned error is a thrown GoFuncError.
 * Rules: Go text/template/funcs.go (FuncMap, goodFunc).
 */
import type { GoType, GoValue } from "./GoType.js";

/** A template function. */
export interface TemplateFunc {
  /** Parameter types; for a variadic function the last one is the element type of the `...` part. */
  readonly params: readonly GoType[];
  readonly variadic?: boolean;
  /** The result type (T.reflectValue for builtins that return reflect.Value, unwrapped by the engine). */
  readonly result: GoType;
  readonly returnsError?: boolean;
  call(args: readonly (GoValue | undefined)[]): GoValue | undefined;
}

/** Functions by name (a template.FuncMap). */
export type FuncMap = Readonly<Record<string, TemplateFunc>>;
