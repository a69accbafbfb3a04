// The statements of a model or block body that compute tensors: bindings, outputs and a block's
// `return`. Each is evaluated in order (a name can only be used after its definition), then the
// bindings nobody used are reported as warnings.

import type { BlockDecl, Expression, Identifier } from "../../grammar/ast.ts";
import type { EvalContext, Evaluator } from "./evaluator.ts";
import { layerRow } from "./layers/index.ts";
import type { TensorValue } from "./model-types.ts";
import { Naming, type Scope, substitute } from "./scope.ts";

// How many parametric items (parametric layers, block uses, repeats) an expression holds; a binding
// with exactly one names it after itself.
function countItems(expression: Expression, ev: Evaluator): number {
  const isItem = (name: string) => name === "repeat" || ev.blocks.has(name) || (layerRow(name)?.parametric ?? false);
  switch (expression.type) {
    case "Call":
      // `repeat(n, f(...))` is one item: the copies of f are named under it.
      if (expression.callee.name === "repeat") return 1;
      return (isItem(expression.callee.name) ? 1 : 0) + expression.args.reduce((n, a) => n + countItems(a.value, ev), 0);
    case "Pipe":
      return countItems(expression.left, ev) + (expression.right.type === "Identifier" ? (isItem(expression.right.name) ? 1 : 0) : countItems(expression.right, ev));
    case "BinaryExpr":
      return countItems(expression.left, ev) + countItems(expression.right, ev);
    case "UnaryExpr":
      return countItems(expression.argument, ev);
    case "IndexExpr":
      return countItems(expression.object, ev);
    default:
      return 0;
  }
}

// Evaluates `name = value` (or `output name = value`) and defines the name in the scope.
export function evalBinding(
  ev: Evaluator,
  name: Identifier,
  valueExpr: Expression,
  scope: Scope,
  role: "binding" | "output",
  modelBinding: string | null,
): TensorValue | null {
  const expression = substitute(valueExpr, scope);
  const naming = new Naming(scope.prefix, name.name, countItems(expression, ev) === 1);
  const ctx: EvalContext = { scope, naming, binding: modelBinding ?? name.name, piped: null };
  const result = ev.tensor(expression, ctx);
  const previous = scope.lookup(name.name);
  if (previous) {
    ev.bag.report("E0203", name.span, { args: { name: name.name, scope: scope.what }, notes: [ev.bag.note("first defined here", previous.span)] });
    return result;
  }
  scope.pending.delete(name.name);
  // A later use of the name points its shape notes at the whole definition, not its last stage.
  const value = result && { ...result, origin: valueExpr.span };
  scope.entries.set(name.name, { kind: "tensor", role, value, span: name.span, used: role === "output" || scope.usedEarly.has(name.name) });
  return result;
}

export function warnUnused(ev: Evaluator, scope: Scope): void {
  for (const [name, entry] of scope.entries) {
    if (entry.kind === "tensor" && entry.role === "binding" && !entry.used) {
      ev.bag.report("unused-binding", entry.span, {
        args: { name },
        hint: scope.what === "model" ? "use it, declare it as an `output`, or remove it" : "use it or remove it",
      });
    }
  }
}

// Evaluates a block's body in `scope` (which holds its parameters) and returns the value of its
// `return`.
export function evalBlockBody(ev: Evaluator, block: BlockDecl, scope: Scope, modelBinding: string | null): TensorValue | null {
  for (const s of block.body) if (s.type === "Binding" && !scope.pending.has(s.name.name)) scope.pending.set(s.name.name, s.name.span);
  let result: TensorValue | null = null;
  for (const statement of block.body) {
    if (statement.type === "Binding") {
      evalBinding(ev, statement.name, statement.value, scope, "binding", modelBinding);
    } else {
      const naming = new Naming(scope.prefix, null, false, scope);
      result = ev.tensor(substitute(statement.value, scope), { scope, naming, binding: modelBinding, piped: null });
    }
  }
  warnUnused(ev, scope);
  return result;
}
