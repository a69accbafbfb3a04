// The shape rule of every IR op: given its input nodes and attributes, the output's shape and
// dtype, or a sentence saying why the inputs do not fit. Symbolic dims (strings) only match the
// same symbol or broadcast against 1.
//
// dtypes: every tensor is f32 except class labels and what is computed from them exactly, which
// are i32. The rules check each operand's dtype and give the result's:
//   arithmetic, activations, reductions, softmax, matmul, conv and pooling  f32 → f32
//   one_hot                                   i32 labels → f32 rows
//   argmax                                    f32 → i32 indices
//   eq                                        two operands of one dtype → f32 0/1 (a mask to multiply or sum)
//   reshape, transpose, broadcast, slice, concat   keep their operand's dtype (concat's must agree)
//   dropout_mask, dim_size                    read only the operand's shape; any dtype → f32
// An operand of the wrong dtype is a bug in nnc (the analyzer never lets a class target be used as
// a number: E0310, E0504), so GraphBuilder turns the rule's sentence into an InternalError.

import type { Op, OpAttrs } from "./ops.ts";
import type { DType, IRNode, Shape, Dim } from "./graph.ts";

export interface ShapeResult {
  shape: Shape;
  dtype: DType;
}

type Rule<K extends Op> = (inputs: IRNode[], attrs: OpAttrs[K]) => ShapeResult | string;

const f32 = (shape: Shape): ShapeResult => ({ shape, dtype: "f32" });
const show = (s: Shape) => `[${s.join(", ")}]`;

// Wraps a rule with the check that every operand has `dtype`.
function operands<K extends Op>(dtype: DType, rule: Rule<K>): Rule<K> {
  return (inputs, attrs) => {
    const wrong = inputs.findIndex((x) => x.dtype !== dtype);
    if (wrong >= 0) return `operand ${wrong} (%${inputs[wrong]!.id}) is ${inputs[wrong]!.dtype}, but this op takes ${dtype}`;
    return rule(inputs, attrs);
  };
}
const floats = <K extends Op>(rule: Rule<K>): Rule<K> => operands("f32", rule);

// Wraps a movement rule: the operands must share one dtype, and the result has it.
function keepsDtype<K extends Op>(rule: (inputs: IRNode[], attrs: OpAttrs[K]) => Shape | string): Rule<K> {
  return (inputs, attrs) => {
    const dtype = inputs[0]!.dtype;
    const other = inputs.find((x) => x.dtype !== dtype);
    if (other) return `operands of different dtypes: ${dtype} and ${other.dtype} (%${other.id})`;
    const shape = rule(inputs, attrs);
    return typeof shape === "string" ? shape : { shape, dtype };
  };
}

export function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}

// numpy broadcasting: align from the right; each pair must be equal or contain a 1.
export function broadcastShapes(a: Shape, b: Shape): Shape | null {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else return null;
  }
  return out;
}

function sourceRule(): string {
  return "source ops take their shape from the builder";
}

const unary = ([x]: IRNode[]): ShapeResult => f32([...x!.shape]);

const binary = ([a, b]: IRNode[]): ShapeResult | string => {
  const shape = broadcastShapes(a!.shape, b!.shape);
  return shape ? f32(shape) : `cannot broadcast ${show(a!.shape)} with ${show(b!.shape)}`;
};

function reduce(x: IRNode, axes: number[], keepdims: boolean): ShapeResult | string {
  const rank = x.shape.length;
  const normalized = axes.map((a) => normalizeAxis(a, rank));
  if (normalized.some((a) => a < 0 || a >= rank)) return `axes ${axes} out of range for rank ${rank}`;
  const shape = keepdims
    ? x.shape.map((d, i) => (normalized.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !normalized.includes(i));
  return f32(shape);
}

function product(dims: Shape): number | null {
  let p = 1;
  for (const d of dims) {
    if (typeof d !== "number") return null;
    p *= d;
  }
  return p;
}

// Output size of a window op along one axis, as PyTorch computes it (floor mode).
export function windowOutput(size: Dim, kernel: number, stride: number, padding: number): Dim | null {
  if (typeof size !== "number") return null;
  const out = Math.floor((size + 2 * padding - kernel) / stride) + 1;
  return out >= 1 ? out : null;
}

function pool(x: IRNode, a: { kernel: [number, number]; stride: [number, number]; padding: [number, number] }): ShapeResult | string {
  if (x.shape.length !== 4) return `expected [N, C, H, W], got ${show(x.shape)}`;
  const [n, c, h, w] = x.shape as [Dim, Dim, Dim, Dim];
  const oh = windowOutput(h, a.kernel[0], a.stride[0], a.padding[0]);
  const ow = windowOutput(w, a.kernel[1], a.stride[1], a.padding[1]);
  if (oh === null || ow === null) return `window ${a.kernel} does not fit ${show(x.shape)}`;
  return f32([n, c, oh, ow]);
}

export const SHAPE_RULES: { [K in Op]: Rule<K> } = {
  input: sourceRule,
  param: sourceRule,
  state: sourceRule,
  const: sourceRule,
  dropout_mask: ([x]) => f32([...x!.shape]),
  dim_size: ([x], a) => (a.axes.every((ax) => normalizeAxis(ax, x!.shape.length) < x!.shape.length) ? f32([]) : "axis out of range"),

  neg: floats(unary),
  exp: floats(unary),
  log: floats(unary),
  sqrt: floats(unary),
  abs: floats(unary),
  sign: floats(unary),
  step: floats(unary),
  relu: floats(unary),
  leaky_relu: floats(unary),
  sigmoid: floats(unary),
  tanh: floats(unary),
  softplus: floats(unary),

  add: floats(binary),
  sub: floats(binary),
  mul: floats(binary),
  div: floats(binary),
  maximum: floats(binary),
  // Compares two tensors of one dtype (predicted and true classes, both i32, for accuracy; a value
  // and its maximum, both f32, for max's gradient). The 0/1 result is f32 so it can be summed and
  // multiplied like any mask.
  eq: ([a, b]) => (a!.dtype !== b!.dtype ? `cannot compare ${a!.dtype} with ${b!.dtype}` : binary([a!, b!])),
  one_hot: operands("i32", ([x], a) => (a.classes >= 1 ? f32([...x!.shape, a.classes]) : "classes must be ≥ 1")),

  sum: floats(([x], a) => reduce(x!, a.axes, a.keepdims)),
  mean: floats(([x], a) => reduce(x!, a.axes, a.keepdims)),
  max: floats(([x], a) => reduce(x!, a.axes, a.keepdims)),
  argmax: floats(([x], a) => {
    const result = reduce(x!, [a.axis], false);
    return typeof result === "string" ? result : { shape: result.shape, dtype: "i32" };
  }),
  softmax: floats(([x], a) => (normalizeAxis(a.axis, x!.shape.length) < x!.shape.length ? f32([...x!.shape]) : "axis out of range")),
  log_softmax: floats(([x], a) => (normalizeAxis(a.axis, x!.shape.length) < x!.shape.length ? f32([...x!.shape]) : "axis out of range")),

  reshape: keepsDtype(([x], a) => {
    // Sizes must agree when both are static; a symbolic dim must keep its place among the others.
    const from = product(x!.shape.filter((d) => typeof d === "number"));
    const to = product(a.shape.filter((d) => typeof d === "number"));
    const symbolsFrom = x!.shape.filter((d) => typeof d === "string").sort().join(",");
    const symbolsTo = a.shape.filter((d) => typeof d === "string").sort().join(",");
    if (symbolsFrom !== symbolsTo || from !== to) return `cannot reshape ${show(x!.shape)} to ${show(a.shape)}`;
    return [...a.shape];
  }),
  transpose: keepsDtype(([x], a) => {
    const rank = x!.shape.length;
    const sorted = [...a.perm].sort((p, q) => p - q);
    if (a.perm.length !== rank || sorted.some((p, i) => p !== i)) return `bad permutation ${a.perm} for rank ${rank}`;
    return a.perm.map((p) => x!.shape[p]!);
  }),
  broadcast: keepsDtype(([x], a) => {
    const shape = broadcastShapes(x!.shape, a.shape);
    if (!shape || shape.length !== a.shape.length || shape.some((d, i) => d !== a.shape[i])) {
      return `cannot broadcast ${show(x!.shape)} to ${show(a.shape)}`;
    }
    return [...a.shape];
  }),
  concat: keepsDtype((xs, a) => {
    const first = xs[0]!;
    const rank = first.shape.length;
    const axis = normalizeAxis(a.axis, rank);
    if (axis < 0 || axis >= rank) return "axis out of range";
    let total: Dim = 0;
    for (const x of xs) {
      if (x.shape.length !== rank || x.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        return `cannot concatenate ${show(first.shape)} with ${show(x.shape)} along axis ${a.axis}`;
      }
      const d = x.shape[axis]!;
      if (typeof d !== "number" || typeof total !== "number") return "cannot concatenate along a symbolic dim";
      total += d;
    }
    const shape = [...first.shape];
    shape[axis] = total;
    return shape;
  }),
  slice: keepsDtype(([x], a) => {
    const axis = normalizeAxis(a.axis, x!.shape.length);
    const d = x!.shape[axis];
    if (typeof d !== "number" || a.start < 0 || a.end > d || a.start >= a.end) return `bad slice ${a.start}:${a.end} of ${show(x!.shape)}`;
    const shape = [...x!.shape];
    shape[axis] = a.end - a.start;
    return shape;
  }),

  matmul: floats(([a, b], t) => {
    if (a!.shape.length !== 2 || b!.shape.length !== 2) return `matmul needs 2-D operands, got ${show(a!.shape)} and ${show(b!.shape)}`;
    const [m, k1] = t.transposeA ? [a!.shape[1]!, a!.shape[0]!] : [a!.shape[0]!, a!.shape[1]!];
    const [k2, n] = t.transposeB ? [b!.shape[1]!, b!.shape[0]!] : [b!.shape[0]!, b!.shape[1]!];
    if (k1 !== k2) return `inner dims differ: ${show(a!.shape)} @ ${show(b!.shape)}`;
    return f32([m, n]);
  }),
  conv2d: floats(([x, w], a) => {
    if (x!.shape.length !== 4 || w!.shape.length !== 4) return "conv2d needs 4-D input and weight";
    const [n, c, h, wd] = x!.shape as [Dim, Dim, Dim, Dim];
    const [o, ci, kh, kw] = w!.shape as [Dim, Dim, number, number];
    if (c !== ci) return `input has ${c} channels, weight expects ${ci}`;
    const oh = windowOutput(h, kh, a.stride[0], a.padding[0]);
    const ow = windowOutput(wd, kw, a.stride[1], a.padding[1]);
    if (oh === null || ow === null) return "kernel does not fit the input";
    return f32([n, o, oh, ow]);
  }),
  conv2d_grad_input: floats((_, a) => f32([...a.inputShape])),
  conv2d_grad_weight: floats((_, a) => f32([...a.weightShape])),
  maxpool2d: floats(([x], a) => pool(x!, a)),
  maxpool2d_grad: floats(([x]) => f32([...x!.shape])),
  maxpool2d_gather: floats(([x], a) => pool(x!, a)),
  avgpool2d: floats(([x], a) => pool(x!, a)),
  avgpool2d_grad: floats((_, a) => f32([...a.inputShape])),
};

export function inferShape<K extends Op>(op: K, inputs: IRNode[], attrs: OpAttrs[K]): ShapeResult | string {
  return (SHAPE_RULES[op] as Rule<K>)(inputs, attrs);
}
