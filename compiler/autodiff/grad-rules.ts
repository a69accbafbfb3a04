// The gradient rule of every IR op: given the node and the gradient g of the loss with respect
// to the node's output, the gradient with respect to each input (a vector-Jacobian product),
// built from IR ops only, so every gradient can be differentiated again (Hessian-vector products).
//
// A rule returns one entry per input: a function that builds that input's gradient, or null when
// the input gets none. Building lazily means autodiff only adds the gradients it needs (no
// gradient for the data fed to a dense layer, only for its weight). Every built gradient has
// exactly the input's shape; autodiff checks that.

import type { IRNode } from "../ir/graph.ts";
import { GraphBuilder } from "../ir/graph.ts";
import type { Op } from "../ir/ops.ts";
import { normalizeAxis } from "../ir/shape-rules.ts";
import { toKeptShape, unbroadcast, zeros } from "./grad-helpers.ts";

export type InputGrad = (() => number) | null;
export type GradRule<K extends Op> = (b: GraphBuilder, node: IRNode<K>, g: number) => InputGrad[];

// Ops in NON_DIFFERENTIABLE_OPS: sources, random masks, comparisons, sign and step.
const none = (): InputGrad[] => [];

const shapeOf = (b: GraphBuilder, id: number) => b.node(id).shape;

// g times a factor with the output's shape: the rule of every elementwise unary op.
function times(b: GraphBuilder, g: number, factor: () => number): InputGrad[] {
  return [() => b.binary("mul", g, factor())];
}

export const GRAD_RULES: { [K in Op]: GradRule<K> } = {
  input: none,
  param: none,
  state: none,
  const: none,
  dropout_mask: none,
  dim_size: none,

  neg: (b, _n, g) => [() => b.unary("neg", g)],
  exp: (b, n, g) => times(b, g, () => n.id), // d exp(x) = exp(x)
  log: (b, n, g) => [() => b.binary("div", g, n.inputs[0]!)], // d log(x) = 1/x
  sqrt: (b, n, g) => [() => b.binary("div", g, b.scale(n.id, 2))], // d √x = 1/(2√x)
  abs: (b, n, g) => times(b, g, () => b.unary("sign", n.inputs[0]!)),
  sign: none,
  step: none,
  relu: (b, n, g) => times(b, g, () => b.unary("step", n.inputs[0]!)),
  // 1 where x > 0, else slope: step(x)·(1 − slope) + slope.
  leaky_relu: (b, n, g) =>
    times(b, g, () => b.binary("add", b.scale(b.unary("step", n.inputs[0]!), 1 - n.attrs.slope), b.constant(n.attrs.slope))),
  sigmoid: (b, n, g) => times(b, g, () => b.binary("mul", n.id, b.binary("sub", b.constant(1), n.id))), // σ(1 − σ)
  tanh: (b, n, g) => times(b, g, () => b.binary("sub", b.constant(1), b.binary("mul", n.id, n.id))), // 1 − tanh²
  softplus: (b, n, g) => times(b, g, () => b.unary("sigmoid", n.inputs[0]!)), // d log(1 + eˣ) = σ(x)

  add: (b, n, g) => {
    const [x, y] = n.inputs as [number, number];
    return [() => unbroadcast(b, g, shapeOf(b, x)), () => unbroadcast(b, g, shapeOf(b, y))];
  },
  sub: (b, n, g) => {
    const [x, y] = n.inputs as [number, number];
    return [() => unbroadcast(b, g, shapeOf(b, x)), () => unbroadcast(b, b.unary("neg", g), shapeOf(b, y))];
  },
  mul: (b, n, g) => {
    const [x, y] = n.inputs as [number, number];
    return [() => unbroadcast(b, b.binary("mul", g, y), shapeOf(b, x)), () => unbroadcast(b, b.binary("mul", g, x), shapeOf(b, y))];
  },
  // d(x/y) = dx/y − (x/y)·dy/y, written with the output q = x/y.
  div: (b, n, g) => {
    const [x, y] = n.inputs as [number, number];
    return [
      () => unbroadcast(b, b.binary("div", g, y), shapeOf(b, x)),
      () => unbroadcast(b, b.unary("neg", b.binary("div", b.binary("mul", g, n.id), y)), shapeOf(b, y)),
    ];
  },
  // As PyTorch: the larger operand takes the gradient, and a tie splits it in halves.
  maximum: (b, n, g) => {
    const [x, y] = n.inputs as [number, number];
    const share = () => b.binary("add", b.unary("step", b.binary("sub", x, y)), b.scale(b.binary("eq", x, y), 0.5));
    return [
      () => unbroadcast(b, b.binary("mul", g, share()), shapeOf(b, x)),
      () => unbroadcast(b, b.binary("mul", g, b.binary("sub", b.constant(1), share())), shapeOf(b, y)),
    ];
  },
  eq: none,
  one_hot: none,
  argmax: none,

  // Each input element contributed once to its sum: broadcast g back over the reduced axes.
  sum: (b, n, g) => {
    const x = n.inputs[0]!;
    return [() => b.broadcastTo(toKeptShape(b, g, shapeOf(b, x), n.attrs.axes), shapeOf(b, x))];
  },
  // As sum, divided by the count, which dim_size reads at run time so symbolic dims work.
  mean: (b, n, g) => {
    const x = n.inputs[0]!;
    return [
      () => {
        const spread = b.broadcastTo(toKeptShape(b, g, shapeOf(b, x), n.attrs.axes), shapeOf(b, x));
        return b.binary("div", spread, b.add("dim_size", [x], { axes: n.attrs.axes }));
      },
    ];
  },
  // The gradient goes to the elements equal to the maximum, split evenly among ties (PyTorch's
  // amax does the same).
  max: (b, n, g) => {
    const x = n.inputs[0]!;
    return [
      () => {
        const axes = n.attrs.axes;
        const mask = b.binary("eq", x, toKeptShape(b, n.id, shapeOf(b, x), axes));
        const count = b.sum(mask, axes, true);
        return b.binary("mul", mask, b.binary("div", toKeptShape(b, g, shapeOf(b, x), axes), count));
      },
    ];
  },
  // y = softmax(x): dx = y·(g − Σ g·y).
  softmax: (b, n, g) => [
    () => {
      const axis = n.attrs.axis;
      const dot = b.sum(b.binary("mul", g, n.id), [axis], true);
      return b.binary("mul", n.id, b.binary("sub", g, dot));
    },
  ],
  // y = log_softmax(x): dx = g − exp(y)·Σ g.
  log_softmax: (b, n, g) => [() => b.binary("sub", g, b.binary("mul", b.unary("exp", n.id), b.sum(g, [n.attrs.axis], true)))],

  reshape: (b, n, g) => [() => b.reshape(g, shapeOf(b, n.inputs[0]!))],
  transpose: (b, n, g) => {
    const inverse: number[] = [];
    n.attrs.perm.forEach((p, i) => (inverse[p] = i));
    return [() => b.add("transpose", [g], { perm: inverse })];
  },
  broadcast: (b, n, g) => [() => unbroadcast(b, g, shapeOf(b, n.inputs[0]!))],
  // Each input gets its own slice of g along the axis.
  concat: (b, n, g) => {
    const axis = normalizeAxis(n.attrs.axis, n.shape.length);
    let start = 0;
    return n.inputs.map((x) => {
      const begin = start;
      const end = begin + (shapeOf(b, x)[axis] as number);
      start = end;
      return () => b.add("slice", [g], { axis, start: begin, end });
    });
  },
  // The inverse of a slice is padding with zeros, built as a concat so it stays inside the op set.
  slice: (b, n, g) => [
    () => {
      const x = shapeOf(b, n.inputs[0]!);
      const axis = normalizeAxis(n.attrs.axis, x.length);
      const pieces: number[] = [];
      const withSize = (size: number) => x.map((d, i) => (i === axis ? size : d));
      if (n.attrs.start > 0) pieces.push(zeros(b, withSize(n.attrs.start)));
      pieces.push(g);
      const after = (x[axis] as number) - n.attrs.end;
      if (after > 0) pieces.push(zeros(b, withSize(after)));
      return pieces.length === 1 ? g : b.add("concat", pieces, { axis });
    },
  ],

  // C = op(A)·op(B); each case picks the product that gives the operand's own layout directly.
  matmul: (b, n, g) => {
    const [x, y] = n.inputs as [number, number];
    const { transposeA: ta, transposeB: tb } = n.attrs;
    if (!ta && !tb) return [() => b.matmul(g, y, false, true), () => b.matmul(x, g, true, false)]; // G·Bᵀ, Aᵀ·G
    if (ta && !tb) return [() => b.matmul(y, g, false, true), () => b.matmul(x, g, false, false)]; // B·Gᵀ, A·G
    if (!ta && tb) return [() => b.matmul(g, y, false, false), () => b.matmul(g, x, true, false)]; // G·B, Gᵀ·A
    return [() => b.matmul(y, g, true, true), () => b.matmul(g, x, true, true)]; // Bᵀ·Gᵀ, Gᵀ·Aᵀ
  },
  // conv2d(x, w), conv2d_grad_input(g, w) and conv2d_grad_weight(x, g) are three faces of one
  // bilinear form ⟨conv2d(x, w), g⟩, so each one's gradient is one of the other two.
  conv2d: (b, n, g) => {
    const [x, w] = n.inputs as [number, number];
    const { stride, padding } = n.attrs;
    return [
      () => b.add("conv2d_grad_input", [g, w], { stride, padding, inputShape: [...shapeOf(b, x)] }),
      () => b.add("conv2d_grad_weight", [x, g], { stride, padding, weightShape: shapeOf(b, w) as number[] }),
    ];
  },
  conv2d_grad_input: (b, n, u) => {
    const [g, w] = n.inputs as [number, number];
    const { stride, padding } = n.attrs;
    return [
      () => b.add("conv2d", [u, w], { stride, padding }),
      () => b.add("conv2d_grad_weight", [u, g], { stride, padding, weightShape: shapeOf(b, w) as number[] }),
    ];
  },
  conv2d_grad_weight: (b, n, u) => {
    const [x, g] = n.inputs as [number, number];
    const { stride, padding } = n.attrs;
    return [
      () => b.add("conv2d_grad_input", [g, u], { stride, padding, inputShape: [...shapeOf(b, x)] }),
      () => b.add("conv2d", [x, u], { stride, padding }),
    ];
  },
  // The argmax of each window is locally constant in x, so x gets no gradient through the choice;
  // maxpool2d_grad (scatter) and maxpool2d_gather are linear in g and v and adjoint to each other.
  maxpool2d: (b, n, g) => [() => b.add("maxpool2d_grad", [n.inputs[0]!, g], { ...n.attrs })],
  maxpool2d_grad: (b, n, u) => [null, () => b.add("maxpool2d_gather", [n.inputs[0]!, u], { ...n.attrs })],
  maxpool2d_gather: (b, n, u) => [null, () => b.add("maxpool2d_grad", [n.inputs[0]!, u], { ...n.attrs })],
  // avgpool2d and avgpool2d_grad are linear and adjoint to each other.
  avgpool2d: (b, n, g) => [() => b.add("avgpool2d_grad", [g], { ...n.attrs, inputShape: [...shapeOf(b, n.inputs[0]!)] })],
  avgpool2d_grad: (b, n, u) => {
    const { kernel, stride, padding } = n.attrs;
    return [() => b.add("avgpool2d", [u], { kernel, stride, padding })];
  },
};

export function gradRule<K extends Op>(op: K): GradRule<K> {
  return GRAD_RULES[op] as GradRule<K>;
}
