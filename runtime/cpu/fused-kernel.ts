// One generated loop for a group of elementwise nodes (runtime/cpu/fuse.ts chooses the groups).
// The loop reads each external input once per element, evaluates every member as a local
// variable and stores only the members that something outside the group reads, so a chain such as
// Adam's update (a dozen ops over every weight) is one pass over memory instead of a dozen.
//
// Each op's expression is the exact formula of its reference kernel in elementwise.ts, evaluated
// in float64 like the reference. In f32 mode every member's value goes through Math.fround, which
// is the rounding the reference applies when it stores the op's result in a Float32Array, so a
// fused group gives the same bits as its nodes run one by one (test/cpu/fusion.test.ts). In f64
// mode nothing is rounded, as the reference's Float64Array stores round nothing. (Every value a
// member reads is float32 in f32 mode: a load from a Float32Array or a rounded member, or an
// integer from an Int32Array of class labels, which only eq reads and which is exact.)
//
// The generated source contains only numbered local names and the templates below; attribute
// values (leaky_relu's slope) are passed in as numbers, never printed into the source.

import type { IRNode } from "../../compiler/ir/graph.ts";
import type { BINARY_OPS, UNARY_OPS } from "../../compiler/ir/ops.ts";
import { broadcastStrides, collapse } from "./elementwise.ts";
import { sizeOf, stridesOf, type FloatArray, type TensorArray } from "./types.ts";

export type ElementwiseOp = (typeof UNARY_OPS)[number] | (typeof BINARY_OPS)[number];

// The expression of one element of an op, from the names of its operands' values (plain local
// names, so a template may repeat them) and `attr`, which names a numeric attribute's value.
type Template = (x: string, y: string, attr: (name: string) => string) => string;

// Mirrors runtime/cpu/elementwise.ts row for row; a missing op fails to type-check.
const TEMPLATES: { [K in ElementwiseOp]: Template } = {
  neg: (x) => `-${x}`,
  exp: (x) => `Math.exp(${x})`,
  log: (x) => `Math.log(${x})`,
  sqrt: (x) => `Math.sqrt(${x})`,
  abs: (x) => `Math.abs(${x})`,
  sign: (x) => `(${x} > 0 ? 1 : ${x} < 0 ? -1 : 0)`,
  step: (x) => `(${x} > 0 ? 1 : 0)`,
  relu: (x) => `(${x} > 0 ? ${x} : 0)`,
  leaky_relu: (x, _, attr) => `(${x} > 0 ? ${x} : ${attr("slope")} * ${x})`,
  // The same two branches as the reference, so exp never overflows.
  sigmoid: (x) => `(${x} >= 0 ? 1 / (1 + Math.exp(-${x})) : sigmoidOfNegative(${x}))`,
  tanh: (x) => `Math.tanh(${x})`,
  softplus: (x) => `((${x} > 0 ? ${x} : 0) + Math.log1p(Math.exp(-Math.abs(${x}))))`,
  add: (x, y) => `${x} + ${y}`,
  sub: (x, y) => `${x} - ${y}`,
  mul: (x, y) => `${x} * ${y}`,
  div: (x, y) => `${x} / ${y}`,
  maximum: (x, y) => `(${x} >= ${y} ? ${x} : ${y})`,
  eq: (x, y) => `(${x} === ${y} ? 1 : 0)`,
};

// Ops whose result is one of their operands or a small integer: from float32 operands they give a
// float32 value, so rounding it would change nothing and is left out.
const EXACT_IN_F32: ReadonlySet<ElementwiseOp> = new Set<ElementwiseOp>(["neg", "abs", "sign", "step", "relu", "maximum", "eq"]);

// σ(x) for x < 0 as the reference computes it: eˣ/(1 + eˣ) with one exp.
function sigmoidOfNegative(v: number): number {
  const e = Math.exp(v);
  return e / (1 + e);
}

// A fused group as the generator needs it: its members in topological order, the shape its loop
// walks, its external inputs and the members it stores, in order. An input is read at the loop's
// index (`each`: it has the group's size), once per run (`once`: one element) or through its
// broadcast strides (`broadcast`).
export interface FusedGroupSpec {
  nodes: IRNode[];
  shape: number[];
  inputs: { id: number; read: "each" | "once" | "broadcast"; shape: number[] }[];
  outputs: number[];
}

// Runs the group: `inputs` and `outputs` in the order of the spec. An input may be i32 (an
// Int32Array of class labels compared by eq); every member, hence every output, is f32.
export type FusedKernel = (inputs: TensorArray[], outputs: FloatArray[]) => void;

// How a group with broadcast inputs walks its shape: as in elementwise.ts `binary`, the shape is
// collapsed, the last collapsed axis is a contiguous row of `n` elements, and an odometer over
// the outer axes (`dims`) moves each broadcast input's row start by its `strides`.
interface RowLayout {
  n: number;
  rows: number;
  dims: number[];
  strides: number[][]; // per broadcast input, its stride along each of `dims`
  index: Int32Array; // the odometer
}

type Generated = (inputs: TensorArray[], outputs: FloatArray[], size: number, attrs: number[], layout: RowLayout | null) => void;

// Generated functions by source text: groups of the same form (every parameter's optimizer update,
// the plans of other batch sizes) share one function, compiled and optimized once.
const generated = new Map<string, Generated>();

export function fusedKernel(spec: FusedGroupSpec, precision: "f32" | "f64"): FusedKernel {
  const size = sizeOf(spec.shape);
  const broadcast = spec.inputs.filter((input) => input.read === "broadcast");
  let layout: RowLayout | null = null;
  let inner: number[] = [];
  if (broadcast.length > 0) {
    const collapsed = collapse(spec.shape, [stridesOf(spec.shape), ...broadcast.map((input) => broadcastStrides(input.shape, spec.shape))]);
    const rank = collapsed.dims.length;
    const n = collapsed.dims[rank - 1]!;
    const strides = collapsed.strides.slice(1);
    layout = { n, rows: n === 0 ? 0 : size / n, dims: collapsed.dims.slice(0, -1), strides: strides.map((s) => s.slice(0, -1)), index: new Int32Array(rank - 1) };
    inner = strides.map((s) => s[rank - 1]!);
  }
  const { source, attrs } = generateSource(spec, precision, inner);
  let fn = generated.get(source);
  if (!fn) {
    fn = new Function("fround", "sigmoidOfNegative", source)(Math.fround, sigmoidOfNegative) as Generated;
    generated.set(source, fn);
  }
  const f = fn;
  return (inputs, outputs) => f(inputs, outputs, size, attrs, layout);
}

// The source of the group's function, and the attribute values it reads from its `attrs` argument.
// `inner` is each broadcast input's stride along the contiguous row (0 or 1), in input order.
export function generateSource(spec: FusedGroupSpec, precision: "f32" | "f64", inner: number[] = []): { source: string; attrs: number[] } {
  const names = new Map<number, string>(); // node id → the local holding its element
  const prologue: string[] = [];
  const perRow: string[] = []; // broadcast inputs constant along a row
  const loads: string[] = [];
  // The odometer's moves of each broadcast input's row start: one step along an axis, and back
  // to the axis's start when it wraps.
  const advance: string[] = [];
  const rewind: string[] = [];
  const rowStarts: string[] = [];
  let b = 0;
  spec.inputs.forEach(({ id, read }, k) => {
    if (read === "once") {
      prologue.push(`const s${k} = inputs[${k}][0];`);
      names.set(id, `s${k}`);
      return;
    }
    prologue.push(`const x${k} = inputs[${k}];`);
    if (read === "each") {
      loads.push(`const a${k} = x${k}[i];`);
      names.set(id, `a${k}`);
      return;
    }
    prologue.push(`const st${k} = layout.strides[${b}];`);
    rowStarts.push(`b${k} = 0`);
    advance.push(`b${k} += st${k}[axis];`);
    rewind.push(`b${k} -= st${k}[axis] * dims[axis];`);
    if (inner[b] === 0) {
      perRow.push(`const r${k} = x${k}[b${k}];`);
      names.set(id, `r${k}`);
    } else {
      loads.push(`const a${k} = x${k}[b${k} + j];`);
      names.set(id, `a${k}`);
    }
    b++;
  });
  const attrs: number[] = [];
  const body: string[] = [];
  spec.nodes.forEach((node, j) => {
    const operand = (k: number) => names.get(node.inputs[k]!) ?? "";
    const attr = (name: string) => {
      prologue.push(`const k${attrs.length} = attrs[${attrs.length}];`);
      attrs.push((node.attrs as Record<string, number>)[name]!);
      return `k${attrs.length - 1}`;
    };
    const expression = TEMPLATES[node.op as ElementwiseOp](operand(0), operand(1), attr);
    const rounded = precision === "f32" && !EXACT_IN_F32.has(node.op as ElementwiseOp);
    body.push(`const t${j} = ${rounded ? `fround(${expression})` : expression};`);
    names.set(node.id, `t${j}`);
  });
  const stores = spec.outputs.map((id, m) => {
    prologue.push(`const o${m} = outputs[${m}];`);
    return `o${m}[i] = ${names.get(id)};`;
  });
  const element = [...loads, ...body, ...stores];
  const loop =
    b === 0
      ? [`for (let i = 0; i < size; i++) {`, ...element.map((line) => `  ${line}`), `}`]
      : [
          // Rows of n elements; i is the element's index in the group's shape.
          `const n = layout.n, rows = layout.rows, dims = layout.dims, index = layout.index;`,
          `index.fill(0);`,
          `let ${rowStarts.join(", ")};`,
          `for (let row = 0, start = 0; row < rows; row++, start += n) {`,
          ...perRow.map((line) => `  ${line}`),
          `  for (let j = 0; j < n; j++) {`,
          `    const i = start + j;`,
          ...element.map((line) => `    ${line}`),
          `  }`,
          `  for (let axis = dims.length - 1; axis >= 0; axis--) {`,
          `    index[axis]++;`,
          ...advance.map((line) => `    ${line}`),
          `    if (index[axis] < dims[axis]) break;`,
          ...rewind.map((line) => `    ${line}`),
          `    index[axis] = 0;`,
          `  }`,
          `}`,
        ];
  const source = [
    `"use strict";`,
    `return function fusedElementwise(inputs, outputs, size, attrs, layout) {`,
    ...prologue.map((line) => `  ${line}`),
    ...loop.map((line) => `  ${line}`),
    `};`,
  ].join("\n");
  return { source, attrs };
}
