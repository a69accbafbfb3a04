// Affine layers: dense (PyTorch's Linear) and maxout (k affine pieces, elementwise max). Weights
// are stored as PyTorch stores them, [out, in], so the forward pass is x · Wᵀ.

import type { Expression } from "../../../grammar/ast.ts";
import { isExpressionValue } from "../args.ts";
import { parseInitializer } from "../init.ts";
import type { ParamDecl } from "../model-types.ts";
import { rankError, symbolicError } from "./report.ts";
import { POSITIVE_INT, TENSOR, type LayerCall, type LayerRow, type LowerContext } from "./types.ts";

const INIT = { name: "init", type: TENSOR, optional: true, positional: false, doc: "how the weight starts (default: PyTorch's)" } as const;

// The `init:` argument, or null when absent (the train block's default, else PyTorch's, applies);
// false when it was given but is not an initializer.
function layerInit(call: LayerCall) {
  const value = call.args.values.init;
  if (value === undefined || !isExpressionValue(value)) return null;
  return parseInitializer(value as Expression, call.bag) ?? false;
}

// The number of input features of a [B, in] input, or null after reporting.
function features(call: LayerCall): number | null {
  const x = call.inputs[0]!;
  if (x.shape.length !== 2) {
    const hint = x.shape.length > 2 ? "flatten it first: `flatten(x) |> " + call.name + "(...)`" : null;
    return rankError(call, "a matrix [B, features]", hint);
  }
  const size = x.shape[1]!;
  return typeof size === "number" ? size : symbolicError(call, "the number of input features");
}

function affineParams(units: number, inFeatures: number, bias: boolean, init: ParamDecl["init"]): ParamDecl[] {
  const fan = { fanIn: inFeatures, fanOut: units };
  const params: ParamDecl[] = [{ local: "weight", shape: [units, inFeatures], role: "weight", init, ...fan }];
  // PyTorch draws the bias from U(±1/√fan_in) whatever the weight's initializer is; so does nnc.
  if (bias) params.push({ local: "bias", shape: [units], role: "bias", init: { kind: "torch_default" }, ...fan });
  return params;
}

// dense (one piece) and maxout (k pieces): [B, in] → [B, units], with k·units affine outputs.
function inferAffine(call: LayerCall, pieces: number) {
  const inFeatures = features(call);
  const init = layerInit(call);
  if (inFeatures === null || init === false) return null;
  const units = call.args.values.units as number;
  const bias = call.args.values.bias as boolean;
  return {
    shape: [call.inputs[0]!.shape[0]!, units],
    config: pieces === 1 ? { units, bias } : { units, k: pieces, bias },
    params: affineParams(pieces * units, inFeatures, bias, init),
  };
}

function lowerAffine(ctx: LowerContext, x: number): number {
  const y = ctx.b.matmul(x, ctx.param("weight"), false, true);
  return ctx.node.config.bias ? ctx.b.binary("add", y, ctx.param("bias")) : y;
}

export const dense: LayerRow = {
  signature: {
    name: "dense",
    doc: "affine layer y = x·Wᵀ + b, weight [units, in]",
    params: [
      { name: "x", type: TENSOR, doc: "the input [B, in]" },
      { name: "units", type: POSITIVE_INT, doc: "the number of outputs" },
      { name: "bias", type: { kind: "bool" }, default: true, doc: "whether to add a bias" },
      INIT,
    ],
  },
  tensors: 1,
  parametric: true,
  infer: (call) => inferAffine(call, 1),
  lower: (ctx, [x]) => lowerAffine(ctx, x!),
};

// Layout: the affine output [B, k·units] is read as [B, k, units], so column j·units + u is piece j
// of unit u (the weight's rows come in k blocks of `units`); the max runs over the k axis.
export const maxout: LayerRow = {
  signature: {
    name: "maxout",
    doc: "k affine pieces, elementwise max; weight [k·units, in]",
    params: [
      { name: "x", type: TENSOR, doc: "the input [B, in]" },
      { name: "units", type: POSITIVE_INT, doc: "the number of outputs" },
      { name: "k", type: { kind: "number", integer: true, min: 2 }, default: 2, doc: "the number of pieces" },
      { name: "bias", type: { kind: "bool" }, default: true, doc: "whether the pieces have biases" },
      INIT,
    ],
  },
  tensors: 1,
  parametric: true,
  infer: (call) => inferAffine(call, call.args.values.k as number),
  lower(ctx, [x]) {
    const { units, k } = ctx.node.config as { units: number; k: number };
    const z = lowerAffine(ctx, x!);
    const pieces = ctx.b.reshape(z, [ctx.b.node(x!).shape[0]!, k, units]);
    return ctx.b.add("max", [pieces], { axes: [1], keepdims: false });
  },
};

export { layerInit };
