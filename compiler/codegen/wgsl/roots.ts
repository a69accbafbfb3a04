// The ops that need a loop per output element (reductions, softmax, matmul, convolution, pooling,
// argmax), one template each. A template gets its operands as WGSL functions of a flat index
// (`operand(k)(index)`), which may load a buffer or compute a fused expression.
//
// Three ways to cover the output:
//   "element": the body is a function of the flat output index `i` that returns the element (it
//              ends with `return`), so the kernel can also be inlined into an elementwise
//              consumer (a matmul with its bias and activation in one kernel);
//   "row":     one invocation per element of `count` (the body sees `i`) that writes several
//              output elements itself (softmax writes a row);
//   "group":   one workgroup of GROUP invocations per element of `count` (the body sees the
//              element `o` and the invocation `lid`), for sums that are long compared with their
//              number of outputs;
//   "tile":    `tile.lanes` invocations per block of tile.rows × tile.cols elements of a 2-D
//              `count` (the body sees the block `t` and, with subgroups, `subgroup_lane`); the
//              body hands each element it computes to `store(index, value)`, which also applies
//              the kernel's fused elementwise epilogue (blocked matmuls, matmul.ts).

import { InternalError } from "../../diagnostics/diagnostic.ts";
import type { IRNode, Shape } from "../../ir/graph.ts";
import type { Op } from "../../ir/ops.ts";
import { normalizeAxis } from "../../ir/shape-rules.ts";
import { dim, product, reindex, strides } from "./dims.ts";
import { matmul, type MatmulVariant } from "./matmul.ts";
import * as image from "./roots-image.ts";

export const GROUP = 64;

export interface RootKernel {
  mode: "element" | "row" | "group" | "tile";
  count: Shape;
  body: string;
  declarations?: string[]; // module-scope WGSL (workgroup memory)
  tile?: Tile; // mode "tile"
  elements?: number; // mode "element": elements per invocation (workgroups.ts), 1 if absent
  enables?: string[]; // WGSL extensions the body needs ("subgroups")
}

// A block of rows × cols output elements that `lanes` invocations compute together.
export interface Tile {
  rows: number;
  cols: number;
  lanes: number;
}

export interface RootContext<K extends Op = Op> {
  node: IRNode<K>;
  operand(k: number): (index: string) => string;
  shapeOf(k: number): Shape;
  // Statements that write output element `index` (a u32 expression) of value `value` (an f32
  // expression), for templates of mode "tile".
  store(index: string, value: string): string;
  // The WGSL reference to element `index` of the kernel's one output, for templates of modes
  // "row" and "group", which write their output themselves.
  output(index: string): string;
  // A module-scope name for this node's helper `name`, unique among every kernel of a dispatch.
  unique(name: string): string;
  // Whether the node is computed inside another kernel (then the template must be of mode
  // "element"), not as a kernel of its own.
  inline: boolean;
  matmul: MatmulVariant; // the variant a matmul node is computed with
}

type Template<K extends Op> = (ctx: RootContext<K>) => RootKernel;

function reduction(kind: "sum" | "mean" | "max"): Template<"sum" | "mean" | "max"> {
  return ({ node, operand, shapeOf, output }) => {
    const inShape = shapeOf(0);
    const axes = node.attrs.axes.map((a) => normalizeAxis(a, inShape.length));
    const own = strides(inShape);
    const keptAxes = inShape.map((_, a) => a).filter((a) => !axes.includes(a));
    const reducedAxes = inShape.map((_, a) => a).filter((a) => axes.includes(a));
    const keptShape = keptAxes.map((a) => inShape[a]!);
    const reducedShape = reducedAxes.map((a) => inShape[a]!);
    const base = reindex("o", keptShape, keptAxes.map((a) => own[a]!));
    const offset = reindex("r", reducedShape, reducedAxes.map((a) => own[a]!));
    const count = product(reducedShape);
    const x = operand(0);
    const max = kind === "max";
    const combine = (acc: string, v: string) => (max ? `select(${acc}, ${v}, ${v} > ${acc})` : `${acc} + ${v}`);
    if (isShortReduction(node as IRNode, inShape)) {
      // Few elements per output: one invocation sums them in order (as the CPU runtime does), so
      // the reduction can also be inlined into its consumer.
      return {
        mode: "element",
        count: keptShape,
        body: [
          `let base = ${reindex("i", keptShape, keptAxes.map((a) => own[a]!))};`,
          `var acc = ${max ? "(-f32_inf())" : "0.0f"};`,
          `for (var r = 0u; r < ${count}; r++) { let v = ${x(`base + ${offset}`)}; acc = ${combine("acc", "v")}; }`,
          `return ${kind === "mean" ? `acc / f32(${count})` : "acc"};`,
        ].join("\n  "),
      };
    }
    const finish = kind === "mean" ? `partial[0] / f32(${count})` : "partial[0]";
    return {
      mode: "group",
      count: keptShape,
      declarations: [`var<workgroup> partial: array<f32, ${GROUP}>;`],
      body: [
        `let base = ${base};`,
        `var acc = ${max ? "(-f32_inf())" : "0.0f"};`,
        `for (var r = lid; r < ${count}; r += ${GROUP}u) {`,
        `  let v = ${x(`base + ${offset}`)};`,
        `  acc = ${combine("acc", "v")};`,
        `}`,
        `partial[lid] = acc;`,
        `workgroupBarrier();`,
        `for (var s = ${GROUP / 2}u; s > 0u; s = s >> 1u) {`,
        `  if (lid < s) { partial[lid] = ${combine("partial[lid]", "partial[lid + s]")}; }`,
        `  workgroupBarrier();`,
        `}`,
        `if (lid == 0u) { ${output("o")} = ${finish}; }`,
      ].join("\n  "),
    };
  };
}

// softmax and log_softmax along one axis, one invocation per row, stable for any magnitude (the
// row's maximum is subtracted before exponentiating), as the CPU runtime computes them.
function softmax(log: boolean): Template<"softmax" | "log_softmax"> {
  return ({ node, operand, output, inline }) => {
    const shape = node.shape;
    const axis = normalizeAxis(node.attrs.axis, shape.length);
    const n = dim(shape[axis]!);
    const inner = product(shape.slice(axis + 1));
    const rows = [...shape.slice(0, axis), ...shape.slice(axis + 1)];
    const x = operand(0);
    const at = "base + j * inner";
    if (inline && isShortSoftmax(node as IRNode)) {
      // A short row (a row of logits) inlined where it is used: each element computes its row's
      // maximum and sum itself, in the same order as the CPU runtime. A kernel of its own goes
      // over each row once instead (below), not once per element.
      const value = log ? `${x("i")} - m - log(total)` : `exp(${x("i")} - m) * (1.0f / total)`;
      return {
        mode: "element",
        count: shape,
        body: [
          `let inner = ${inner};`,
          `let base = (i / (inner * ${n})) * ${n} * inner + i % inner;`,
          `var m = (-f32_inf());`,
          `for (var j = 0u; j < ${n}; j++) { let v = ${x(at)}; m = select(m, v, v > m); }`,
          `var total = 0.0f;`,
          `for (var j = 0u; j < ${n}; j++) { total += exp(${x(at)} - m); }`,
          `return ${value};`,
        ].join("\n  "),
      };
    }
    return {
      mode: "row",
      count: rows,
      body: [
        `let inner = ${inner};`,
        `let base = (i / inner) * ${n} * inner + i % inner;`,
        `var m = (-f32_inf());`,
        `for (var j = 0u; j < ${n}; j++) { let v = ${x(at)}; m = select(m, v, v > m); }`,
        `var total = 0.0f;`,
        `for (var j = 0u; j < ${n}; j++) { total += exp(${x(at)} - m); }`,
        log
          ? `let log_total = log(total);\n  for (var j = 0u; j < ${n}; j++) { ${output(at)} = ${x(at)} - m - log_total; }`
          : `let scale = 1.0f / total;\n  for (var j = 0u; j < ${n}; j++) { ${output(at)} = exp(${x(at)} - m) * scale; }`,
      ].join("\n  "),
    };
  };
}

// The first largest element along an axis, one invocation per output element.
const argmax: Template<"argmax"> = ({ node, operand, shapeOf }) => {
  const shape = shapeOf(0);
  const axis = normalizeAxis(node.attrs.axis, shape.length);
  const n = dim(shape[axis]!);
  const inner = product(shape.slice(axis + 1));
  const x = operand(0);
  return {
    mode: "element",
    count: node.shape,
    body: [
      `let inner = ${inner};`,
      `let base = (i / inner) * ${n} * inner + i % inner;`,
      `var best = 0u;`,
      `var best_value = ${x("base")};`,
      `for (var j = 1u; j < ${n}; j++) { let v = ${x("base + j * inner")}; if (v > best_value) { best_value = v; best = j; } }`,
      `return f32(best);`,
    ].join("\n  "),
  };
};

export const ROOTS: { [K in Op]?: Template<K> } = {
  argmax,
  conv2d: image.conv2d,
  conv2d_grad_input: image.conv2dGradInput,
  conv2d_grad_weight: image.conv2dGradWeight,
  maxpool2d: image.maxpool2d,
  maxpool2d_grad: image.maxpool2dGrad,
  maxpool2d_gather: image.maxpool2dGather,
  avgpool2d: image.avgpool2d,
  avgpool2d_grad: image.avgpool2dGrad,
  sum: reduction("sum"),
  mean: reduction("mean"),
  max: reduction("max"),
  softmax: softmax(false),
  log_softmax: softmax(true),
  matmul: (ctx) => matmul(ctx, ctx.matmul),
};

export function rootTemplate<K extends Op>(op: K): Template<K> {
  const template = ROOTS[op] as Template<K> | undefined;
  if (!template) throw new InternalError(`the WebGPU backend has no kernel for ${op} yet`);
  return template;
}

export function hasRoot(op: Op): boolean {
  return ROOTS[op] !== undefined;
}

// Ops whose template is of mode "element" whatever the node (for matmul: in its naive variant, and
// a blocked variant takes the consumer in as its epilogue): they can be inlined into an
// elementwise consumer.
// A reduction over at most this many elements per output, all of static size, is computed by one
// invocation (mode "element") rather than a workgroup.
const SHORT_REDUCTION = 32;

export function isShortReduction(node: IRNode, inputShape: Shape): boolean {
  if (node.op !== "sum" && node.op !== "mean" && node.op !== "max") return false;
  const axes = (node.attrs as { axes: number[] }).axes.map((a) => normalizeAxis(a, inputShape.length));
  let size = 1;
  for (const a of axes) {
    const d = inputShape[a];
    if (typeof d !== "number") return false;
    size *= d;
  }
  return size <= SHORT_REDUCTION;
}

// A softmax along an axis of at most SHORT_REDUCTION static elements is computed per element
// (mode "element"), each element going over its row.
export function isShortSoftmax(node: IRNode): boolean {
  if (node.op !== "softmax" && node.op !== "log_softmax") return false;
  const d = node.shape[normalizeAxis((node.attrs as { axis: number }).axis, node.shape.length)];
  return typeof d === "number" && d <= SHORT_REDUCTION;
}

// Whether a loop op is computed one output element per invocation (and so can be inlined into an
// elementwise consumer): the ops of ELEMENT_ROOTS, short reductions and short softmaxes.
export function isElementRoot(node: IRNode, inputShape: Shape): boolean {
  return ELEMENT_ROOTS.has(node.op) || isShortReduction(node, inputShape) || isShortSoftmax(node);
}

export const ELEMENT_ROOTS: ReadonlySet<Op> = new Set<Op>([
  "matmul",
  "argmax",
  "conv2d",
  "conv2d_grad_input",
  "maxpool2d",
  "maxpool2d_grad",
  "maxpool2d_gather",
  "avgpool2d",
  "avgpool2d_grad",
]);

