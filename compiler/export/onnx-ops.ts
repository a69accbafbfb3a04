// One row per IR op: how it is written as ONNX nodes (opset 13). The inference graph reaches only
// the forward ops; the gradient ops, dropout masks and label encodings have no row, and meeting
// one is an ExportError naming it (a test checks every op is either here or listed as refused).

import type { Op } from "../ir/ops.ts";
import type { IRNode, Shape } from "../ir/graph.ts";

// What a row can do: add ONNX nodes and constants, and read its inputs' tensor names.
export interface OnnxBuilder {
  node(opType: string, inputs: string[], attributes?: Record<string, number | number[]>, output?: string): string;
  int64s(values: number[]): string; // a constant 1-D int64 tensor
  floats(values: number[], dims: number[]): string; // a constant float tensor
  shapeOf(shape: Shape): string; // a 1-D int64 tensor with the shape, symbolic sizes read at run time
  input(node: IRNode, i: number): string;
  rank(node: IRNode, i: number): number;
}

type Row = (b: OnnxBuilder, node: IRNode) => string;

const unary =
  (opType: string): Row =>
  (b, node) =>
    b.node(opType, [b.input(node, 0)]);
const binary =
  (opType: string): Row =>
  (b, node) =>
    b.node(opType, [b.input(node, 0), b.input(node, 1)]);
const pairs = (a: [number, number]) => [a[0], a[1]];
const pads = (a: [number, number]) => [a[0], a[1], a[0], a[1]];
const axesOf = (b: OnnxBuilder, node: IRNode, axes: number[]) => (axes.length ? axes : [...Array(b.rank(node, 0)).keys()]);

type Attrs<K extends Op> = IRNode<K>["attrs"];
const attrs = <K extends Op>(node: IRNode, _op: K) => node.attrs as Attrs<K>;

export const ONNX_ROWS: Partial<Record<Op, Row>> = {
  neg: unary("Neg"),
  exp: unary("Exp"),
  log: unary("Log"),
  sqrt: unary("Sqrt"),
  abs: unary("Abs"),
  sign: unary("Sign"),
  relu: unary("Relu"),
  sigmoid: unary("Sigmoid"),
  tanh: unary("Tanh"),
  softplus: unary("Softplus"),
  // 1 where x > 0, else 0.
  step: (b, node) => b.node("Cast", [b.node("Greater", [b.input(node, 0), b.floats([0], [])])], { to: 1 }),
  leaky_relu: (b, node) => b.node("LeakyRelu", [b.input(node, 0)], { alpha: attrs(node, "leaky_relu").slope }),
  add: binary("Add"),
  sub: binary("Sub"),
  mul: binary("Mul"),
  div: binary("Div"),
  maximum: binary("Max"),
  eq: (b, node) => b.node("Cast", [b.node("Equal", [b.input(node, 0), b.input(node, 1)])], { to: 1 }),
  sum: (b, node) => {
    const a = attrs(node, "sum");
    return b.node("ReduceSum", [b.input(node, 0), b.int64s(axesOf(b, node, a.axes))], { keepdims: a.keepdims ? 1 : 0 });
  },
  mean: (b, node) => {
    const a = attrs(node, "mean");
    return b.node("ReduceMean", [b.input(node, 0)], { axes: axesOf(b, node, a.axes), keepdims: a.keepdims ? 1 : 0 });
  },
  max: (b, node) => {
    const a = attrs(node, "max");
    return b.node("ReduceMax", [b.input(node, 0)], { axes: axesOf(b, node, a.axes), keepdims: a.keepdims ? 1 : 0 });
  },
  // The first largest element's index, as a float (as nnc's argmax).
  argmax: (b, node) => b.node("Cast", [b.node("ArgMax", [b.input(node, 0)], { axis: (node.attrs as { axis: number }).axis, keepdims: 0, select_last_index: 0 })], { to: 1 }),
  softmax: (b, node) => b.node("Softmax", [b.input(node, 0)], { axis: attrs(node, "softmax").axis }),
  log_softmax: (b, node) => b.node("LogSoftmax", [b.input(node, 0)], { axis: attrs(node, "log_softmax").axis }),
  reshape: (b, node) => b.node("Reshape", [b.input(node, 0), b.shapeOf(node.shape)]),
  transpose: (b, node) => b.node("Transpose", [b.input(node, 0)], { perm: attrs(node, "transpose").perm }),
  broadcast: (b, node) => b.node("Expand", [b.input(node, 0), b.shapeOf(node.shape)]),
  concat: (b, node) => b.node("Concat", node.inputs.map((_, i) => b.input(node, i)), { axis: attrs(node, "concat").axis }),
  slice: (b, node) => {
    const a = attrs(node, "slice");
    return b.node("Slice", [b.input(node, 0), b.int64s([a.start]), b.int64s([a.end]), b.int64s([a.axis])]);
  },
  // A 2-D product op(a) @ op(b): Gemm without its C input.
  matmul: (b, node) => {
    const a = attrs(node, "matmul");
    return b.node("Gemm", [b.input(node, 0), b.input(node, 1)], { transA: a.transposeA ? 1 : 0, transB: a.transposeB ? 1 : 0 });
  },
  conv2d: (b, node) => {
    const a = attrs(node, "conv2d");
    return b.node("Conv", [b.input(node, 0), b.input(node, 1)], { strides: pairs(a.stride), pads: pads(a.padding) });
  },
  maxpool2d: (b, node) => {
    const a = attrs(node, "maxpool2d");
    return b.node("MaxPool", [b.input(node, 0)], { kernel_shape: pairs(a.kernel), strides: pairs(a.stride), pads: pads(a.padding) });
  },
  avgpool2d: (b, node) => {
    const a = attrs(node, "avgpool2d");
    return b.node("AveragePool", [b.input(node, 0)], { kernel_shape: pairs(a.kernel), strides: pairs(a.stride), pads: pads(a.padding), count_include_pad: 1 });
  },
};

// The sources, which onnx.ts turns into graph inputs and initializers itself.
export const ONNX_SOURCES: readonly Op[] = ["input", "param", "state", "const"];

// Ops that never belong to an inference graph: gradients, training-only randomness, labels.
export const NOT_IN_INFERENCE: readonly Op[] = [
  "dropout_mask",
  "dim_size",
  "one_hot",
  "conv2d_grad_input",
  "conv2d_grad_weight",
  "maxpool2d_grad",
  "maxpool2d_gather",
  "avgpool2d_grad",
];
