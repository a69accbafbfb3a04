// Image layers on NCHW tensors: conv2d (PyTorch's Conv2d, weight [out, in, kh, kw]) and 2-D max and
// average pooling. Output sizes follow PyTorch's floor mode: ⌊(size + 2·padding − kernel)/stride⌋ + 1.

import { windowOutput } from "../../ir/shape-rules.ts";
import type { Dim } from "../../ir/graph.ts";
import { layerInit } from "./dense.ts";
import { rankError, shapeNote, show, symbolicError } from "./report.ts";
import { POSITIVE_INT, TENSOR, type LayerCall, type LayerRow } from "./types.ts";

type Pair = [number, number];

const PAIR_POSITIVE = { kind: "number_or_pair", integer: true, min: 1 } as const;
const PAIR_NATURAL = { kind: "number_or_pair", integer: true, min: 0 } as const;

const IMAGE_HINT = "images are [B, C, H, W]; reshape a flat input first, e.g. `reshape(x, [B, 1, 28, 28])`";

// The input's [N, C, H, W], with C, H and W known, or null after reporting.
function image(call: LayerCall): [Dim, number, number, number] | null {
  const x = call.inputs[0]!;
  if (x.shape.length !== 4) return rankError(call, "an image batch [B, C, H, W]", x.shape.length === 2 ? IMAGE_HINT : null);
  const [n, c, h, w] = x.shape as [Dim, Dim, Dim, Dim];
  if (typeof c !== "number" || typeof h !== "number" || typeof w !== "number") {
    return symbolicError(call, "the number of channels, the height and the width");
  }
  return [n, c, h, w];
}

// The output's height and width, or null after reporting that the window does not fit (E0305).
function windowSizes(call: LayerCall, h: number, w: number, kernel: Pair, stride: Pair, padding: Pair): Pair | null {
  const oh = windowOutput(h, kernel[0], stride[0], padding[0]);
  const ow = windowOutput(w, kernel[1], stride[1], padding[1]);
  if (oh !== null && ow !== null) return [oh as number, ow as number];
  call.bag.report("E0305", call.span, {
    args: { layer: call.name, window: `${kernel[0]}×${kernel[1]}`, shape: show(call.inputs[0]!.shape) },
    notes: [shapeNote(call, call.inputs[0]!)],
    hint: `with padding ${padding.join("×")} the input is ${h + 2 * padding[0]}×${w + 2 * padding[1]}; use a smaller kernel or more padding`,
  });
  return null;
}

export const conv2d: LayerRow = {
  signature: {
    name: "conv2d",
    doc: "2-D convolution (cross-correlation) on [B, C, H, W]; weight [channels, C, kh, kw]",
    params: [
      { name: "x", type: TENSOR, doc: "the input [B, C, H, W]" },
      { name: "channels", type: POSITIVE_INT, doc: "the number of output channels" },
      { name: "kernel", type: PAIR_POSITIVE, default: [3, 3], doc: "the window's size: n or [kh, kw]" },
      { name: "stride", type: PAIR_POSITIVE, default: [1, 1], doc: "the step between windows" },
      { name: "padding", type: PAIR_NATURAL, default: [0, 0], doc: "zeros added on each side" },
      { name: "bias", type: { kind: "bool" }, default: true, doc: "whether to add a bias per channel" },
      { name: "init", type: TENSOR, optional: true, positional: false, doc: "how the weight starts" },
    ],
  },
  tensors: 1,
  parametric: true,
  infer(call) {
    const dims = image(call);
    const init = layerInit(call);
    if (dims === null || init === false) return null;
    const [n, c, h, w] = dims;
    const v = call.args.values as { channels: number; kernel: Pair; stride: Pair; padding: Pair; bias: boolean };
    const out = windowSizes(call, h, w, v.kernel, v.stride, v.padding);
    if (!out) return null;
    const receptive = v.kernel[0] * v.kernel[1];
    const fan = { fanIn: c * receptive, fanOut: v.channels * receptive };
    return {
      shape: [n, v.channels, out[0], out[1]],
      config: { channels: v.channels, stride: v.stride, padding: v.padding, bias: v.bias },
      params: [
        { local: "weight", shape: [v.channels, c, v.kernel[0], v.kernel[1]], role: "weight", init, ...fan },
        ...(v.bias ? [{ local: "bias", shape: [v.channels], role: "bias" as const, init: { kind: "torch_default" as const }, ...fan }] : []),
      ],
    };
  },
  lower(ctx, [x]) {
    const { stride, padding, bias, channels } = ctx.node.config as { stride: Pair; padding: Pair; bias: boolean; channels: number };
    const y = ctx.b.add("conv2d", [x!, ctx.param("weight")], { stride, padding });
    if (!bias) return y;
    return ctx.b.binary("add", y, ctx.b.reshape(ctx.param("bias"), [1, channels, 1, 1]));
  },
};

function pool(name: "maxpool" | "avgpool", op: "maxpool2d" | "avgpool2d", doc: string): LayerRow {
  return {
    signature: {
      name,
      doc,
      params: [
        { name: "x", type: TENSOR, doc: "the input [B, C, H, W]" },
        { name: "kernel", type: PAIR_POSITIVE, default: [2, 2], doc: "the window's size: n or [kh, kw]" },
        { name: "stride", type: PAIR_POSITIVE, optional: true, doc: "the step between windows (default: the kernel)" },
        { name: "padding", type: PAIR_NATURAL, default: [0, 0], doc: "padding on each side (at most half the kernel)" },
      ],
    },
    tensors: 1,
    parametric: false,
    infer(call) {
      const dims = image(call);
      if (dims === null) return null;
      const [n, c, h, w] = dims;
      const kernel = call.args.values.kernel as Pair;
      const stride = (call.args.values.stride as Pair | undefined) ?? kernel;
      const padding = call.args.values.padding as Pair;
      // PyTorch refuses padding larger than half the window; so does nnc.
      if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
        call.bag.report("E0406", call.args.spans.padding ?? call.span, {
          args: { name: "padding", requirement: `must be at most half the kernel (${kernel.join("×")})`, got: `[${padding.join(", ")}]` },
        });
        return null;
      }
      const out = windowSizes(call, h, w, kernel, stride, padding);
      if (!out) return null;
      return { shape: [n, c, out[0], out[1]], config: { kernel, stride, padding } };
    },
    lower(ctx, [x]) {
      const { kernel, stride, padding } = ctx.node.config as { kernel: Pair; stride: Pair; padding: Pair };
      return ctx.b.add(op, [x!], { kernel, stride, padding });
    },
  };
}

export const maxpool = pool("maxpool", "maxpool2d", "2-D max pooling on [B, C, H, W]");
export const avgpool = pool("avgpool", "avgpool2d", "2-D average pooling on [B, C, H, W] (padding counts as zeros)");
