// Regularizers: `regularize l2(λ, on: …)` adds λ/2·Σw² to the loss (its gradient λ·w equals
// PyTorch's weight_decay = λ), `regularize l1(λ, on: …)` adds λ·Σ|w|. `on` chooses the parameters:
// `weights` (the default: the weights of dense, conv2d and maxout layers, not biases and not
// batch-norm parameters), `all`, or a list of layer names (a layer's weights, including those of
// every layer inside a block use or a repeat) and parameter paths (`h1.bias`, exactly that one).

import type { Expression, RegularizeDecl } from "../../grammar/ast.ts";
import { closest, type DiagnosticBag } from "../diagnostics/registry.ts";
import type { GraphBuilder } from "../ir/graph.ts";
import { bindArguments, isExpressionValue, type Signature } from "./args.ts";
import type { CheckedRegularizer, ModelParam } from "./model-types.ts";

const signature = (name: "l1" | "l2", doc: string): Signature => ({
  name,
  doc,
  params: [
    { name: "lambda", type: { kind: "number", min: 0 }, doc: "the strength λ ≥ 0" },
    { name: "on", type: { kind: "expression" }, optional: true, positional: false, doc: "`weights` (default), `all` or a list of layers and parameters" },
  ],
});

export const REGULARIZERS = {
  l2: signature("l2", "adds λ/2·Σw² to the loss"),
  l1: signature("l1", "adds λ·Σ|w| to the loss"),
};

// A dotted path as written: `h1`, `h1.weight`, `"stack.0.h.weight"`; null when it is not one.
function pathOf(expression: Expression): string | null {
  if (expression.type === "Identifier") return expression.name;
  if (expression.type === "StringLiteral") return expression.value;
  if (expression.type === "MemberExpr") {
    const object = pathOf(expression.object);
    return object === null ? null : `${object}.${expression.property.name}`;
  }
  return null;
}

function select(expression: Expression | undefined, params: ModelParam[], model: string, bag: DiagnosticBag): string[] | null {
  const weights = params.filter((p) => p.role === "weight");
  if (expression === undefined) return weights.map((p) => p.name);
  if (expression.type === "Identifier" && expression.name === "weights") return weights.map((p) => p.name);
  if (expression.type === "Identifier" && expression.name === "all") return params.map((p) => p.name);
  const items = expression.type === "ListExpr" ? expression.elements : [expression];
  const chosen = new Set<string>();
  let ok = true;
  for (const item of items) {
    const path = pathOf(item);
    if (path === null) {
      bag.report("E0508", item.span, { args: { got: item.type === "NumberLiteral" ? `the number ${item.raw}` : "another kind of expression" } });
      ok = false;
      continue;
    }
    const exact = params.find((p) => p.name === path);
    const underLayer = params.filter((p) => p.layer === path || p.layer.startsWith(`${path}.`));
    if (!exact && underLayer.length === 0) {
      const candidates = new Set([...params.map((p) => p.name), ...params.map((p) => p.layer)]);
      const suggestion = closest(path, candidates);
      bag.report("E0214", item.span, {
        args: { path, model },
        hint: suggestion ? `did you mean \`${suggestion}\`?` : `the layers with parameters are ${[...new Set(params.map((p) => p.layer))].map((l) => `\`${l}\``).join(", ") || "none"}`,
      });
      ok = false;
      continue;
    }
    if (exact) chosen.add(exact.name);
    for (const p of underLayer) if (p.role === "weight") chosen.add(p.name);
  }
  return ok ? params.filter((p) => chosen.has(p.name)).map((p) => p.name) : null;
}

export function checkRegularizer(decl: RegularizeDecl, params: ModelParam[], model: string, bag: DiagnosticBag): CheckedRegularizer | null {
  const call = decl.value;
  const name = call.callee.name;
  const sig = name === "l1" || name === "l2" ? REGULARIZERS[name] : undefined;
  if (!sig) {
    const suggestion = closest(name, Object.keys(REGULARIZERS));
    bag.report("E0507", call.callee.span, { args: { name }, hint: suggestion ? `did you mean \`${suggestion}\`?` : "the regularizers are `l1` and `l2`" });
    return null;
  }
  const bound = bindArguments(sig, call.args, call.span, bag);
  if (!bound.ok) return null;
  const on = bound.values.on;
  const selected = select(on !== undefined && isExpressionValue(on) ? on : undefined, params, model, bag);
  if (selected === null) return null;
  if (selected.length === 0) bag.report("empty-regularizer", call.span, { args: { name } });
  return { kind: name as "l1" | "l2", lambda: bound.values.lambda as number, params: selected, span: decl.span };
}

// λ/2·Σw² or λ·Σ|w| over one parameter, as a scalar.
export function lowerPenalty(b: GraphBuilder, kind: "l1" | "l2", lambda: number, param: number): number {
  const axes = b.node(param).shape.map((_, i) => i);
  const magnitude = kind === "l2" ? b.binary("mul", param, param) : b.unary("abs", param);
  return b.scale(b.sum(magnitude, axes), kind === "l2" ? lambda / 2 : lambda);
}
