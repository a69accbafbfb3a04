// Names while analyzing a model or a block body: which tensors and hyper-parameters are visible,
// which names are bound later (so a use before the definition gets its own message), and whether
// each binding was used. Also the naming of parameters by where a layer is used (DESIGN.md,
// "Parameter names").

import type { Expression, Span } from "../../grammar/ast.ts";
import type { TensorValue } from "./model-types.ts";

export type Entry =
  // `value` is null when the tensor's definition had an error (its shape is unknown).
  // "parameter": a block's tensor parameter; "param": a model's free parameter (`param w: [2]`).
  | { kind: "tensor"; role: "input" | "target" | "param" | "binding" | "output" | "parameter"; value: TensorValue | null; span: Span; used: boolean }
  // A block's hyper-parameter: the expression given for it at the call (or its default).
  | { kind: "hyper"; expr: Expression; span: Span };

export class Scope {
  readonly entries = new Map<string, Entry>();
  readonly pending = new Map<string, Span>(); // bound further down this body
  readonly usedEarly = new Set<string>(); // used before their definition (already an error)
  // How many items of each op the statements without a name (a block's `return`, the loss) have
  // named so far; shared by those statements, so two of them never number from 0 twice.
  readonly unnamedCounts = new Map<string, number>();

  constructor(
    readonly what: "model" | "block",
    readonly prefix: string, // the parameter path prefix of this body: "" or "r1."
  ) {}

  lookup(name: string): Entry | undefined {
    return this.entries.get(name);
  }

  tensorNames(): string[] {
    return [...this.entries].filter(([, e]) => e.kind === "tensor").map(([n]) => n);
  }
}

// Names the parametric items (parametric layers, block uses, repeats) of one statement. A binding
// that holds one item gives it its own name (`h1`); a binding with several names each by its op,
// numbered from the second (`h.dense`, `h.batchnorm`, `h.dense_1`); a statement without a name
// (a block's `return`, the loss) names them by op alone, skipping the numbers whose name a binding
// of the same body already has (`dense = ...` makes the loss's unnamed `dense` `dense_1`).
//
// That makes every path unique by construction: bindings have distinct names; the items of a
// binding with several are numbered apart under it; unnamed items never take a binding's name;
// and everything inside a block use or a repeat copy lies under that item's own path.
export class Naming {
  private readonly counts: Map<string, number>;

  constructor(
    readonly prefix: string,
    readonly binding: string | null,
    readonly single: boolean,
    private readonly scope: Scope | null = null, // the body, for the names its bindings take
  ) {
    this.counts = binding === null && scope ? scope.unnamedCounts : new Map();
  }

  next(op: string): string {
    if (this.single && this.binding !== null) return this.prefix + this.binding;
    const base = this.binding === null ? this.prefix : `${this.prefix}${this.binding}.`;
    let k = this.counts.get(op) ?? 0;
    while (this.binding === null && this.isTaken(k === 0 ? op : `${op}_${k}`)) k++;
    this.counts.set(op, k + 1);
    return base + (k === 0 ? op : `${op}_${k}`);
  }

  private isTaken(name: string): boolean {
    return this.scope !== null && (this.scope.entries.has(name) || this.scope.pending.has(name));
  }

  // The label of a non-parametric layer in the summary: the binding's path.
  label(): string {
    return this.binding === null ? this.prefix.replace(/\.$/, "") : this.prefix + this.binding;
  }
}

// Replaces a block's hyper-parameters in an expression with the values given at the call, and
// folds arithmetic on numbers (`width * 2`), so the argument binder sees plain literals. A
// hyper-parameter naming a layer (`act: relu`) may be called: `x |> act`.
export function substitute(expression: Expression, scope: Scope): Expression {
  const hyper = (name: string) => {
    const entry = scope.lookup(name);
    return entry?.kind === "hyper" ? entry.expr : null;
  };
  const visit = (e: Expression): Expression => {
    switch (e.type) {
      case "Identifier":
        return hyper(e.name) ?? e;
      case "Call": {
        const callee = hyper(e.callee.name);
        return {
          ...e,
          callee: callee?.type === "Identifier" ? { ...e.callee, name: callee.name } : e.callee,
          args: e.args.map((a) => ({ ...a, value: visit(a.value) })),
        };
      }
      case "Pipe":
        return { ...e, left: visit(e.left), right: visit(e.right) };
      case "BinaryExpr":
        return fold({ ...e, left: visit(e.left), right: visit(e.right) });
      case "UnaryExpr":
        return { ...e, argument: visit(e.argument) };
      case "ListExpr":
        return { ...e, elements: e.elements.map(visit) };
      case "MemberExpr":
        return { ...e, object: visit(e.object) };
      case "IndexExpr":
        return { ...e, object: visit(e.object), indices: e.indices.map(visit) };
      case "ThenExpr":
        return { ...e, parts: e.parts.map(visit) };
      default:
        return e;
    }
  };
  return scope.what === "block" ? visit(expression) : expression;
}

function literal(e: Expression): number | null {
  if (e.type === "NumberLiteral") return e.value;
  if (e.type === "UnaryExpr" && e.argument.type === "NumberLiteral") return -e.argument.value;
  return null;
}

function fold(e: Expression & { type: "BinaryExpr" }): Expression {
  const a = literal(e.left);
  const b = literal(e.right);
  if (a === null || b === null || e.operator === "@") return e;
  const value = e.operator === "+" ? a + b : e.operator === "-" ? a - b : e.operator === "*" ? a * b : e.operator === "^" ? a ** b : a / b;
  const magnitude = Math.abs(value);
  const number = { type: "NumberLiteral" as const, value: magnitude, raw: String(magnitude), isInteger: Number.isInteger(magnitude), span: e.span };
  // A literal is never negative: the parser writes `-3` as a minus applied to 3, and so does this.
  return value < 0 ? { type: "UnaryExpr", operator: "-", argument: number, span: e.span } : number;
}

// Every identifier an expression mentions, so names in a call that could not be checked still count
// as used.
export function mentionedNames(expression: Expression, out: string[] = []): string[] {
  switch (expression.type) {
    case "Identifier":
      out.push(expression.name);
      break;
    case "Call":
      for (const a of expression.args) mentionedNames(a.value, out);
      break;
    case "Pipe":
    case "BinaryExpr":
      mentionedNames(expression.left, out);
      mentionedNames(expression.right, out);
      break;
    case "UnaryExpr":
      mentionedNames(expression.argument, out);
      break;
    case "ListExpr":
      for (const e of expression.elements) mentionedNames(e, out);
      break;
    case "MemberExpr":
      mentionedNames(expression.object, out);
      break;
    case "IndexExpr":
      mentionedNames(expression.object, out);
      break;
    case "ThenExpr":
      for (const e of expression.parts) mentionedNames(e, out);
      break;
  }
  return out;
}
