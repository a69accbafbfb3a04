// Regularizing layers: inverted dropout and batch normalization (BatchNorm1d on [B, C],
// BatchNorm2d on [B, C, H, W]). Both behave differently in training and evaluation, so their
// lowering reads the graph's mode.

import { dropoutKey } from "../../../runtime/random.ts";
import { shapeNote, show, symbolicError } from "./report.ts";
import { TENSOR, type LayerRow, type LowerContext } from "./types.ts";

export const dropout: LayerRow = {
  signature: {
    name: "dropout",
    doc: "zeroes each element with probability p while training, scaling the rest by 1/(1−p)",
    params: [
      { name: "x", type: TENSOR, doc: "the input" },
      { name: "p", type: { kind: "number", min: 0, max: 1, maxExclusive: true }, default: 0.5, doc: "the drop probability, 0 ≤ p < 1" },
    ],
  },
  tensors: 1,
  parametric: false,
  infer: (call) => ({ shape: [...call.inputs[0]!.shape], config: { p: call.args.values.p } }),
  lower(ctx, [x]) {
    const p = ctx.node.config.p as number;
    if (ctx.mode === "eval" || p === 0) return x!;
    // The key tells this layer's mask from every other's: its path and its place in the graph.
    const key = dropoutKey(`${ctx.node.path}#${ctx.b.graph.nodes.length}`);
    return ctx.b.binary("mul", x!, ctx.b.add("dropout_mask", [x!], { p, key }));
  },
};

export const batchnorm: LayerRow = {
  signature: {
    name: "batchnorm",
    doc: "batch normalization with a learnable scale and shift and running statistics",
    params: [
      { name: "x", type: TENSOR, doc: "the input [B, C] or [B, C, H, W]" },
      { name: "momentum", type: { kind: "number", min: 0, max: 1 }, default: 0.1, doc: "the running statistics' update rate" },
      { name: "eps", type: { kind: "number", min: 0, minExclusive: true }, default: 1e-5, doc: "added to the variance" },
    ],
  },
  tensors: 1,
  parametric: true,
  infer(call) {
    const x = call.inputs[0]!;
    if (x.shape.length !== 2 && x.shape.length !== 4) {
      call.bag.report("E0309", call.span, { args: { shape: show(x.shape) }, notes: [shapeNote(call, x)] });
      return null;
    }
    const channels = x.shape[1]!;
    if (typeof channels !== "number") return symbolicError(call, "the number of channels");
    const fan = { fanIn: channels, fanOut: channels };
    return {
      shape: [...x.shape],
      config: { momentum: call.args.values.momentum, eps: call.args.values.eps, channels },
      params: [
        { local: "weight", shape: [channels], role: "norm_scale", init: { kind: "ones" }, ...fan },
        { local: "bias", shape: [channels], role: "norm_shift", init: { kind: "zeros" }, ...fan },
      ],
      state: [
        { local: "running_mean", shape: [channels], init: 0 },
        { local: "running_var", shape: [channels], init: 1 },
      ],
    };
  },
  lower: lowerBatchnorm,
};

// Training: normalize with the batch's mean and biased variance over every axis but the channels,
// and move the running statistics toward the batch's (the running variance uses the unbiased
// estimate, n/(n−1) times the biased one, as PyTorch does). Evaluation: the running statistics.
function lowerBatchnorm(ctx: LowerContext, [x]: number[]): number {
  const { b } = ctx;
  const { momentum, eps, channels } = ctx.node.config as { momentum: number; eps: number; channels: number };
  const rank = b.node(x!).shape.length;
  const axes = rank === 2 ? [0] : [0, 2, 3];
  const perChannel = rank === 2 ? [1, channels] : [1, channels, 1, 1];
  let mean: number;
  let variance: number;
  if (ctx.mode === "train") {
    mean = b.mean(x!, axes, true);
    const centered = b.binary("sub", x!, mean);
    variance = b.mean(b.binary("mul", centered, centered), axes, true);
    const n = b.add("dim_size", [x!], { axes });
    const unbiased = b.binary("mul", b.reshape(variance, [channels]), b.binary("div", n, b.binary("sub", n, b.constant(1))));
    const blend = (old: number, batch: number) =>
      b.binary("add", b.scale(old, 1 - momentum), b.scale(batch, momentum));
    ctx.updateState("running_mean", blend(ctx.state("running_mean"), b.reshape(mean, [channels])));
    ctx.updateState("running_var", blend(ctx.state("running_var"), unbiased));
  } else {
    mean = b.reshape(ctx.state("running_mean"), perChannel);
    variance = b.reshape(ctx.state("running_var"), perChannel);
  }
  const normalized = b.binary("div", b.binary("sub", x!, mean), b.unary("sqrt", b.binary("add", variance, b.constant(eps))));
  const scaled = b.binary("mul", normalized, b.reshape(ctx.param("weight"), perChannel));
  return b.binary("add", scaled, b.reshape(ctx.param("bias"), perChannel));
}
