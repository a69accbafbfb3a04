// Elementwise math and whole-tensor reductions, for losses written as formulas
// (`loss sum(w^2)`) and anywhere else a tensor is computed. Each lowers to one IR op.

import { TENSOR, type LayerRow } from "./types.ts";

const X = { name: "x", type: TENSOR, doc: "the input" } as const;

function unary(name: string, doc: string, op: "exp" | "log" | "sqrt" | "abs"): LayerRow {
  return {
    signature: { name, doc, params: [X] },
    tensors: 1,
    parametric: false,
    infer: (call) => ({ shape: [...call.inputs[0]!.shape] }),
    lower: (ctx, [x]) => ctx.b.unary(op, x!),
  };
}

export const exp = unary("exp", "eˣ", "exp");
export const log = unary("log", "the natural logarithm (NaN below 0)", "log");
export const sqrt = unary("sqrt", "the square root (NaN below 0)", "sqrt");
export const abs = unary("abs", "|x|", "abs");

// Over every element, batch included: the result is one number.
function reduction(name: "sum" | "mean", doc: string): LayerRow {
  return {
    signature: { name, doc, params: [X] },
    tensors: 1,
    parametric: false,
    infer: () => ({ shape: [] }),
    lower(ctx, [x]) {
      const axes = ctx.b.node(x!).shape.map((_, i) => i);
      return axes.length === 0 ? x! : name === "sum" ? ctx.b.sum(x!, axes) : ctx.b.mean(x!, axes);
    },
  };
}

export const sum = reduction("sum", "the sum of every element, as one number");
export const mean = reduction("mean", "the mean of every element, as one number");
