/**
 * A Go text/template, parsed once and executed over Go values: the engine behind `--format` and
 * `inspect -f`. `parseGoTemplate` checks function names at parse time as Go does; errors carry Go's text
 * (TemplateParseError: `template: :1: unclosed action`; TemplateExecError: `template: :1:2: executing ""
 * at <.Foo>: can't evaluate field Foo in type …`) as JS strings, with the output written before an
 * execution error. Pure. Contract: docs/cli-format.md · laws: test/format/goTemplate.test.ts
 */

import type { GoValue } from "./GoType.js";
import { fromGoString, toGoString } from "./goString.js";
import { BUILTINS } from "./templateBuiltins.js";
import { type ExecEnv, executeTemplate, type MissingKey, TemplateExecError } from "./templateExec.js";
import type { FuncMap } from "./templateFunc.js";
import { type ParsedTree, parseTemplateText, TemplateParseError } from "./templateParser.js";

export { TemplateExecError } from "./templateExec.js";
export { TemplateParseError } from "./templateParser.js";

/** How to execute: extra or replacing functions (docker's header functions) and the missingkey option. */
export interface ExecuteOptions {
  readonly funcs?: FuncMap;
  readonly missingKey?: MissingKey;
}

/** A parsed template. */
export interface GoTemplate {
  /** The template's name ("" for docker's). */
  readonly name: string;
  /**
   * Runs the template over `data` (undefined is Go's nil data) and returns the output as a byte string
   * (see goString.ts; `fromGoString` makes it a JS string).
   * @throws TemplateExecError
   */
  executeBytes(data: GoValue | undefined, options?: ExecuteOptions): string;
  /** Like executeBytes, with the output decoded from UTF-8. */
  execute(data: GoValue | undefined, options?: ExecuteOptions): string;
}

/**
 * Parses `text` (a JS string) with the given functions added to Go's builtins.
 * @throws TemplateParseError with Go's message
 * @example parseGoTemplate("{{.Name}}").execute(value)
 */
export function parseGoTemplate(text: string, funcs: FuncMap = {}, name = ""): GoTemplate {
  const bytes = toGoString(text);
  const has = (n: string) => Object.hasOwn(funcs, n) || Object.hasOwn(BUILTINS, n);
  let trees: Map<string, ParsedTree>;
  try {
    trees = parseTemplateText(name, bytes, has);
  } catch (e) {
    if (e instanceof TemplateParseError) throw new TemplateParseError(fromGoString(e.message));
    throw e;
  }
  const executeBytes = (data: GoValue | undefined, options: ExecuteOptions = {}): string => {
    const env: ExecEnv = {
      name,
      trees,
      funcs: { ...funcs, ...(options.funcs ?? {}) },
      builtins: BUILTINS,
      missingKey: options.missingKey ?? "default",
    };
    try {
      return executeTemplate(env, data);
    } catch (e) {
      if (e instanceof TemplateExecError) throw new TemplateExecError(fromGoString(e.message), e.output);
      throw e;
    }
  };
  return {
    name,
    executeBytes,
    execute: (data, options) => fromGoString(executeBytes(data, options)),
  };
}
