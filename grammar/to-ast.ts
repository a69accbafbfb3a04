// CST → AST: one method per grammar rule. Spans are byte offsets [start, end). After error
// recovery a CST node may lack required children; such a node becomes null and its parent drops it,
// so the AST is always well-typed and holds every statement that was written completely.

import type { CstNode, IToken } from "chevrotain";
import type * as A from "./ast.ts";

type Children = Record<string, (CstNode | IToken)[] | undefined>;

function kids(node: CstNode): Children {
  return node.children as Children;
}
function rule(node: CstNode, name: string, index = 0): CstNode | undefined {
  return kids(node)[name]?.[index] as CstNode | undefined;
}
function rules(node: CstNode, name: string): CstNode[] {
  return (kids(node)[name] ?? []) as CstNode[];
}
function token(node: CstNode, name: string, index = 0): IToken | undefined {
  const t = kids(node)[name]?.[index] as IToken | undefined;
  // Tokens inserted by recovery have no position; treat them as missing text.
  return t && !Number.isNaN(t.startOffset) ? t : undefined;
}
function tokens(node: CstNode, name: string): IToken[] {
  return ((kids(node)[name] ?? []) as IToken[]).filter((t) => !Number.isNaN(t.startOffset));
}
function tokenSpan(t: IToken): A.Span {
  return { start: t.startOffset, end: (t.endOffset ?? t.startOffset) + 1 };
}
function nodeSpan(node: CstNode): A.Span {
  const loc = node.location;
  if (!loc || Number.isNaN(loc.startOffset)) return { start: 0, end: 0 };
  return { start: loc.startOffset, end: (Number.isNaN(loc.endOffset ?? NaN) ? loc.startOffset : loc.endOffset!) + 1 };
}
function join(a: A.Span, b: A.Span): A.Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}
function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

export class AstBuilder {
  // The declarations of one parse of the top level (the wrapper parses again after stray text).
  declarations(node: CstNode): A.TopLevel[] {
    const body: A.TopLevel[] = [];
    // The program's children are grouped by rule, so order declarations and strays by position.
    const decls = [
      ...rules(node, "modelDecl").map((n) => ({ n, at: n.location?.startOffset ?? 0, kind: "model" })),
      ...rules(node, "blockDecl").map((n) => ({ n, at: n.location?.startOffset ?? 0, kind: "block" })),
      ...rules(node, "trainDecl").map((n) => ({ n, at: n.location?.startOffset ?? 0, kind: "train" })),
    ].sort((a, b) => a.at - b.at);
    for (const { n, kind } of decls) {
      const decl = kind === "model" ? this.modelDecl(n) : kind === "block" ? this.blockDecl(n) : this.trainDecl(n);
      if (decl) body.push(decl);
    }
    return body;
  }

  name(node: CstNode | undefined): A.Identifier | null {
    if (!node) return null;
    const t = Object.values(kids(node))[0]?.[0] as IToken | undefined;
    if (!t || Number.isNaN(t.startOffset)) return null;
    return { type: "Identifier", name: t.image, span: tokenSpan(t) };
  }

  modelDecl(node: CstNode): A.ModelDecl | null {
    const name = this.name(rule(node, "anyName"));
    if (!name) return null;
    const body = rules(node, "modelStatement").map((s) => this.modelStatement(s)).filter(present);
    return { type: "ModelDecl", name, body, span: nodeSpan(node) };
  }

  modelStatement(node: CstNode): A.ModelStatement | null {
    const [ruleName, child] = Object.entries(kids(node))[0] ?? [];
    const n = child?.[0] as CstNode | undefined;
    if (!n) return null;
    switch (ruleName) {
      case "binding":
        return this.binding(n);
      case "inputDecl":
      case "targetDecl": {
        const name = this.name(rule(n, "anyName"));
        const shape = rule(n, "shape") ? this.shape(rule(n, "shape")!) : null;
        if (!name || !shape) return null;
        return { type: ruleName === "inputDecl" ? "InputDecl" : "TargetDecl", name, shape, span: nodeSpan(n) };
      }
      case "outputDecl": {
        const name = this.name(rule(n, "anyName"));
        const value = this.expressionOf(n);
        return name && value ? { type: "OutputDecl", name, value, span: nodeSpan(n) } : null;
      }
      case "lossDecl": {
        const value = this.expressionOf(n);
        return value ? { type: "LossDecl", value, span: nodeSpan(n) } : null;
      }
      case "regularizeDecl": {
        const value = this.expressionOf(n);
        if (!value) return null;
        if (value.type !== "Call") {
          this.notCalls.push(value.span);
          return null;
        }
        return { type: "RegularizeDecl", value, span: nodeSpan(n) };
      }
      default:
        return null;
    }
  }

  // `regularize` followed by something other than a call such as `l2(1e-4)`.
  readonly notCalls: A.Span[] = [];

  binding(node: CstNode): A.Binding | null {
    const name = this.name(rule(node, "anyName"));
    const value = this.expressionOf(node);
    return name && value ? { type: "Binding", name, value, span: nodeSpan(node) } : null;
  }

  shape(node: CstNode): A.ShapeExpr | null {
    const kindToken = token(node, "F32") ?? token(node, "Class");
    const dims = rules(node, "dim")
      .map((d): A.Dim | null => {
        const number = token(d, "NumberLiteral");
        return number ? this.number(number) : this.name(rule(d, "anyName"));
      })
      .filter(present);
    if (dims.length === 0) return null;
    const classes = token(node, "NumberLiteral");
    return {
      type: "ShapeExpr",
      kind: kindToken?.image === "class" ? "class" : "f32",
      kindSpan: kindToken ? tokenSpan(kindToken) : null,
      dims,
      classes: classes ? this.number(classes) : null,
      span: nodeSpan(node),
    };
  }

  blockDecl(node: CstNode): A.BlockDecl | null {
    const name = this.name(rule(node, "anyName"));
    if (!name) return null;
    const params = rules(node, "blockParam")
      .map((p): A.BlockParam | null => {
        const paramName = this.name(rule(p, "anyName"));
        if (!paramName) return null;
        const d = rule(p, "expression");
        const value = d ? this.expression(d) : null;
        if (d && !value) return null;
        return { type: "BlockParam", name: paramName, default: value, span: nodeSpan(p) };
      })
      .filter(present);
    const statements = [
      ...rules(node, "binding").map((b) => this.binding(b)),
      ...rules(node, "returnStatement").map((r): A.ReturnStatement | null => {
        const value = this.expressionOf(r);
        return value ? { type: "ReturnStatement", value, span: nodeSpan(r) } : null;
      }),
    ]
      .filter(present)
      .sort((a, b) => a.span.start - b.span.start);
    return { type: "BlockDecl", name, params, body: statements, span: nodeSpan(node) };
  }

  trainDecl(node: CstNode): A.TrainDecl | null {
    const model = this.name(rule(node, "anyName"));
    if (!model) return null;
    const settings = rules(node, "setting").map((s) => this.setting(s)).filter(present);
    return { type: "TrainDecl", model, settings, span: nodeSpan(node) };
  }

  setting(node: CstNode): A.Setting | null {
    const key = this.name(rule(node, "anyName"));
    if (!key) return null;
    const args = rules(node, "settingArg").map((a) => this.argumentOf(a, "thenExpr"));
    if (args.length === 0 || !args.every(present)) return null;
    return { type: "Setting", key, args: args as A.Argument[], span: nodeSpan(node) };
  }

  argumentOf(node: CstNode, valueRule: "thenExpr" | "expression"): A.Argument | null {
    const nameNode = rule(node, "anyName");
    const name = nameNode ? this.name(nameNode) : null;
    if (nameNode && !name) return null;
    const valueNode = rule(node, valueRule);
    const value = valueNode ? (valueRule === "thenExpr" ? this.thenExpr(valueNode) : this.expression(valueNode)) : null;
    if (!value) return null;
    return { type: "Argument", name, value, span: name ? join(name.span, value.span) : value.span };
  }

  expressionOf(node: CstNode): A.Expression | null {
    const e = rule(node, "expression");
    return e ? this.expression(e) : null;
  }

  thenExpr(node: CstNode): A.Expression | null {
    const parts = rules(node, "expression").map((e) => this.expression(e));
    if (parts.length === 0 || !parts.every(present)) return null;
    if (parts.length === 1) return parts[0]!;
    const all = parts as A.Expression[];
    return { type: "ThenExpr", parts: all, span: join(all[0]!.span, all[all.length - 1]!.span) };
  }

  // a |> f |> g — left-associative.
  expression(node: CstNode): A.Expression | null {
    const operands = rules(node, "additive").map((a) => this.additive(a));
    if (operands.length === 0 || !operands.every(present)) return null;
    return (operands as A.Expression[]).reduce((left, right) => ({ type: "Pipe", left, right, span: join(left.span, right.span) }));
  }

  additive(node: CstNode): A.Expression | null {
    return this.binaryChain(rules(node, "multiplicative").map((m) => this.multiplicative(m)), [...tokens(node, "Plus"), ...tokens(node, "Minus")]);
  }

  multiplicative(node: CstNode): A.Expression | null {
    return this.binaryChain(rules(node, "unary").map((u) => this.unary(u)), [...tokens(node, "Star"), ...tokens(node, "Slash"), ...tokens(node, "At")]);
  }

  // Operands in order, with their operators (which chevrotain groups by token type) put back in
  // source order; left-associative.
  private binaryChain(operands: (A.Expression | null)[], operators: IToken[]): A.Expression | null {
    if (operands.length === 0 || !operands.every(present)) return null;
    if (operators.length !== operands.length - 1) return null;
    const ops = [...operators].sort((a, b) => a.startOffset - b.startOffset);
    let left = operands[0] as A.Expression;
    ops.forEach((op, i) => {
      const right = operands[i + 1] as A.Expression;
      left = {
        type: "BinaryExpr",
        operator: op.image as A.BinaryExpr["operator"],
        operatorSpan: tokenSpan(op),
        left,
        right,
        span: join(left.span, right.span),
      };
    });
    return left;
  }

  unary(node: CstNode): A.Expression | null {
    const minus = token(node, "Minus");
    if (minus) {
      const inner = rule(node, "unary");
      const argument = inner ? this.unary(inner) : null;
      return argument ? { type: "UnaryExpr", operator: "-", argument, span: join(tokenSpan(minus), argument.span) } : null;
    }
    const postfix = rule(node, "postfix");
    return postfix ? this.postfix(postfix) : null;
  }

  postfix(node: CstNode): A.Expression | null {
    const primary = rule(node, "primary");
    let object = primary ? this.primary(primary) : null;
    for (const member of rules(node, "anyName")) {
      const property = this.name(member);
      if (!object || !property) return null;
      object = { type: "MemberExpr", object, property, span: join(object.span, property.span) };
    }
    return object;
  }

  primary(node: CstNode): A.Expression | null {
    const number = token(node, "NumberLiteral");
    if (number) return this.number(number);
    const string = token(node, "StringLiteral");
    if (string) return { type: "StringLiteral", value: unescape(string.image), raw: string.image, span: tokenSpan(string) };
    const list = rule(node, "list");
    if (list) {
      const elements = rules(list, "expression").map((e) => this.expression(e));
      return elements.every(present) ? { type: "ListExpr", elements: elements as A.Expression[], span: nodeSpan(list) } : null;
    }
    const parenthesized = rule(node, "parenthesized");
    if (parenthesized) return this.expressionOf(parenthesized);
    const callOrName = rule(node, "callOrName");
    return callOrName ? this.callOrName(callOrName) : null;
  }

  callOrName(node: CstNode): A.Expression | null {
    const name = this.name(rule(node, "anyName"));
    if (!name) return null;
    if (!kids(node).LParen) return name;
    const args = rules(node, "argument").map((a) => this.argumentOf(a, "expression"));
    if (!args.every(present)) return null;
    return { type: "Call", callee: name, args: args as A.Argument[], span: nodeSpan(node) };
  }

  number(t: IToken): A.NumberLiteral {
    return { type: "NumberLiteral", value: Number(t.image), raw: t.image, isInteger: /^\d+$/.test(t.image), span: tokenSpan(t) };
  }
}

// The text of a string literal: `\n`, `\t`, `\"` and `\\` are escapes; any other escaped
// character stands for itself.
function unescape(raw: string): string {
  const escapes: Record<string, string> = { n: "\n", t: "\t" };
  return raw.slice(1, -1).replace(/\\(.)/g, (_, c: string) => escapes[c] ?? c);
}
