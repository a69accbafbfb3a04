// Layers that move data without computing on it — flatten, reshape, concat — and the matrix
// product (`matmul(a, b)` or `a @ b`).

import type { Expression } from "../../../grammar/ast.ts";
import type { Dim, Shape } from "../../ir/graph.ts";
import { isExpressionValue } from "../args.ts";
import { rankError, shapeNote, show, symbolicError, checkAxis } from "./report.ts";
import { TENSOR, type LayerCall, type LayerRow } from "./types.ts";

export const flatten: LayerRow = {
  signature: { name: "flatten", doc: "[B, …] → [B, product of the rest]", params: [{ name: "x", type: TENSOR, doc: "the input" }] },
  tensors: 1,
  parametric: false,
  infer(call) {
    const x = call.inputs[0]!;
    if (x.shape.length < 2) return rankError(call, "a batch [B, …] of rank 2 or more");
    let size = 1;
    for (const d of x.shape.slice(1)) {
      if (typeof d !== "number") return symbolicError(call, "every size but the batch's");
      size *= d;
    }
    return { shape: [x.shape[0]!, size] };
  },
  lower: (ctx, [x]) => ctx.b.reshape(x!, ctx.node.shape),
};

// The target shape of `reshape(x, [B, 1, 28, 28])`, or null after reporting a bad dimension.
function targetShape(call: LayerCall, expression: Expression): Shape | null {
  if (expression.type !== "ListExpr") {
    call.bag.report("E0405", expression.span, { args: { name: "shape", expected: "a list of sizes like [B, 1, 28, 28]", got: "another kind of value" } });
    return null;
  }
  const shape: Dim[] = [];
  for (const element of expression.elements) {
    if (element.type === "Identifier") shape.push(element.name);
    else if (element.type === "NumberLiteral" && Number.isInteger(element.value) && element.value >= 1) shape.push(element.value);
    else {
      call.bag.report("E0301", element.span, { args: { got: element.type === "NumberLiteral" ? element.raw : "an expression" } });
      return null;
    }
  }
  return shape;
}

function staticProduct(shape: Shape): number {
  return shape.reduce<number>((p, d) => (typeof d === "number" ? p * d : p), 1);
}

function symbols(shape: Shape): string {
  return shape.filter((d) => typeof d === "string").sort().join(", ");
}

export const reshape: LayerRow = {
  signature: {
    name: "reshape",
    doc: "the same elements in a new shape; symbolic sizes such as B keep their meaning",
    params: [
      { name: "x", type: TENSOR, doc: "the input" },
      { name: "shape", type: TENSOR, doc: "the new shape, e.g. [B, 1, 28, 28]" },
    ],
  },
  tensors: 1,
  parametric: false,
  infer(call) {
    const value = call.args.values.shape;
    if (value === undefined || !isExpressionValue(value)) return null;
    const to = targetShape(call, value as Expression);
    if (!to) return null;
    const from = call.inputs[0]!.shape;
    const reason =
      symbols(from) !== symbols(to)
        ? `the named sizes differ (${symbols(from) || "none"} and ${symbols(to) || "none"})`
        : staticProduct(from) !== staticProduct(to)
          ? `the sizes differ (${staticProduct(from)} and ${staticProduct(to)} elements${symbols(to) ? ` per ${symbols(to)}` : ""})`
          : null;
    if (reason) {
      call.bag.report("E0306", call.span, { args: { from: show(from), to: show(to), reason }, notes: [shapeNote(call, call.inputs[0]!)] });
      return null;
    }
    return { shape: to };
  },
  lower: (ctx, [x]) => ctx.b.reshape(x!, ctx.node.shape),
};

export const concat: LayerRow = {
  signature: {
    name: "concat",
    doc: "joins tensors along an axis; the other sizes must agree",
    params: [{ name: "axis", type: { kind: "number", integer: true }, default: 1, positional: false, doc: "the axis to join along" }],
  },
  tensors: "variadic",
  parametric: false,
  infer(call) {
    const [first, ...rest] = call.inputs;
    if (!first) {
      call.bag.report("E0403", call.span, { args: { name: "x", callee: "concat" }, hint: "`concat` takes the tensors to join, then `axis:`" });
      return null;
    }
    const axis = checkAxis(call, call.args.values.axis as number, first.shape.length);
    if (axis === null) return null;
    let total = first.shape[axis]!;
    for (const [i, other] of rest.entries()) {
      const fits = other.shape.length === first.shape.length && other.shape.every((d, j) => j === axis || d === first.shape[j]);
      const size = other.shape[axis];
      if (!fits || typeof size !== "number" || typeof total !== "number") {
        call.bag.report("E0307", call.inputSpans[i + 1]!, {
          args: { left: show(first.shape), right: show(other.shape), axis: call.args.values.axis as number },
          notes: [shapeNote(call, first, "the first shape came from here"), shapeNote(call, other, "the other shape came from here")],
          hint: fits ? "only sizes that are numbers can be joined" : "every size but the one along the axis must be equal",
        });
        return null;
      }
      total += size;
    }
    const shape = [...first.shape];
    shape[axis] = total;
    return { shape, config: { axis } };
  },
  lower: (ctx, inputs) => (inputs.length === 1 ? inputs[0]! : ctx.b.add("concat", inputs, { axis: ctx.node.config.axis as number })),
};

export const matmul: LayerRow = {
  signature: {
    name: "matmul",
    doc: "the matrix product a·b of two matrices (also written a @ b)",
    params: [
      { name: "a", type: TENSOR, doc: "[m, k]" },
      { name: "b", type: TENSOR, doc: "[k, n]" },
    ],
  },
  tensors: 2,
  parametric: false,
  infer(call) {
    const [a, b] = call.inputs as [typeof call.inputs[0] & object, typeof call.inputs[0] & object];
    const bad = a.shape.length !== 2 ? a : b.shape.length !== 2 ? b : null;
    if (bad) {
      call.bag.report("E0304", call.span, {
        args: { layer: "matmul", expected: "two matrices", shape: show(bad.shape) },
        notes: [shapeNote(call, bad)],
        hint: bad.shape.length > 2 ? "flatten it first" : null,
      });
      return null;
    }
    if (a.shape[1] !== b.shape[0]) {
      call.bag.report("E0303", call.span, {
        args: { left: show(a.shape), right: show(b.shape), a: a.shape[1]!, b: b.shape[0]! },
        notes: [shapeNote(call, a, "the left shape came from here"), shapeNote(call, b, "the right shape came from here")],
      });
      return null;
    }
    return { shape: [a.shape[0]!, b.shape[1]!] };
  },
  lower: (ctx, [a, b]) => ctx.b.matmul(a!, b!),
};
