// The ops a kernel can compute inline, at any element, from the elements of their inputs:
// elementwise math, constants, dropout masks, one-hot, and the movement ops, which only change
// where an element is read from. Each row renders one node as a WGSL function of the flat output
// index: which index of each input it reads, and how it combines them. A kernel calls these
// functions for the values it needs, so a chain of them fuses into whatever kernel consumes it.

import { InternalError } from "../../diagnostics/diagnostic.ts";
import type { IRNode, Shape } from "../../ir/graph.ts";
import type { Op, OpAttrs } from "../../ir/ops.ts";
import { normalizeAxis } from "../../ir/shape-rules.ts";
import { broadcastStrides, coordinate, product, reindex, strides } from "./dims.ts";
import { f32 } from "./literals.ts";
import { dropThreshold } from "../../../runtime/random.ts";

// How one node is computed at flat index `i`: the body of `fn nID(i: u32) -> f32`. `read(k,
// index)` gives the WGSL expression for input k's value at `index` (memoized into a `let` by the
// caller); `shapeOf(k)` is input k's shape.
export interface ExpressionContext {
  node: IRNode;
  // `direct`: the call itself, evaluated where it stands (for reads inside a branch), not a `let`.
  read(input: number, index: string, direct?: boolean): string;
  shapeOf(input: number): Shape;
}

type Render<K extends Op> = (ctx: ExpressionContext & { node: IRNode<K> }) => string;

const unary = (f: (a: string) => string) => (ctx: ExpressionContext) => `return ${f(ctx.read(0, "i"))};`;
// Reads both operands with numpy broadcasting against the output's shape.
const binary = (f: (a: string, b: string) => string) => (ctx: ExpressionContext) => {
  const at = (k: number) => reindex("i", ctx.node.shape, broadcastStrides(ctx.shapeOf(k), ctx.node.shape));
  return `return ${f(ctx.read(0, at(0)), ctx.read(1, at(1)))};`;
};

export const EXPRESSIONS: { [K in Op]?: Render<K> } = {
  const: ({ node }) => `return ${f32(node.attrs.value)};`,
  // The input only lends its shape.
  dim_size: ({ node, shapeOf }) => {
    const shape = shapeOf(0);
    return `return f32(${product(node.attrs.axes.map((a) => shape[normalizeAxis(a, shape.length)]!))});`;
  },
  // The counter-based generator shared with the CPU runtime (runtime/random.ts): the element's
  // bits depend only on the step's seed, the mask's key and the element's index.
  dropout_mask: ({ node }) => {
    const { p, key } = node.attrs;
    const threshold = dropThreshold(p);
    return `return select(${f32(1 / (1 - p))}, 0.0f, (dropout_bits(dims.seed, ${key >>> 0}u, i) >> 8u) < ${threshold}u);`;
  },

  neg: unary((a) => `-(${a})`),
  exp: unary((a) => `exp(${a})`),
  log: unary((a) => `log(${a})`),
  sqrt: unary((a) => `sqrt(${a})`),
  abs: unary((a) => `abs(${a})`),
  sign: unary((a) => `select(select(0.0f, -1.0f, ${a} < 0.0f), 1.0f, ${a} > 0.0f)`),
  step: unary((a) => `select(0.0f, 1.0f, ${a} > 0.0f)`),
  relu: unary((a) => `select(0.0f, ${a}, ${a} > 0.0f)`),
  leaky_relu: (ctx) => {
    const a = ctx.read(0, "i");
    return `return select(${f32(ctx.node.attrs.slope)} * ${a}, ${a}, ${a} > 0.0f);`;
  },
  sigmoid: unary((a) => `stable_sigmoid(${a})`),
  tanh: unary((a) => `tanh(clamp(${a}, -10.0f, 10.0f))`), // tanh(±10) is ±1 in f32; large inputs overflow some tanh implementations
  softplus: unary((a) => `stable_softplus(${a})`),

  add: binary((a, b) => `${a} + ${b}`),
  sub: binary((a, b) => `${a} - ${b}`),
  mul: binary((a, b) => `${a} * ${b}`),
  div: binary((a, b) => `${a} / ${b}`),
  maximum: binary((a, b) => `select(${b}, ${a}, ${a} >= ${b})`),
  eq: binary((a, b) => `select(0.0f, 1.0f, ${a} == ${b})`),
  // Labels are whole numbers stored as f32; one outside 0..classes-1 gives a row of zeros.
  one_hot: ({ node, read }) => {
    const k = node.attrs.classes;
    return `return select(0.0f, 1.0f, round(${read(0, `i / ${k}u`)}) == f32(i % ${k}u));`;
  },

  reshape: ({ read }) => `return ${read(0, "i")};`,
  broadcast: ({ node, read, shapeOf }) => `return ${read(0, reindex("i", node.shape, broadcastStrides(shapeOf(0), node.shape)))};`,
  // Output axis k is input axis perm[k].
  transpose: ({ node, read, shapeOf }) => {
    const own = strides(shapeOf(0));
    return `return ${read(0, reindex("i", node.shape, node.attrs.perm.map((p) => own[p]!)))};`;
  },
  slice: ({ node, read, shapeOf }) => {
    const inShape = shapeOf(0);
    const axis = normalizeAxis(node.attrs.axis, inShape.length);
    const own = strides(inShape);
    const offset = node.attrs.start === 0 ? "" : ` + ${node.attrs.start}u * ${own[axis]}`;
    return `return ${read(0, `${reindex("i", node.shape, own)}${offset}`)};`;
  },
  // The coordinate along the axis picks the input; the other coordinates carry over.
  concat: ({ node, read, shapeOf }) => {
    const axis = normalizeAxis(node.attrs.axis, node.shape.length);
    const c = coordinate("i", node.shape, axis);
    const lines = [`let c = ${c};`];
    let start = 0;
    node.inputs.forEach((_, k) => {
      const shape = shapeOf(k);
      const size = shape[axis] as number;
      const own = strides(shape);
      // Re-address i in the output as (c − start) along the axis of input k.
      const index = `${reindex("i", node.shape, own.map((s, a) => (a === axis ? "0u" : s)))} + (c - ${start}u) * ${own[axis]}`;
      lines.push(`if (c < ${start + size}u) { return ${read(k, index, true)}; }`);
      start += size;
    });
    lines.push("return 0.0f;");
    return lines.join("\n  ");
  },
};

export function isExpression(op: Op): boolean {
  return EXPRESSIONS[op] !== undefined;
}

// Inputs an expression op does not read (they only give a shape).
export function readsInputs(op: Op): boolean {
  return op !== "dim_size" && op !== "dropout_mask" && op !== "const";
}

export function renderExpression(ctx: ExpressionContext): string {
  const render = EXPRESSIONS[ctx.node.op] as Render<Op> | undefined;
  if (!render) throw new InternalError(`${ctx.node.op} is not an expression op`);
  return render(ctx as ExpressionContext & { node: IRNode<Op> });
}

// Helper functions expressions call, included once in every kernel that needs them.
export const PRELUDE: Record<string, string> = {
  f32_inf: `var<private> f32_inf_bits: u32 = 0x7f800000u;
fn f32_inf() -> f32 { return bitcast<f32>(f32_inf_bits); }`,
  f32_nan: `var<private> f32_nan_bits: u32 = 0x7fc00000u;
fn f32_nan() -> f32 { return bitcast<f32>(f32_nan_bits); }`,
  stable_sigmoid: `fn stable_sigmoid(x: f32) -> f32 {
  if (x >= 0.0f) { return 1.0f / (1.0f + exp(-x)); }
  let e = exp(x);
  return e / (1.0f + e);
}`,
  // log(1 + eˣ) = max(x, 0) + log1p(e^−|x|); log1p by its series where 1 + e would round to 1.
  stable_softplus: `fn stable_softplus(x: f32) -> f32 {
  let e = exp(-abs(x));
  let log1p = select(log(1.0f + e), e * (1.0f - e * (0.5f - e / 3.0f)), e < 1e-4f);
  return max(x, 0.0f) + log1p;
}`,
  // PCG's output permutation (O'Neill), applied to seed, key and index in turn: a counter-based
  // generator, so every element's draw is independent of the order elements are computed in.
  dropout_bits: `fn pcg_hash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn dropout_bits(seed: u32, key: u32, index: u32) -> u32 {
  return pcg_hash(index ^ pcg_hash(key ^ pcg_hash(seed)));
}`,
};
