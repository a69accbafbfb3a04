// Activations: elementwise functions that keep the input's shape, and softmax / log_softmax along
// an axis.

import { checkAxis } from "./report.ts";
import { TENSOR, type LayerRow } from "./types.ts";

const X = { name: "x", type: TENSOR, doc: "the input" } as const;

function elementwise(name: string, doc: string, op: "relu" | "sigmoid" | "tanh" | "softplus" | null): LayerRow {
  return {
    signature: { name, doc, params: [X] },
    tensors: 1,
    parametric: false,
    infer: (call) => ({ shape: [...call.inputs[0]!.shape] }),
    // `identity` lowers to nothing: the layer's output is its input node.
    lower: (ctx, [x]) => (op === null ? x! : ctx.b.unary(op, x!)),
  };
}

export const relu = elementwise("relu", "max(0, x)", "relu");
export const sigmoid = elementwise("sigmoid", "1 / (1 + e^−x)", "sigmoid");
export const tanh = elementwise("tanh", "the hyperbolic tangent", "tanh");
export const softplus = elementwise("softplus", "log(1 + eˣ), computed stably", "softplus");
export const identity = elementwise("identity", "x unchanged", null);

export const leaky_relu: LayerRow = {
  signature: {
    name: "leaky_relu",
    doc: "x where x > 0, else slope·x",
    params: [X, { name: "slope", type: { kind: "number", min: 0 }, default: 0.01, doc: "the slope for x < 0" }],
  },
  tensors: 1,
  parametric: false,
  infer: (call) => ({ shape: [...call.inputs[0]!.shape], config: { slope: call.args.values.slope } }),
  lower: (ctx, [x]) => ctx.b.add("leaky_relu", [x!], { slope: ctx.node.config.slope as number }),
};

function softmaxLike(name: "softmax" | "log_softmax", doc: string): LayerRow {
  return {
    signature: {
      name,
      doc,
      params: [X, { name: "axis", type: { kind: "number", integer: true }, default: -1, doc: "the axis that sums to one" }],
    },
    tensors: 1,
    parametric: false,
    infer(call) {
      const x = call.inputs[0]!;
      const axis = checkAxis(call, call.args.values.axis as number, x.shape.length);
      return axis === null ? null : { shape: [...x.shape], config: { axis } };
    },
    lower: (ctx, [x]) => ctx.b.add(name, [x!], { axis: ctx.node.config.axis as number }),
  };
}

export const softmax = softmaxLike("softmax", "eˣ / Σ eˣ along an axis");
export const log_softmax = softmaxLike("log_softmax", "log(softmax(x)), computed stably");
