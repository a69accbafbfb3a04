// `param NAME: SHAPE init VALUE`: a trainable tensor of the model that belongs to no layer. Its
// shape has only whole-number sizes (no batch); its initial value is a number (every element),
// a list of every element (nested lists for a matrix, row-major), or an initializer as in a
// layer's `init:` (`normal(std: 0.1)`); without `init` it starts at zeros. Its checkpoint name is
// NAME itself, and it is a weight: `regularize l2(λ)` includes it.

import type { Expression, Identifier, ParamDecl } from "../../grammar/ast.ts";
import type { Initializer } from "../ir/graph.ts";
import { numberValue } from "./args.ts";
import type { EvalContext, Evaluator } from "./evaluator.ts";
import { parseInitializer } from "./init.ts";
import { show } from "./layers/report.ts";
import type { ModelParam } from "./model-types.ts";
import { Naming, type Scope } from "./scope.ts";

export function declareParam(ev: Evaluator, s: ParamDecl, scope: Scope): void {
  const { bag } = ev;
  const name = s.name.name;
  const written = s.shape?.dims ?? [];
  const shape: number[] = [];
  for (const d of written) {
    if (d.type === "NumberLiteral" && Number.isInteger(d.value) && d.value >= 1) shape.push(d.value);
  }
  let ok = true;
  if (shape.length !== written.length) {
    const symbolic = written.find((d): d is Identifier => d.type === "Identifier");
    bag.report("E0322", s.shape!.span, {
      args: { name, shape: `[${written.map((d) => (d.type === "Identifier" ? d.name : d.raw)).join(", ")}]` },
      hint: symbolic ? `a parameter is the same for every example, so it has no batch dimension such as \`${symbolic.name}\`` : null,
    });
    ok = false;
  }
  const init = ok ? parseParamInit(s.init, name, shape, ev) : null;
  const previous = scope.lookup(name);
  if (previous) {
    bag.report("E0203", s.name.span, { args: { name, scope: "model" }, notes: [bag.note("first defined here", previous.span)] });
    return;
  }
  if (!ok || !init) {
    scope.entries.set(name, { kind: "tensor", role: "param", value: null, span: s.name.span, used: false });
    return;
  }
  const size = shape.reduce((a, b) => a * b, 1);
  // As PyTorch's _calculate_fan_in_and_fan_out for a matrix or more; a vector or a number counts
  // its size both ways (PyTorch refuses fan-based initializers there).
  const fanIn = shape.length >= 2 ? size / shape[0]! : size;
  const fanOut = shape.length >= 2 ? shape[0]! * (size / shape[0]! / shape[1]!) : size;
  const param: ModelParam = { local: "", name, layer: name, span: s.name.span, shape, role: "weight", init, fanIn, fanOut };
  const ctx: EvalContext = { scope, naming: new Naming("", name, true), binding: name, piped: null };
  const value = ev.addNode("param", [], shape, s.span, ctx, { config: { name } });
  ev.nodes[value.node]!.params.push(param);
  ev.params.push(param);
  scope.entries.set(name, { kind: "tensor", role: "param", value, span: s.name.span, used: false });
}

// The initializer `init VALUE` denotes for a parameter of `shape`, or null after reporting.
function parseParamInit(value: Expression | null, name: string, shape: number[], ev: Evaluator): Initializer | null {
  if (value === null) return { kind: "zeros" };
  const single = numberValue(value);
  if (single !== null) return { kind: "constant", value: single };
  if (value.type !== "ListExpr") return parseInitializer(value, ev.bag);
  const numbers: number[] = [];
  const flatten = (e: Expression): boolean => {
    if (e.type === "ListExpr") return e.elements.every(flatten);
    const v = numberValue(e);
    if (v === null) {
      ev.bag.report("E0405", e.span, { args: { name: "init", expected: "numbers, or lists of numbers", got: describeElement(e) } });
      return false;
    }
    numbers.push(v);
    return true;
  };
  if (!flatten(value)) return null;
  const size = shape.reduce((a, b) => a * b, 1);
  if (numbers.length !== size) {
    ev.bag.report("E0323", value.span, {
      args: { name, count: `${numbers.length} number${numbers.length === 1 ? "" : "s"}`, shape: show(shape), size },
      hint: shape.length === 0 ? `a parameter without a shape is one number: \`param ${name} init ${numbers[0] ?? 0}\`` : null,
    });
    return null;
  }
  return { kind: "values", values: numbers };
}

function describeElement(e: Expression): string {
  return e.type === "Identifier" ? `\`${e.name}\`` : e.type === "StringLiteral" ? `the string ${e.raw}` : "an expression";
}
