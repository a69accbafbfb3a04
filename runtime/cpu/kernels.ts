// The CPU reference kernel of every IR op: the executable definition of what each op computes.
// The WebGPU backend is tested against these. Each row reads its inputs from `call.inputs`, writes
// its whole output into `call.out` and allocates nothing per element.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import type { Op } from "../../compiler/ir/ops.ts";
import { conv2d, conv2dGradInput, conv2dGradWeight, geometry } from "./conv.ts";
import * as ew from "./elementwise.ts";
import { matmul } from "./matmul.ts";
import { broadcast, concat, slice, transpose } from "./movement.ts";
import { avgpool2d, maxpool2d, maxpool2dGather, maxpool2dGrad } from "./pool.ts";
import { argmaxAlong, reduce, softmax } from "./reduce.ts";
import { dropoutBits, dropThreshold } from "../random.ts";
import type { CpuKernel, FloatArray, FloatCall, KernelCall, TensorArray } from "./types.ts";

// Copies a fed array into the node's buffer (converting between float32 and float64 if needed).
// The executor checks the fed array's type against the node's dtype first, and skips this copy,
// using the fed array itself, when its type is already the buffer's.
function feed(call: KernelCall, source: Record<string, TensorArray>, name: string): void {
  const value = source[name];
  if (!value) throw new InternalError(`no value fed for ${call.node.op} "${name}"`);
  if (value.length !== call.out.length) {
    throw new InternalError(`${call.node.op} "${name}" has ${value.length} values, expected ${call.out.length} for [${call.outShape}]`);
  }
  call.out.set(value);
}

// Every op but the few that take or give i32 (one_hot, argmax, eq and the movement ops) reads and
// writes only float buffers: its shape rule admits no i32 operand, and the plan gives an f32 node
// a float buffer (runtime/cpu/plan.ts), so such a call is viewed as a FloatCall.
const floats = <K extends Op>(call: KernelCall<K>) => call as FloatCall<K>;
const onFloats =
  <K extends Op>(kernel: (call: FloatCall<K>) => void): CpuKernel<K> =>
  (call) =>
    kernel(floats(call));

// The i32 side of one_hot and argmax, checked: a float buffer here would mean the plan and the
// shape rules disagree.
function ints(array: TensorArray, what: string): Int32Array {
  if (!(array instanceof Int32Array)) throw new InternalError(`${what} is held in a ${array.constructor.name}, not an Int32Array`);
  return array;
}

const [X, Y] = [0, 1];
const unary = (f: (out: FloatArray, x: FloatArray) => void) => onFloats((call) => f(call.out, call.inputs[X]!));
const binary = (op: ew.BinaryOp) => (call: KernelCall) =>
  ew.binary(op, floats(call).out, call.outShape, call.inputs[X]!, call.inShapes[X]!, call.inputs[Y]!, call.inShapes[Y]!);

export const CPU_KERNELS: { [K in Op]: CpuKernel<K> } = {
  input: (call) => feed(call, call.env.feeds.inputs, call.node.attrs.name),
  param: (call) => feed(call, call.env.feeds.params, call.node.attrs.name),
  state: (call) => feed(call, call.env.feeds.state, call.node.attrs.name),
  const: (call) => call.out.fill(call.node.attrs.value),
  // Inverted dropout: 0 with probability p, else 1/(1 − p), each element's draw a hash of the
  // run's seed, the mask's key and the element's index (runtime/random.ts).
  dropout_mask: onFloats((call) => {
    const { out, env } = call;
    const { p, key } = call.node.attrs;
    const keep = 1 / (1 - p);
    const threshold = dropThreshold(p);
    for (let i = 0; i < out.length; i++) out[i] = dropoutBits(env.seed, key, i) >>> 8 < threshold ? 0 : keep;
  }),
  dim_size: (call) => {
    const shape = call.inShapes[X]!;
    let size = 1;
    for (const a of call.node.attrs.axes) size *= shape[a < 0 ? a + shape.length : a]!;
    call.out[0] = size;
  },

  neg: unary(ew.neg),
  exp: unary(ew.exp),
  log: unary(ew.log),
  sqrt: unary(ew.sqrt),
  abs: unary(ew.abs),
  sign: unary(ew.sign),
  step: unary(ew.step),
  relu: unary(ew.relu),
  leaky_relu: onFloats((call) => ew.leakyRelu(call.out, call.inputs[X]!, call.node.attrs.slope)),
  sigmoid: unary(ew.sigmoid),
  tanh: unary(ew.tanh),
  softplus: unary(ew.softplus),

  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div"),
  maximum: binary("maximum"),
  // Both operands have one dtype (f32, or i32 for predicted against true classes); the result is
  // an f32 mask.
  eq: binary("eq"),
  // Labels are i32 (an Int32Array); a label outside 0..classes-1 gives a row of zeros (the data
  // loaders reject such labels before training).
  one_hot: (call) => {
    const out = floats(call).out;
    const labels = ints(call.inputs[X]!, "one_hot's labels");
    const classes = call.node.attrs.classes;
    out.fill(0);
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      if (label >= 0 && label < classes) out[i * classes + label] = 1;
    }
  },

  sum: onFloats((call) => reduce("sum", call.out, call.inputs[X]!, call.inShapes[X]!, call.node.attrs.axes)),
  mean: onFloats((call) => reduce("mean", call.out, call.inputs[X]!, call.inShapes[X]!, call.node.attrs.axes)),
  max: onFloats((call) => reduce("max", call.out, call.inputs[X]!, call.inShapes[X]!, call.node.attrs.axes)),
  argmax: (call) => argmaxAlong(ints(call.out, "argmax's result"), floats(call).inputs[X]!, call.inShapes[X]!, call.node.attrs.axis),
  softmax: onFloats((call) => softmax(false, call.out, call.inputs[X]!, call.inShapes[X]!, call.node.attrs.axis)),
  log_softmax: onFloats((call) => softmax(true, call.out, call.inputs[X]!, call.inShapes[X]!, call.node.attrs.axis)),

  reshape: (call) => call.out.set(call.inputs[X]!),
  transpose: (call) => transpose(call.out, call.inputs[X]!, call.inShapes[X]!, call.node.attrs.perm),
  broadcast: (call) => broadcast(call.out, call.outShape, call.inputs[X]!, call.inShapes[X]!),
  concat: (call) => concat(call.out, call.inputs, call.inShapes, call.node.attrs.axis),
  slice: (call) => {
    const { axis, start, end } = call.node.attrs;
    slice(call.out, call.inputs[X]!, call.inShapes[X]!, axis, start, end);
  },

  matmul: onFloats((call) => {
    const { transposeA, transposeB } = call.node.attrs;
    const [m, n] = call.outShape as [number, number];
    const aShape = call.inShapes[X]!;
    const k = transposeA ? aShape[0]! : aShape[1]!;
    matmul(call.inputs[X]!, 0, call.inputs[Y]!, 0, call.out, 0, m, n, k, transposeA, transposeB, false);
  }),
  // conv2d(x, w) → y
  conv2d: onFloats((call) => {
    const { stride, padding } = call.node.attrs;
    conv2d(call.out, call.inputs[X]!, call.inputs[Y]!, geometry(call.inShapes[X]!, call.inShapes[Y]!, call.outShape, stride, padding));
  }),
  // conv2d_grad_input(g, w) → dx
  conv2d_grad_input: onFloats((call) => {
    const { stride, padding } = call.node.attrs;
    const g = geometry(call.outShape, call.inShapes[Y]!, call.inShapes[X]!, stride, padding);
    conv2dGradInput(call.out, call.inputs[X]!, call.inputs[Y]!, g);
  }),
  // conv2d_grad_weight(x, g) → dw
  conv2d_grad_weight: onFloats((call) => {
    const { stride, padding } = call.node.attrs;
    const g = geometry(call.inShapes[X]!, call.outShape, call.inShapes[Y]!, stride, padding);
    conv2dGradWeight(call.out, call.inputs[X]!, call.inputs[Y]!, g);
  }),
  maxpool2d: onFloats((call) => maxpool2d(call.out, call.inputs[X]!, call.inShapes[X]!, call.outShape, call.node.attrs)),
  // maxpool2d_grad(x, g) → dx
  maxpool2d_grad: onFloats((call) => maxpool2dGrad(call.out, call.inputs[X]!, call.inputs[Y]!, call.inShapes[X]!, call.inShapes[Y]!, call.node.attrs)),
  // maxpool2d_gather(x, v) → pooled
  maxpool2d_gather: onFloats((call) =>
    maxpool2dGather(call.out, call.inputs[X]!, call.inputs[Y]!, call.inShapes[X]!, call.outShape, call.node.attrs),
  ),
  avgpool2d: onFloats((call) => avgpool2d(call.inputs[X]!, call.out, call.inShapes[X]!, call.outShape, call.node.attrs, false)),
  // avgpool2d_grad(g) → dx
  avgpool2d_grad: onFloats((call) => avgpool2d(call.out, call.inputs[X]!, call.outShape, call.inShapes[X]!, call.node.attrs, true)),
};

export function cpuKernel<K extends Op>(op: K): CpuKernel<K> {
  return CPU_KERNELS[op] as CpuKernel<K>;
}
