// The one list of IR ops, in sections, with the attributes each op takes. Every per-op fact lives
// in a table keyed by op beside this file or in the backend that owns it:
//   compiler/ir/shape-rules.ts      output shape and dtype
//   compiler/autodiff/grad-rules.ts gradient (vector-Jacobian product) as more IR
//   runtime/cpu/kernels.ts          the reference kernel
// Adding an op is adding a row to each; test/ir/tables.test.ts fails when a row is missing.
//
// Tensors are row-major (C order). Layouts follow PyTorch: images are NCHW, a dense weight is
// [out, in], a conv weight is [out, in, kh, kw].

export interface OpAttrs {
  // --- sources -------------------------------------------------------------------------------
  input: { name: string }; // a data input or target, fed at run time
  param: { name: string }; // a trainable parameter
  state: { name: string }; // a non-trainable buffer (batch-norm running statistics)
  const: { value: number }; // a constant filled to the node's shape
  // Inverted-dropout mask: each element is 0 with probability p, else 1/(1-p). Its input only
  // gives the shape. An element's random bits hash the step's seed, `key` (one per dropout layer)
  // and the element's index (runtime/random.ts), the same on every backend; no gradient.
  dropout_mask: { p: number; key: number };
  // The product of the input's sizes along `axes`, as a scalar (symbolic dims resolve at run time).
  dim_size: { axes: number[] };

  // --- elementwise unary ---------------------------------------------------------------------
  neg: Record<string, never>;
  exp: Record<string, never>;
  log: Record<string, never>;
  sqrt: Record<string, never>;
  abs: Record<string, never>;
  sign: Record<string, never>; // -1, 0 or 1 (gradient 0)
  step: Record<string, never>; // 1 where x > 0, else 0 (gradient 0)
  relu: Record<string, never>;
  leaky_relu: { slope: number };
  sigmoid: Record<string, never>;
  tanh: Record<string, never>;
  softplus: Record<string, never>; // log(1 + exp(x)), computed stably

  // --- elementwise binary (numpy broadcasting) ------------------------------------------------
  add: Record<string, never>;
  sub: Record<string, never>;
  mul: Record<string, never>;
  div: Record<string, never>;
  maximum: Record<string, never>;
  eq: Record<string, never>; // 1 where a == b, else 0, as f32; a and b share a dtype (gradient 0)
  one_hot: { classes: number }; // unary on i32 labels [...] -> f32 [..., classes] (gradient 0)

  // --- reductions ----------------------------------------------------------------------------
  sum: { axes: number[]; keepdims: boolean };
  mean: { axes: number[]; keepdims: boolean };
  max: { axes: number[]; keepdims: boolean };
  // The index of the first largest element along `axis` (that axis removed), as an i32; for
  // accuracy, so it has no gradient.
  argmax: { axis: number };
  softmax: { axis: number };
  log_softmax: { axis: number };

  // --- movement ------------------------------------------------------------------------------
  reshape: { shape: (number | string)[] };
  transpose: { perm: number[] };
  broadcast: { shape: (number | string)[] }; // expand size-1 (or missing leading) axes
  concat: { axis: number };
  slice: { axis: number; start: number; end: number };

  // --- matrix and image ops ------------------------------------------------------------------
  // 2-D matrix product op(a) @ op(b), where op transposes when the flag is set.
  matmul: { transposeA: boolean; transposeB: boolean };
  // x [N, C, H, W] * w [O, C, KH, KW] -> [N, O, OH, OW] (cross-correlation, as PyTorch).
  conv2d: { stride: [number, number]; padding: [number, number] };
  // The gradients of conv2d with respect to its input and its weight; each is linear in both of
  // its arguments, so differentiating them again stays inside these three ops.
  // Inputs: conv2d_grad_input(g, w) -> [N, C, H, W]; conv2d_grad_weight(x, g) -> [O, C, KH, KW].
  conv2d_grad_input: { stride: [number, number]; padding: [number, number]; inputShape: (number | string)[] };
  conv2d_grad_weight: { stride: [number, number]; padding: [number, number]; weightShape: number[] };
  maxpool2d: { kernel: [number, number]; stride: [number, number]; padding: [number, number] };
  // Scatters g (pooled shape) back to the argmax of each window of x. Inputs: (x, g).
  maxpool2d_grad: { kernel: [number, number]; stride: [number, number]; padding: [number, number] };
  // Gathers v (input shape) at the argmax of each window of x: the adjoint of maxpool2d_grad.
  // Inputs: (x, v).
  maxpool2d_gather: { kernel: [number, number]; stride: [number, number]; padding: [number, number] };
  // PyTorch's AvgPool2d with count_include_pad = true.
  avgpool2d: { kernel: [number, number]; stride: [number, number]; padding: [number, number] };
  // Input: (g), pooled shape; spreads each value evenly over its window (avgpool2d's adjoint).
  avgpool2d_grad: { kernel: [number, number]; stride: [number, number]; padding: [number, number]; inputShape: (number | string)[] };
}

export type Op = keyof OpAttrs;

// The op list in its sections. Families are sets, so a pass can ask "is this elementwise?".
export const SOURCE_OPS = ["input", "param", "state", "const", "dropout_mask", "dim_size"] as const;
export const UNARY_OPS = ["neg", "exp", "log", "sqrt", "abs", "sign", "step", "relu", "leaky_relu", "sigmoid", "tanh", "softplus"] as const;
export const BINARY_OPS = ["add", "sub", "mul", "div", "maximum", "eq"] as const;
export const REDUCE_OPS = ["sum", "mean", "max"] as const;
export const MOVEMENT_OPS = ["reshape", "transpose", "broadcast", "concat", "slice"] as const;
export const OTHER_OPS = [
  "one_hot",
  "argmax",
  "softmax",
  "log_softmax",
  "matmul",
  "conv2d",
  "conv2d_grad_input",
  "conv2d_grad_weight",
  "maxpool2d",
  "maxpool2d_grad",
  "maxpool2d_gather",
  "avgpool2d",
  "avgpool2d_grad",
] as const;

export const ALL_OPS: readonly Op[] = [
  ...SOURCE_OPS,
  ...UNARY_OPS,
  ...BINARY_OPS,
  ...REDUCE_OPS,
  ...MOVEMENT_OPS,
  ...OTHER_OPS,
];

export const ELEMENTWISE_OPS: ReadonlySet<Op> = new Set<Op>([...UNARY_OPS, ...BINARY_OPS]);
export const REDUCTION_OPS: ReadonlySet<Op> = new Set<Op>(REDUCE_OPS);

// Ops whose output does not depend smoothly on their inputs: autodiff gives them no gradient.
export const NON_DIFFERENTIABLE_OPS: ReadonlySet<Op> = new Set<Op>([
  "input",
  "param",
  "state",
  "const",
  "dropout_mask",
  "dim_size",
  "sign",
  "step",
  "eq",
  "one_hot",
  "argmax",
]);
