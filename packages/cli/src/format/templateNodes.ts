/**
 * The parse tree of a Go template, and each node's String() (which Go quotes in execution errors:
 * `executing "" at <.Foo>: …`) and its position (byte offset) for the `:line:col` of those errors.
 * Pure. Rules: Go text/template/parse/node.go.
 */
import { goQuote } from "./goQuote.js";

/** What every node shares: its kind, byte offset and the tree it belongs to. */
interface Base {
  readonly pos: number;
  readonly tree: TreeInfo;
}

/** The text and name a tree was parsed from (for error locations). */
export interface TreeInfo {
  readonly text: string;
  readonly parseName: string;
}

export interface ListNode extends Base {
  readonly kind: "list";
  readonly nodes: Node[];
}
export interface TextNode extends Base {
  readonly kind: "text";
  readonly text: string;
}
export interface CommentNode extends Base {
  readonly kind: "comment";
  readonly text: string;
}
export interface PipeNode extends Base {
  readonly kind: "pipe";
  readonly line: number;
  isAssign: boolean;
  readonly decl: VariableNode[];
  readonly cmds: CommandNode[];
}
export interface ActionNode extends Base {
  readonly kind: "action";
  readonly line: number;
  readonly pipe: PipeNode;
}
export interface CommandNode extends Base {
  readonly kind: "command";
  readonly args: Node[];
}
export interface IdentifierNode extends Base {
  readonly kind: "identifier";
  readonly ident: string;
}
export interface VariableNode extends Base {
  readonly kind: "variable";
  readonly ident: string[];
}
export interface DotNode extends Base {
  readonly kind: "dot";
}
export interface NilNode extends Base {
  readonly kind: "nil";
}
export interface FieldNode extends Base {
  readonly kind: "field";
  readonly ident: string[];
}
export interface ChainNode extends Base {
  readonly kind: "chain";
  readonly node: Node;
  readonly field: string[];
}
export interface BoolNode extends Base {
  readonly kind: "bool";
  readonly value: boolean;
}
export interface NumberNode extends Base {
  readonly kind: "number";
  readonly isInt: boolean;
  readonly isUint: boolean;
  readonly isFloat: boolean;
  readonly isComplex: boolean;
  readonly int64: bigint;
  readonly uint64: bigint;
  readonly float64: number;
  readonly text: string;
}
export interface StringNode extends Base {
  readonly kind: "string";
  readonly quoted: string;
  readonly text: string;
}
export interface EndNode extends Base {
  readonly kind: "end";
}
export interface ElseNode extends Base {
  readonly kind: "else";
  readonly line: number;
}
export interface BranchNode extends Base {
  readonly kind: "if" | "range" | "with";
  readonly line: number;
  readonly pipe: PipeNode;
  readonly list: ListNode;
  readonly elseList: ListNode | null;
}
export interface BreakNode extends Base {
  readonly kind: "break";
  readonly line: number;
}
export interface ContinueNode extends Base {
  readonly kind: "continue";
  readonly line: number;
}
export interface TemplateNode extends Base {
  readonly kind: "template";
  readonly line: number;
  readonly name: string;
  readonly pipe: PipeNode | null;
}

/** Any node. */
export type Node =
  | ListNode
  | TextNode
  | CommentNode
  | PipeNode
  | ActionNode
  | CommandNode
  | IdentifierNode
  | VariableNode
  | DotNode
  | NilNode
  | FieldNode
  | ChainNode
  | BoolNode
  | NumberNode
  | StringNode
  | EndNode
  | ElseNode
  | BranchNode
  | BreakNode
  | ContinueNode
  | TemplateNode;

/** Go's strconv.Quote for the template name in {{template "x"}}. */
function quoteName(name: string): string {
  return goQuote(name);
}

/** Node.String(): the source-like text Go shows in errors. */
export function nodeString(n: Node): string {
  switch (n.kind) {
    case "list":
      return n.nodes.map(nodeString).join("");
    case "text":
      return n.text;
    case "comment":
      return `{{${n.text}}}`;
    case "pipe": {
      let s = "";
      if (n.decl.length > 0) {
        s += n.decl.map(nodeString).join(", ");
        s += n.isAssign ? " = " : " := ";
      }
      return s + n.cmds.map(nodeString).join(" | ");
    }
    case "action":
      return `{{${nodeString(n.pipe)}}}`;
    case "command":
      return n.args.map((a) => (a.kind === "pipe" ? `(${nodeString(a)})` : nodeString(a))).join(" ");
    case "identifier":
      return n.ident;
    case "variable":
      return n.ident.join(".");
    case "dot":
      return ".";
    case "nil":
      return "nil";
    case "field":
      return n.ident.map((i) => `.${i}`).join("");
    case "chain": {
      const head = n.node.kind === "pipe" ? `(${nodeString(n.node)})` : nodeString(n.node);
      return head + n.field.map((f) => `.${f}`).join("");
    }
    case "bool":
      return n.value ? "true" : "false";
    case "number":
      return n.text;
    case "string":
      return n.quoted;
    case "end":
      return "{{end}}";
    case "else":
      return "{{else}}";
    case "if":
    case "range":
    case "with": {
      let s = `{{${n.kind} ${nodeString(n.pipe)}}}${nodeString(n.list)}`;
      if (n.elseList) s += `{{else}}${nodeString(n.elseList)}`;
      return `${s}{{end}}`;
    }
    case "break":
      return "{{break}}";
    case "continue":
      return "{{continue}}";
    case "template":
      return `{{template ${quoteName(n.name)}${n.pipe ? ` ${nodeString(n.pipe)}` : ""}}}`;
  }
}

/** Tree.ErrorContext: ["name:line:col", node text]. */
export function errorContext(n: Node): [string, string] {
  const pos = n.pos;
  const text = n.tree.text.slice(0, pos);
  let byteNum = text.lastIndexOf("\n");
  if (byteNum === -1) byteNum = pos;
  else byteNum = pos - (byteNum + 1);
  let lineNum = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0x0a) lineNum++;
  return [`${n.tree.parseName}:${lineNum}:${byteNum}`, nodeString(n)];
}
