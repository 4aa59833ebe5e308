/**
 * Executes a parsed Go template over a GoValue, with Go's semantics: field and method lookup (methods
 * first, then struct fields, then map keys), `<no value>` for a missing map key, interface values
 * unwrapped between pipeline stages, typed function arguments (`wrong type for value; expected string;
 * got int`), short-circuit and/or, range over slices, maps (sorted keys) and integers, break/continue,
 * variables, with/else with, and errors worded as Go words them
 * (`template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type …`).
 * Output is a byte string; an error keeps the output written before it (Go writes as it goes).
 * Pure. Rules: Go text/template/exec.go (Go 1.24).
 */

import {
  assignableTo,
  canBeNil,
  GoFuncError,
  type GoType,
  type GoValue,
  isFloatKind,
  isIntKind,
  isUintKind,
  ptrTo,
  T,
} from "./GoType.js";
import {
  elem,
  elements,
  fieldByIndex,
  fieldByName,
  indirect,
  indirectInterface,
  isExported,
  isTrue,
  lengthOf,
  mapIndex,
  methodByName,
  NilEmbeddedError,
  sortedEntries,
  zeroValue,
} from "./GoValue.js";
import { asFmtArg, goSprint } from "./goFmt.js";
import { goQuote } from "./goQuote.js";
import type { FuncMap, TemplateFunc } from "./templateFunc.js";
import {
  type BranchNode,
  type ChainNode,
  type CommandNode,
  errorContext,
  type FieldNode,
  type IdentifierNode,
  type ListNode,
  type Node,
  type NumberNode,
  nodeString,
  type PipeNode,
  type VariableNode,
} from "./templateNodes.js";
import type { ParsedTree } from "./templateParser.js";

/** An error executing a template; `message` is Go's text, `output` what was written before it (a byte string). */
export class TemplateExecError extends Error {
  readonly code = "TEMPLATE_EXEC";
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

/** What a missing map key gives: Go's default (`<no value>`) or docker inspect's fallback `error`. */
export type MissingKey = "default" | "zero" | "error";

/** Everything execution needs: the trees, the functions (user then builtin), the missingkey option. */
export interface ExecEnv {
  readonly name: string;
  readonly trees: ReadonlyMap<string, ParsedTree>;
  readonly funcs: FuncMap;
  readonly builtins: FuncMap;
  readonly missingKey: MissingKey;
}

/** The invalid reflect.Value. */
type Val = GoValue | undefined;

/** text/template's missingVal marker: "no final argument". */
const MISSING: GoValue = { t: T.any, v: Symbol("missing") };
const isMissing = (v: Val) => v === MISSING;

class Abort {
  constructor(readonly error: TemplateExecError) {}
}
class BreakSignal {}
class ContinueSignal {}
const BREAK = new BreakSignal();
const CONTINUE = new ContinueSignal();

const MAX_DEPTH = 1000;

interface Variable {
  name: string;
  value: Val;
}

class State {
  out = "";
  node: Node | null = null;
  vars: Variable[];
  depth = 0;

  constructor(
    readonly env: ExecEnv,
    data: Val,
  ) {
    this.vars = [{ name: "$", value: data }];
  }

  errorf(message: string): never {
    const name = goQuote(this.env.name);
    let text: string;
    if (this.node === null) text = `template: ${this.env.name}: ${message}`;
    else {
      const [location, context] = errorContext(this.node);
      text = `template: ${location}: executing ${name} at <${context}>: ${message}`;
    }
    throw new Abort(new TemplateExecError(text, this.out));
  }

  at(n: Node): void {
    this.node = n;
  }

  mark(): number {
    return this.vars.length;
  }
  pop(mark: number): void {
    this.vars.length = mark;
  }
  push(name: string, value: Val): void {
    this.vars.push({ name, value });
  }
  setVar(name: string, value: Val): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) {
        v.value = value;
        return;
      }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  setTopVar(n: number, value: Val): void {
    (this.vars[this.vars.length - n] as Variable).value = value;
  }
  varValue(name: string): Val {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const v = this.vars[i] as Variable;
      if (v.name === name) return v.value;
    }
    return this.errorf(`undefined variable: ${name}`);
  }

  // --- walking -----------------------------------------------------------------
  walk(dot: Val, node: Node): void {
    this.at(node);
    switch (node.kind) {
      case "action": {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case "break":
        throw BREAK;
      case "continue":
        throw CONTINUE;
      case "comment":
        return;
      case "if":
      case "with":
        this.walkIfOrWith(node, dot);
        return;
      case "list":
        for (const n of node.nodes) this.walk(dot, n);
        return;
      case "range":
        this.walkRange(dot, node);
        return;
      case "template":
        this.walkTemplate(dot, node);
        return;
      case "text":
        this.out += node.text;
        return;
    }
    this.errorf(`unknown node: ${nodeString(node)}`);
  }

  walkIfOrWith(node: BranchNode, dot: Val): void {
    const mark = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      const [truth, ok] = isTrue(indirectInterface(val));
      if (!ok) this.errorf(`if/with can't use ${goSprint([asFmtArg(val)])}`);
      if (truth) this.walk(node.kind === "with" ? val : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.pop(mark);
    }
  }

  walkRange(dot: Val, r: BranchNode): void {
    this.at(r);
    const outerMark = this.mark();
    try {
      const [val] = (() => {
        const v = this.evalPipeline(dot, r.pipe);
        return v === undefined ? [undefined] : indirect(v);
      })();
      const mark = this.mark();
      const oneIteration = (index: Val, el: Val) => {
        const decl = r.pipe.decl;
        if (decl.length > 0) {
          if (r.pipe.isAssign) {
            if (decl.length > 1) this.setVar(decl[0]?.ident[0] as string, index);
            else this.setVar(decl[0]?.ident[0] as string, el);
          } else this.setTopVar(1, el);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1]?.ident[0] as string, el);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(el, r.list);
        } catch (e) {
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
      };
      const k = val?.t.kind;
      if (val === undefined) {
        // An invalid value acts like an empty map.
      } else if (k === "array" || k === "slice") {
        const items = elements(val);
        if (items.length > 0) {
          items.forEach((x, i) => {
            oneIteration({ t: T.int, v: BigInt(i) }, x);
          });
          return;
        }
      } else if (k === "map") {
        if (lengthOf(val) > 0) {
          for (const [key, v] of sortedEntries(val)) oneIteration(key, v);
          return;
        }
      } else if (k !== undefined && (isIntKind(k) || isUintKind(k))) {
        if (r.pipe.decl.length > 1) {
          this.errorf(`can't use ${goSprint([asFmtArg(val)])} to iterate over more than one variable`);
        }
        const n = val.v as bigint;
        if (n > 0n) {
          for (let i = 0n; i < n; i++) oneIteration(undefined, { t: val.t, v: i });
          return;
        }
      } else {
        this.errorf(`range can't iterate over ${goSprint([asFmtArg(val)])}`);
      }
      if (r.elseList) this.walk(dot, r.elseList);
    } catch (e) {
      if (e !== BREAK) throw e;
    } finally {
      this.pop(outerMark);
    }
  }

  walkTemplate(dot: Val, t: Node & { kind: "template" }): void {
    this.at(t);
    const tree = this.env.trees.get(t.name);
    if (!tree) this.errorf(`template ${goQuote(t.name)} not defined`);
    if (this.depth >= MAX_DEPTH) this.errorf("exceeded maximum template depth (100000)");
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    const savedVars = this.vars;
    this.vars = [{ name: "$", value: newDot }];
    this.depth++;
    try {
      this.walk(newDot, tree.root);
    } finally {
      this.depth--;
      this.vars = savedVars;
    }
  }

  // --- evaluation --------------------------------------------------------------
  evalPipeline(dot: Val, pipe: PipeNode): Val {
    this.at(pipe);
    let value: Val = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      if (value !== undefined && value.t.kind === "interface")
        value = (value.v as GoValue | null) ?? undefined;
    }
    for (const v of pipe.decl) {
      if (pipe.isAssign) this.setVar(v.ident[0] as string, value);
      else this.push(v.ident[0] as string, value);
    }
    return value;
  }

  notAFunction(args: readonly Node[], final: Val): void {
    if (args.length > 1 || !isMissing(final)) {
      this.errorf(`can't give argument to non-function ${nodeString(args[0] as Node)}`);
    }
  }

  evalCommand(dot: Val, cmd: CommandNode, final: Val): Val {
    const first = cmd.args[0] as Node;
    switch (first.kind) {
      case "field":
        return this.evalFieldNode(dot, first, cmd.args, final);
      case "chain":
        return this.evalChainNode(dot, first, cmd.args, final);
      case "identifier":
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case "pipe":
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case "variable":
        return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.kind) {
      case "bool":
        return { t: T.bool, v: first.value };
      case "dot":
        return dot;
      case "nil":
        this.errorf("nil is not a command");
        break;
      case "number":
        return this.idealConstant(first);
      case "string":
        return { t: T.string, v: first.text };
    }
    return this.errorf(`can't evaluate command ${goQuote(nodeString(first))}`);
  }

  idealConstant(c: NumberNode): Val {
    this.at(c);
    if (c.isComplex) return this.errorf("complex constants are not supported");
    const isHexInt =
      c.text.length > 2 && c.text[0] === "0" && /[xX]/.test(c.text[1] as string) && !/[pP]/.test(c.text);
    const isRuneInt = c.text[0] === "'";
    if (c.isFloat && !isHexInt && !isRuneInt && /[.eEpP]/.test(c.text)) return { t: T.float64, v: c.float64 };
    if (c.isInt) return { t: T.int, v: c.int64 };
    if (c.isUint) this.errorf(`${c.text} overflows int`);
    return undefined;
  }

  evalFieldNode(dot: Val, field: FieldNode, args: readonly Node[] | null, final: Val): Val {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  evalChainNode(dot: Val, chain: ChainNode, args: readonly Node[] | null, final: Val): Val {
    this.at(chain);
    if (chain.field.length === 0) this.errorf("internal error: no fields in evalChainNode");
    if (chain.node.kind === "nil") this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, null, chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  evalVariableNode(dot: Val, variable: VariableNode, args: readonly Node[] | null, final: Val): Val {
    this.at(variable);
    const value = this.varValue(variable.ident[0] as string);
    if (variable.ident.length === 1) {
      this.notAFunction(args ?? [variable], final);
      return value;
    }
    return this.evalFieldChain(dot, value, variable, variable.ident.slice(1), args, final);
  }

  evalFieldChain(
    dot: Val,
    receiver: Val,
    node: Node,
    ident: readonly string[],
    args: readonly Node[] | null,
    final: Val,
  ): Val {
    let r = receiver;
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) r = this.evalField(dot, ident[i] as string, node, null, MISSING, r);
    return this.evalField(dot, ident[n - 1] as string, node, args, final, r);
  }

  evalFunction(dot: Val, node: IdentifierNode, cmd: Node, args: readonly Node[] | null, final: Val): Val {
    this.at(node);
    const name = node.ident;
    const user = Object.hasOwn(this.env.funcs, name) ? this.env.funcs[name] : undefined;
    const builtin = Object.hasOwn(this.env.builtins, name) ? this.env.builtins[name] : undefined;
    const fn = user ?? builtin;
    if (!fn) return this.errorf(`${goQuote(name)} is not a defined function`);
    return this.evalCall(dot, fn, user === undefined, cmd, name, args, final);
  }

  evalField(
    dot: Val,
    fieldName: string,
    node: Node,
    args: readonly Node[] | null,
    final: Val,
    receiver: Val,
  ): Val {
    if (receiver === undefined) {
      if (this.env.missingKey === "error") this.errorf(`nil data; no entry for key ${goQuote(fieldName)}`);
      return undefined;
    }
    const typ = receiver.t;
    const [recv, isNil] = indirect(receiver);
    if (recv.t.kind === "interface" && isNil) this.errorf(`nil pointer evaluating ${typ.name}.${fieldName}`);
    const method = methodByName(
      recv.t.kind !== "ptr" && recv.addr ? { ...recv, addr: true } : recv,
      fieldName,
    );
    if (method) {
      const m = method.method;
      const fn: TemplateFunc = {
        params: m.variadic ? m.params : m.params,
        variadic: m.variadic ?? false,
        result: m.result,
        returnsError: m.returnsError ?? false,
        call: (a) => m.call(method.recv, a as GoValue[]),
      };
      return this.evalCall(dot, fn, false, node, fieldName, args, final);
    }
    const hasArgs = (args?.length ?? 0) > 1 || !isMissing(final);
    switch (recv.t.kind) {
      case "struct": {
        const f = fieldByName(recv.t, fieldName);
        if (f) {
          let field: GoValue | undefined;
          let err: string | undefined;
          try {
            field = fieldByIndex(recv, f.path);
          } catch (e) {
            if (!(e instanceof NilEmbeddedError)) throw e;
            err = e.message;
          }
          if (!isExported(fieldName))
            this.errorf(`${fieldName} is an unexported field of struct type ${typ.name}`);
          if (err !== undefined) this.errorf(err);
          if (hasArgs) this.errorf(`${fieldName} has arguments but cannot be invoked as function`);
          return field;
        }
        break;
      }
      case "map": {
        const key = recv.t.key ?? T.string;
        if (assignableTo(T.string, key)) {
          if (hasArgs) this.errorf(`${fieldName} is not a method but has arguments`);
          const result = mapIndex(recv, fieldName);
          if (result === undefined) {
            if (this.env.missingKey === "zero") return zeroValue(recv.t.elem ?? T.any);
            if (this.env.missingKey === "error")
              this.errorf(`map has no entry for key ${goQuote(fieldName)}`);
          }
          return result;
        }
        break;
      }
      case "ptr": {
        const et = recv.t.elem;
        if (et?.kind === "struct" && !fieldByName(et, fieldName)) break;
        if (isNil) this.errorf(`nil pointer evaluating ${typ.name}.${fieldName}`);
        break;
      }
    }
    return this.errorf(`can't evaluate field ${fieldName} in type ${typ.name}`);
  }

  evalCall(
    dot: Val,
    fn: TemplateFunc,
    isBuiltin: boolean,
    node: Node,
    name: string,
    allArgs: readonly Node[] | null,
    final: Val,
  ): Val {
    const args = allArgs ? allArgs.slice(1) : [];
    const numParams = fn.params.length;
    let numIn = args.length;
    if (!isMissing(final)) numIn++;
    let numFixed = args.length;
    if (fn.variadic) {
      numFixed = numParams - 1;
      if (numIn < numFixed)
        this.errorf(`wrong number of args for ${name}: want at least ${numParams - 1} got ${args.length}`);
    } else if (numIn !== numParams) {
      this.errorf(`wrong number of args for ${name}: want ${numParams} got ${numIn}`);
    }
    const paramType = (i: number): GoType =>
      (fn.variadic && i >= numParams - 1 ? fn.params[numParams - 1] : fn.params[i]) as GoType;

    if (isBuiltin && (name === "and" || name === "or")) {
      let v: Val;
      for (const a of args) {
        v = this.evalArg(dot, T.reflectValue, a);
        if (isTrue(indirectInterface(v))[0] === (name === "or")) return v;
      }
      if (!isMissing(final)) v = this.validateType(final, T.reflectValue);
      return v;
    }

    const argv: Val[] = [];
    let i = 0;
    for (; i < numFixed && i < args.length; i++) argv.push(this.evalArg(dot, paramType(i), args[i] as Node));
    if (fn.variadic) for (; i < args.length; i++) argv.push(this.evalArg(dot, paramType(i), args[i] as Node));
    if (!isMissing(final)) {
      let t = fn.params[numParams - 1] as GoType;
      if (fn.variadic) t = numIn - 1 < numFixed ? (fn.params[numIn - 1] as GoType) : paramType(numParams - 1);
      argv.push(this.validateType(final, t));
    }

    if (isBuiltin && name === "call") {
      this.at(node);
      const callee = indirectInterface(argv[0]);
      const calleeName = nodeString(args[0] as Node);
      if (callee === undefined) this.errorf("error calling call: call of nil");
      this.errorf(`error calling call: non-function ${calleeName} of type ${callee?.t.name}`);
    }

    let v: Val;
    try {
      v = fn.call(argv);
    } catch (e) {
      if (e instanceof Abort || e === BREAK || e === CONTINUE) throw e;
      const message = e instanceof GoFuncError ? e.message : e instanceof Error ? e.message : String(e);
      this.at(node);
      this.errorf(`error calling ${name}: ${message}`);
    }
    if (fn.result.kind === "interface" && v !== undefined && v.t.kind !== "interface") {
      v = { t: fn.result, v };
    }
    return v;
  }

  validateType(value: Val, typ: GoType | null): Val {
    if (value === undefined) {
      if (typ === null) return undefined;
      if (typ.kind === "reflectValue") return undefined;
      if (canBeNil(typ)) return zeroValue(typ);
      return this.errorf(`invalid value; expected ${typ.name}`);
    }
    if (typ === null || typ.kind === "reflectValue") return value;
    if (!assignableTo(value.t, typ)) {
      let v = value;
      if (v.t.kind === "interface" && v.v !== null) {
        v = v.v as GoValue;
        if (assignableTo(v.t, typ)) return v;
      }
      if (v.t.kind === "ptr" && v.t.elem && assignableTo(v.t.elem, typ)) {
        const target = elem(v);
        if (!target) this.errorf(`dereference of nil pointer of type ${typ.name}`);
        return target;
      }
      if (v.addr && assignableTo(ptrTo(v.t), typ)) return { t: ptrTo(v.t), v: { target: v } };
      return this.errorf(`wrong type for value; expected ${typ.name}; got ${v.t.name}`);
    }
    return value;
  }

  evalArg(dot: Val, typ: GoType | null, n: Node): Val {
    this.at(n);
    switch (n.kind) {
      case "dot":
        return this.validateType(dot, typ);
      case "nil":
        if (typ && canBeNil(typ)) return typ.kind === "reflectValue" ? undefined : zeroValue(typ);
        return this.errorf(`cannot assign nil to ${typ?.name}`);
      case "field":
        return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case "variable":
        return this.validateType(this.evalVariableNode(dot, n, null, MISSING), typ);
      case "pipe":
        return this.validateType(this.evalPipeline(dot, n), typ);
      case "identifier":
        return this.validateType(this.evalFunction(dot, n, n, null, MISSING), typ);
      case "chain":
        return this.validateType(this.evalChainNode(dot, n, null, MISSING), typ);
    }
    if (typ === null) return this.errorf(`can't handle ${nodeString(n)} for arg of type <nil>`);
    const k = typ.kind;
    if (k === "bool") {
      if (n.kind === "bool") return { t: typ, v: n.value };
      return this.errorf(`expected bool; found ${nodeString(n)}`);
    }
    if (isFloatKind(k)) {
      if (n.kind === "number" && n.isFloat) return { t: typ, v: n.float64 };
      return this.errorf(`expected float; found ${nodeString(n)}`);
    }
    if (isIntKind(k)) {
      if (n.kind === "number" && n.isInt) return { t: typ, v: n.int64 };
      return this.errorf(`expected integer; found ${nodeString(n)}`);
    }
    if (isUintKind(k)) {
      if (n.kind === "number" && n.isUint) return { t: typ, v: n.uint64 };
      return this.errorf(`expected unsigned integer; found ${nodeString(n)}`);
    }
    if (k === "string") {
      if (n.kind === "string") return { t: typ, v: n.text };
      return this.errorf(`expected string; found ${nodeString(n)}`);
    }
    if (k === "interface" || k === "reflectValue") return this.evalEmptyInterface(dot, n);
    return this.errorf(`can't handle ${nodeString(n)} for arg of type ${typ.name}`);
  }

  evalEmptyInterface(dot: Val, n: Node): Val {
    this.at(n);
    switch (n.kind) {
      case "bool":
        return { t: T.bool, v: n.value };
      case "dot":
        return dot;
      case "field":
        return this.evalFieldNode(dot, n, null, MISSING);
      case "identifier":
        return this.evalFunction(dot, n, n, null, MISSING);
      case "nil":
        return this.errorf("evalEmptyInterface: nil (can't happen)");
      case "number":
        return this.idealConstant(n);
      case "string":
        return { t: T.string, v: n.text };
      case "variable":
        return this.evalVariableNode(dot, n, null, MISSING);
      case "pipe":
        return this.evalPipeline(dot, n);
    }
    return this.errorf(`can't handle assignment of ${nodeString(n)} to empty interface argument`);
  }

  printValue(n: Node, v: Val): void {
    this.at(n);
    let p = v;
    if (p !== undefined && p.t.kind === "ptr") p = indirect(p)[0];
    if (p === undefined) {
      this.out += "<no value>";
      return;
    }
    const hasString = (x: GoValue) => {
      const m = methodByName({ ...x, addr: false }, "String") ?? methodByName({ ...x, addr: false }, "Error");
      return m !== undefined;
    };
    if (!hasString(p) && p.addr && p.t.kind !== "ptr" && p.t.kind !== "interface") {
      const asPtr: GoValue = { t: ptrTo(p.t), v: { target: p } };
      if (hasString(asPtr)) p = asPtr;
    }
    this.out += goSprint([asFmtArg(p)]);
  }
}

/**
 * Executes template `env.name` of `env.trees` over `data`.
 * @throws TemplateExecError with Go's message and the output written before the error.
 */
export function executeTemplate(env: ExecEnv, data: GoValue | undefined): string {
  const tree = env.trees.get(env.name);
  const s = new State(env, data);
  if (!tree)
    throw new TemplateExecError(
      `template: ${env.name}: ${goQuote(env.name)} is an incomplete or empty template`,
      "",
    );
  try {
    s.walk(data, tree.root);
  } catch (e) {
    if (e instanceof Abort) throw e.error;
    if (e instanceof RangeError) {
      throw new TemplateExecError(`template: ${env.name}: exceeded maximum template depth (100000)`, s.out);
    }
    throw e;
  }
  return s.out;
}

/** The list node type (re-exported for callers building trees). */
export type { ListNode };
