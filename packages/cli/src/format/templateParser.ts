/**
 * The parser of Go's text/template: actions, pipelines, `$x :=`/`=` declarations, if/else if/with/else
 * with/range/break/continue, define/template/block, and Go's exact parse errors
 * (`template: :1: unexpected "}" in operand`, `function "foo" not defined`, `unclosed action`).
 * Functions are checked at parse time against the names given. Pure.
 * Rules: Go text/template/parse/parse.go and node.go (newNumber).
 */
import { parseGoFloat, parseGoInt, parseGoUint } from "./goNumber.js";
import { GoSyntaxError, goQuote, goUnquote, unquoteChar } from "./goQuote.js";
import { Item, Lexer, type Token, tokenString } from "./templateLexer.js";
import type {
  BranchNode,
  CommandNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  TemplateNode,
  TreeInfo,
  VariableNode,
} from "./templateNodes.js";
import { nodeString } from "./templateNodes.js";

/** A template that does not parse; `message` is Go's text ("template: :1: unclosed action"). */
export class TemplateParseError extends Error {
  readonly code = "TEMPLATE_PARSE";
}

/** A parsed template: its name and root list. */
export interface ParsedTree {
  readonly name: string;
  readonly root: ListNode;
}

const MAX_STACK_DEPTH = 10000;

class Tree {
  name: string;
  root: ListNode | null = null;
  readonly info: TreeInfo;
  private lex!: Lexer;
  private token: Token[] = [];
  private peekCount = 0;
  private vars: string[] = ["$"];
  private actionLine = 0;
  private rangeDepth = 0;
  private stackDepth = 0;

  constructor(
    name: string,
    private readonly text: string,
    private readonly parseName: string,
    private readonly hasFunction: (name: string) => boolean,
    private readonly treeSet: Map<string, ParsedTree>,
  ) {
    this.name = name;
    this.info = { text, parseName };
  }

  start(lex: Lexer): void {
    this.lex = lex;
    this.vars = ["$"];
    this.stackDepth = 0;
  }

  // --- token stream -------------------------------------------------------
  private next(): Token {
    if (this.peekCount > 0) this.peekCount--;
    else this.token[0] = this.lex.nextItem();
    return this.token[this.peekCount] as Token;
  }
  private backup(): void {
    this.peekCount++;
  }
  private backup2(t1: Token): void {
    this.token[1] = t1;
    this.peekCount = 2;
  }
  private backup3(t2: Token, t1: Token): void {
    this.token[1] = t1;
    this.token[2] = t2;
    this.peekCount = 3;
  }
  private peek(): Token {
    if (this.peekCount > 0) return this.token[this.peekCount - 1] as Token;
    this.peekCount = 1;
    this.token[0] = this.lex.nextItem();
    return this.token[0];
  }
  private nextNonSpace(): Token {
    for (;;) {
      const t = this.next();
      if (t.typ !== Item.space) return t;
    }
  }
  private peekNonSpace(): Token {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }

  // --- errors ---------------------------------------------------------------
  errorf(message: string): never {
    this.root = null;
    throw new TemplateParseError(`template: ${this.parseName}:${this.token[0]?.line ?? 1}: ${message}`);
  }
  private expect(expected: Item, context: string): Token {
    const t = this.nextNonSpace();
    if (t.typ !== expected) this.unexpected(t, context);
    return t;
  }
  private expectOneOf(a: Item, b: Item, context: string): Token {
    const t = this.nextNonSpace();
    if (t.typ !== a && t.typ !== b) this.unexpected(t, context);
    return t;
  }
  private unexpected(t: Token, context: string): never {
    if (t.typ === Item.error) {
      let extra = "";
      if (this.actionLine !== 0 && this.actionLine !== t.line) {
        extra = ` in action started at ${this.parseName}:${this.actionLine}`;
        if (t.val.endsWith(" action")) extra = extra.slice(" in action".length);
      }
      return this.errorf(`${tokenString(t)}${extra}`);
    }
    return this.errorf(`unexpected ${tokenString(t)} in ${context}`);
  }

  // --- nodes ------------------------------------------------------------------
  private newList(pos: number): ListNode {
    return { kind: "list", pos, tree: this.info, nodes: [] };
  }
  private newPipeline(pos: number, line: number): PipeNode {
    return { kind: "pipe", pos, tree: this.info, line, isAssign: false, decl: [], cmds: [] };
  }
  private newVariable(pos: number, ident: string): VariableNode {
    return { kind: "variable", pos, tree: this.info, ident: ident.split(".") };
  }

  // --- grammar ------------------------------------------------------------------
  parse(): void {
    this.root = this.newList(this.peek().pos);
    while (this.peek().typ !== Item.eof) {
      if (this.peek().typ === Item.leftDelim) {
        const delim = this.next();
        if (this.nextNonSpace().typ === Item.define) {
          const newT = new Tree("definition", this.text, this.parseName, this.hasFunction, this.treeSet);
          newT.start(this.lex);
          newT.parseDefinition();
          continue;
        }
        this.backup2(delim);
      }
      const n = this.textOrAction();
      if (n.kind === "end" || n.kind === "else") this.errorf(`unexpected ${nodeString(n)}`);
      else if (n) this.root.nodes.push(n);
    }
  }

  add(): void {
    const existing = this.treeSet.get(this.name);
    if (!existing || isEmptyTree(existing.root)) {
      this.treeSet.set(this.name, { name: this.name, root: this.root ?? this.newList(0) });
      return;
    }
    if (this.root && !isEmptyTree(this.root)) {
      this.errorf(`template: multiple definition of template ${goQuote(this.name)}`);
    }
  }

  private parseDefinition(): void {
    const context = "define clause";
    const name = this.expectOneOf(Item.string, Item.rawString, context);
    try {
      this.name = goUnquote(name.val);
    } catch (e) {
      if (e instanceof GoSyntaxError) this.errorf(e.message);
      throw e;
    }
    this.expect(Item.rightDelim, context);
    const [list, end] = this.itemList();
    this.root = list;
    if (end.kind !== "end") this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.add();
  }

  private itemList(): [ListNode, Node] {
    const list = this.newList(this.peekNonSpace().pos);
    while (this.peekNonSpace().typ !== Item.eof) {
      const n = this.textOrAction();
      if (n.kind === "end" || n.kind === "else") return [list, n];
      list.nodes.push(n);
    }
    return this.errorf("unexpected EOF");
  }

  private textOrAction(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case Item.text:
        return { kind: "text", pos: token.pos, tree: this.info, text: token.val };
      case Item.leftDelim: {
        this.actionLine = token.line;
        try {
          return this.action();
        } finally {
          this.actionLine = 0;
        }
      }
      case Item.comment:
        return { kind: "comment", pos: token.pos, tree: this.info, text: token.val };
    }
    return this.unexpected(token, "input");
  }

  private action(): Node {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case Item.block:
        return this.blockControl();
      case Item.break:
        return this.breakControl(token.pos, token.line);
      case Item.continue:
        return this.continueControl(token.pos, token.line);
      case Item.else:
        return this.elseControl();
      case Item.end:
        return this.endControl();
      case Item.if:
        return this.branch("if");
      case Item.range:
        return this.branch("range");
      case Item.template:
        return this.templateControl();
      case Item.with:
        return this.branch("with");
    }
    this.backup();
    const t = this.peek();
    return {
      kind: "action",
      pos: t.pos,
      tree: this.info,
      line: t.line,
      pipe: this.pipeline("command", Item.rightDelim),
    };
  }

  private breakControl(pos: number, line: number): Node {
    const t = this.nextNonSpace();
    if (t.typ !== Item.rightDelim) this.unexpected(t, "{{break}}");
    if (this.rangeDepth === 0) this.errorf("{{break}} outside {{range}}");
    return { kind: "break", pos, tree: this.info, line };
  }

  private continueControl(pos: number, line: number): Node {
    const t = this.nextNonSpace();
    if (t.typ !== Item.rightDelim) this.unexpected(t, "{{continue}}");
    if (this.rangeDepth === 0) this.errorf("{{continue}} outside {{range}}");
    return { kind: "continue", pos, tree: this.info, line };
  }

  private pipeline(context: string, end: Item): PipeNode {
    const token = this.peekNonSpace();
    const pipe = this.newPipeline(token.pos, token.line);
    for (;;) {
      const v = this.peekNonSpace();
      if (v.typ === Item.variable) {
        this.next();
        const tokenAfterVariable = this.peek();
        const next = this.peekNonSpace();
        if (next.typ === Item.assign || next.typ === Item.declare) {
          pipe.isAssign = next.typ === Item.assign;
          this.nextNonSpace();
          pipe.decl.push(this.newVariable(v.pos, v.val));
          this.vars.push(v.val);
        } else if (next.typ === Item.char && next.val === ",") {
          this.nextNonSpace();
          pipe.decl.push(this.newVariable(v.pos, v.val));
          this.vars.push(v.val);
          if (context === "range" && pipe.decl.length < 2) {
            const p = this.peekNonSpace().typ;
            if (p === Item.variable || p === Item.rightDelim || p === Item.rightParen) continue;
            this.errorf("range can only initialize variables");
          }
          this.errorf(`too many declarations in ${context}`);
        } else if (tokenAfterVariable.typ === Item.space) {
          this.backup3(v, tokenAfterVariable);
        } else {
          this.backup2(v);
        }
      }
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      switch (t.typ) {
        case end:
          this.checkPipeline(pipe, context);
          return pipe;
        case Item.bool:
        case Item.charConstant:
        case Item.complex:
        case Item.dot:
        case Item.field:
        case Item.identifier:
        case Item.number:
        case Item.nil:
        case Item.rawString:
        case Item.string:
        case Item.variable:
        case Item.leftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0]?.kind;
      if (k === "bool" || k === "dot" || k === "nil" || k === "number" || k === "string") {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private branch(context: "if" | "range" | "with"): BranchNode {
    const mark = this.vars.length;
    try {
      const pipe = this.pipeline(context, Item.rightDelim);
      if (context === "range") this.rangeDepth++;
      const [list, first] = this.itemList();
      let next = first;
      if (context === "range") this.rangeDepth--;
      let elseList: ListNode | null = null;
      if (next.kind === "else") {
        if (context === "if" && this.peek().typ === Item.if) {
          this.next();
          elseList = this.newList(next.pos);
          elseList.nodes.push(this.branch("if"));
        } else if (context === "with" && this.peek().typ === Item.with) {
          this.next();
          elseList = this.newList(next.pos);
          elseList.nodes.push(this.branch("with"));
        } else {
          [elseList, next] = this.itemList();
          if (next.kind !== "end") this.errorf(`expected end; found ${nodeString(next)}`);
        }
      }
      return { kind: context, pos: pipe.pos, tree: this.info, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = mark;
    }
  }

  private endControl(): Node {
    return { kind: "end", pos: this.expect(Item.rightDelim, "end").pos, tree: this.info };
  }

  private elseControl(): Node {
    const peek = this.peekNonSpace();
    if (peek.typ === Item.if || peek.typ === Item.with) {
      return { kind: "else", pos: peek.pos, tree: this.info, line: peek.line };
    }
    const t = this.expect(Item.rightDelim, "else");
    return { kind: "else", pos: t.pos, tree: this.info, line: t.line };
  }

  private blockControl(): Node {
    const context = "block clause";
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    const pipe = this.pipeline(context, Item.rightDelim);
    const block = new Tree(name, this.text, this.parseName, this.hasFunction, this.treeSet);
    block.start(this.lex);
    const [list, end] = block.itemList();
    block.root = list;
    if (end.kind !== "end") this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    block.add();
    const node: TemplateNode = {
      kind: "template",
      pos: token.pos,
      tree: this.info,
      line: token.line,
      name,
      pipe,
    };
    return node;
  }

  private templateControl(): Node {
    const context = "template clause";
    const token = this.nextNonSpace();
    const name = this.parseTemplateName(token, context);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== Item.rightDelim) {
      this.backup();
      pipe = this.pipeline(context, Item.rightDelim);
    }
    return { kind: "template", pos: token.pos, tree: this.info, line: token.line, name, pipe };
  }

  private parseTemplateName(token: Token, context: string): string {
    if (token.typ === Item.string || token.typ === Item.rawString) {
      try {
        return goUnquote(token.val);
      } catch (e) {
        if (e instanceof GoSyntaxError) this.errorf(e.message);
        throw e;
      }
    }
    return this.unexpected(token, context);
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: "command", pos: this.peekNonSpace().pos, tree: this.info, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const token = this.next();
      if (token.typ === Item.space) continue;
      if (token.typ === Item.rightDelim || token.typ === Item.rightParen) this.backup();
      else if (token.typ !== Item.pipe) this.unexpected(token, "operand");
      break;
    }
    if (cmd.args.length === 0) this.errorf("empty command");
    return cmd;
  }

  private operand(): Node | null {
    const node = this.term();
    if (!node) return null;
    if (this.peek().typ === Item.field) {
      const pos = this.peek().pos;
      const fields: string[] = [];
      while (this.peek().typ === Item.field) fields.push(this.next().val.slice(1));
      const chainText = `${node.kind === "pipe" ? `(${nodeString(node)})` : nodeString(node)}${fields.map((f) => `.${f}`).join("")}`;
      switch (node.kind) {
        case "field":
          return { kind: "field", pos, tree: this.info, ident: chainText.slice(1).split(".") };
        case "variable":
          return this.newVariable(pos, chainText);
        case "bool":
        case "string":
        case "number":
        case "nil":
        case "dot":
          this.errorf(`unexpected . after term ${goQuote(nodeString(node))}`);
      }
      return { kind: "chain", pos, tree: this.info, node, field: fields };
    }
    return node;
  }

  private term(): Node | null {
    const token = this.nextNonSpace();
    switch (token.typ) {
      case Item.identifier:
        if (!this.hasFunction(token.val)) this.errorf(`function ${goQuote(token.val)} not defined`);
        return { kind: "identifier", pos: token.pos, tree: this.info, ident: token.val };
      case Item.dot:
        return { kind: "dot", pos: token.pos, tree: this.info };
      case Item.nil:
        return { kind: "nil", pos: token.pos, tree: this.info };
      case Item.variable:
        return this.useVar(token.pos, token.val);
      case Item.field:
        return { kind: "field", pos: token.pos, tree: this.info, ident: token.val.slice(1).split(".") };
      case Item.bool:
        return { kind: "bool", pos: token.pos, tree: this.info, value: token.val === "true" };
      case Item.charConstant:
      case Item.complex:
      case Item.number:
        return this.newNumber(token);
      case Item.leftParen: {
        if (this.stackDepth >= MAX_STACK_DEPTH) this.errorf("max expression depth exceeded");
        this.stackDepth++;
        try {
          return this.pipeline("parenthesized pipeline", Item.rightParen);
        } finally {
          this.stackDepth--;
        }
      }
      case Item.string:
      case Item.rawString: {
        let text: string;
        try {
          text = goUnquote(token.val);
        } catch (e) {
          if (e instanceof GoSyntaxError) this.errorf(e.message);
          throw e;
        }
        return { kind: "string", pos: token.pos, tree: this.info, quoted: token.val, text };
      }
    }
    this.backup();
    return null;
  }

  private useVar(pos: number, name: string): Node {
    const v = this.newVariable(pos, name);
    if (!this.vars.includes(v.ident[0] as string))
      this.errorf(`undefined variable ${goQuote(v.ident[0] as string)}`);
    return v;
  }

  private newNumber(token: Token): NumberNode {
    const text = token.val;
    const base = { kind: "number" as const, pos: token.pos, tree: this.info, text };
    if (token.typ === Item.charConstant) {
      let r: { value: number; tail: string };
      try {
        r = unquoteChar(text.slice(1), text.charCodeAt(0));
      } catch (e) {
        if (e instanceof GoSyntaxError) this.errorf(e.message);
        throw e;
      }
      if (r.tail !== "'") this.errorf(`malformed character constant: ${text}`);
      const v = BigInt(r.value);
      return {
        ...base,
        isInt: true,
        isUint: true,
        isFloat: true,
        isComplex: false,
        int64: v,
        uint64: v,
        float64: r.value,
      };
    }
    if (token.typ === Item.complex || text.endsWith("i")) {
      const f = token.typ === Item.complex ? undefined : parseGoFloat(text.slice(0, -1));
      if (token.typ === Item.complex || f !== undefined) {
        const isFloat = f === 0;
        return {
          ...base,
          isInt: isFloat,
          isUint: isFloat,
          isFloat,
          isComplex: true,
          int64: 0n,
          uint64: 0n,
          float64: 0,
        };
      }
    }
    let isUint = false;
    let isInt = false;
    let isFloat = false;
    let uint64 = 0n;
    let int64 = 0n;
    let float64 = 0;
    const u = parseGoUint(text);
    if (u !== undefined) {
      isUint = true;
      uint64 = u;
    }
    const i = parseGoInt(text);
    if (i !== undefined) {
      isInt = true;
      int64 = i;
      if (i === 0n) {
        isUint = true;
        uint64 = u ?? 0n;
      }
    }
    if (isInt) {
      isFloat = true;
      float64 = Number(int64);
    } else if (isUint) {
      isFloat = true;
      float64 = Number(uint64);
    } else {
      const f = parseGoFloat(text);
      if (f !== undefined) {
        if (!/[.eEpP]/.test(text)) this.errorf(`integer overflow: ${goQuote(text)}`);
        isFloat = true;
        float64 = f;
        if (!isInt && Number.isInteger(f) && Math.abs(f) < 2 ** 63) {
          isInt = true;
          int64 = BigInt(f);
        }
        if (!isUint && Number.isInteger(f) && f >= 0 && f < 2 ** 64) {
          isUint = true;
          uint64 = BigInt(f);
        }
      }
    }
    if (!isInt && !isUint && !isFloat) this.errorf(`illegal number syntax: ${goQuote(text)}`);
    return { ...base, isInt, isUint, isFloat, isComplex: false, int64, uint64, float64 };
  }
}

function isEmptyTree(n: Node | null): boolean {
  if (!n) return true;
  switch (n.kind) {
    case "list":
      return n.nodes.every(isEmptyTree);
    case "comment":
      return true;
    case "text":
      return n.text.trim() === "";
  }
  return false;
}

/**
 * Parses `text` (a byte string) as template `name`; `hasFunction` says which function names exist.
 * Returns every tree defined (the top one under `name`).
 */
export function parseTemplateText(
  name: string,
  text: string,
  hasFunction: (name: string) => boolean,
): Map<string, ParsedTree> {
  const treeSet = new Map<string, ParsedTree>();
  const t = new Tree(name, text, name, hasFunction, treeSet);
  t.start(
    new Lexer(text, "{{", "}}", { breakOK: !hasFunction("break"), continueOK: !hasFunction("continue") }),
  );
  t.parse();
  t.add();
  return treeSet;
}
