// Op parity: every op the WebGPU backend runs, forward and backward (the gradient ops are ops
// too), against the CPU runtime on random inputs, with sizes that are not multiples of any
// workgroup or tile size.

import { afterAll, describe, expect, it } from "vitest";
import { matmulCandidates, variantName } from "../../compiler/codegen/wgsl/matmul.ts";
import { GraphBuilder, type Shape } from "../../compiler/ir/graph.ts";
import { CpuProgram } from "../../runtime/cpu/executor.ts";
import { Rng } from "../../runtime/rng.ts";
import { createProgram } from "../../runtime/webgpu/compile.ts";
import { testGpu } from "./gpu.ts";

const gpu = await testGpu();
afterAll(() => gpu?.destroy());

interface Case {
  name: string;
  operands: { shape: Shape; values?: (i: number, rng: Rng) => number; dtype?: "i32" }[];
  build(b: GraphBuilder, xs: number[]): number | number[]; // the outputs compared
  bindings?: Record<string, number>;
  tolerance?: number;
  matmul?: string; // force this matmul variant
}

const concrete = (shape: Shape, bindings: Record<string, number>) => shape.map((d) => (typeof d === "number" ? d : bindings[d]!));

async function compare(c: Case): Promise<void> {
  const b = new GraphBuilder("ops.nn", "train");
  const xs = c.operands.map((o, i) => b.source("input", { name: `x${i}` }, o.shape, o.dtype));
  const built = c.build(b, xs);
  const ys = Array.isArray(built) ? built : [built];
  const bindings = c.bindings ?? {};
  const rng = new Rng(11);
  const inputs = Object.fromEntries(
    c.operands.map((o, i) => {
      const n = concrete(o.shape, bindings).reduce((a, d) => a * d, 1);
      const values = Array.from({ length: n }, (_, j) => (o.values ? o.values(j, rng) : rng.uniform() * 4 - 2));
      return [`x${i}`, o.dtype === "i32" ? Int32Array.from(values) : Float32Array.from(values)];
    }),
  );
  const feeds = { inputs, params: {}, state: {} };
  const expected = new CpuProgram(b.graph, ys).run(feeds, bindings, 0);
  const program = await createProgram(gpu!, b.graph, { read: ys, matmul: c.matmul ?? "default" });
  const actual = await program.run(feeds, bindings);
  if (c.matmul) expect(program.tuning!.matmuls.map((m) => m.variant)).toContain(c.matmul);
  program.destroy();
  let worst = 0;
  expected.forEach((values, k) => {
    expect(actual[k]!.length).toBe(values.length);
    for (let i = 0; i < values.length; i++) {
      const e = values[i]!;
      const a = actual[k]![i]!;
      if (Number.isNaN(e) || !Number.isFinite(e)) expect(a).toBe(e);
      else worst = Math.max(worst, Math.abs(a - e) / Math.max(1, Math.abs(e)));
    }
  });
  expect(worst).toBeLessThanOrEqual(c.tolerance ?? 2e-6);
}

const unaryOps = ["neg", "exp", "log", "sqrt", "abs", "sign", "step", "relu", "sigmoid", "tanh", "softplus"] as const;
const positive = (_: number, rng: Rng) => rng.uniform() * 3 + 0.01;
const wide = (_: number, rng: Rng) => (rng.uniform() * 2 - 1) * 60; // reaches where naive formulas overflow

const CASES: Case[] = [
  ...unaryOps.map((op) => ({
    name: `${op}`,
    operands: [{ shape: [37, 5], values: op === "log" || op === "sqrt" ? positive : undefined }],
    build: (b: GraphBuilder, [x]: number[]) => b.unary(op, x!),
  })),
  ...(["sigmoid", "tanh", "softplus"] as const).map((op) => ({
    name: `${op} far from zero`,
    operands: [{ shape: [301], values: wide }],
    build: (b: GraphBuilder, [x]: number[]) => b.unary(op, x!),
    tolerance: 1e-5,
  })),
  { name: "leaky_relu", operands: [{ shape: [67] }], build: (b, [x]) => b.add("leaky_relu", [x!], { slope: 0.1 }) },
  ...(["add", "sub", "mul", "div", "maximum"] as const).map((op) => ({
    name: `${op} with broadcasting [B, 1, 5] ∘ [3, 1]`,
    operands: [{ shape: ["B", 1, 5] as Shape }, { shape: [3, 1] as Shape }],
    build: (b: GraphBuilder, [x, y]: number[]) => b.binary(op, x!, y!),
    bindings: { B: 13 },
  })),
  {
    name: "eq",
    operands: [{ shape: [50], values: (i) => i % 3 }, { shape: [50], values: (i) => i % 2 }],
    build: (b, [x, y]) => b.binary("eq", x!, y!),
  },
  { name: "one_hot", operands: [{ shape: ["B"], values: (i) => (i * 7) % 12 - 1, dtype: "i32" }], build: (b, [x]) => b.add("one_hot", [x!], { classes: 10 }), bindings: { B: 29 } },
  ...[
    { axes: [0], keepdims: false },
    { axes: [1], keepdims: true },
    { axes: [0, 2], keepdims: false },
    { axes: [-1], keepdims: false },
    { axes: [0, 1, 2], keepdims: false },
  ].flatMap((attrs) =>
    (["sum", "mean", "max"] as const).map((op) => ({
      name: `${op} over ${attrs.axes.join(",")} of [B, 7, 130]`,
      operands: [{ shape: ["B", 7, 130] as Shape }],
      build: (b: GraphBuilder, [x]: number[]) => b.add(op, [x!], attrs),
      bindings: { B: 3 },
      tolerance: 1e-5,
    })),
  ),
  // Rows of at most 32 static elements are computed per element (inlined where used), longer or
  // symbolic ones one row per invocation.
  ...(["softmax", "log_softmax"] as const).flatMap((op) =>
    [0, 1, -1].map((axis) => ({
      name: `${op} along ${axis} of [B, 11, 3]`,
      operands: [{ shape: ["B", 11, 3] as Shape, values: wide }],
      build: (b: GraphBuilder, [x]: number[]) => b.add(op, [x!], { axis }),
      bindings: { B: 5 },
      tolerance: 1e-5,
    })),
  ),
  ...(["softmax", "log_softmax"] as const).map((op) => ({
    name: `${op} along a row of 7, inlined into its consumer`,
    operands: [{ shape: ["B", 7] as Shape, values: wide }],
    build: (b: GraphBuilder, [x]: number[]) => b.binary("mul", b.add(op, [x!], { axis: 1 }), x!),
    bindings: { B: 9 },
    tolerance: 1e-5,
  })),
  ...(["softmax", "log_softmax"] as const).map((op) => ({
    name: `${op} along a row of 40, then doubled`,
    operands: [{ shape: [3, 40] as Shape, values: wide }],
    build: (b: GraphBuilder, [x]: number[]) => b.binary("add", b.add(op, [x!], { axis: 1 }), b.add(op, [x!], { axis: 1 })),
    tolerance: 1e-5,
  })),
  { name: "reshape", operands: [{ shape: [6, 35] }], build: (b, [x]) => b.reshape(x!, [5, 42]) },
  { name: "transpose", operands: [{ shape: [3, 5, 7] }], build: (b, [x]) => b.add("transpose", [x!], { perm: [2, 0, 1] }) },
  { name: "broadcast", operands: [{ shape: [5, 1] }], build: (b, [x]) => b.broadcastTo(x!, [3, 5, 9]) },
  { name: "concat", operands: [{ shape: ["B", 3] }, { shape: ["B", 5] }, { shape: ["B", 1] }], build: (b, xs) => b.add("concat", xs, { axis: 1 }), bindings: { B: 7 } },
  { name: "slice", operands: [{ shape: [4, 9, 5] }], build: (b, [x]) => b.add("slice", [x!], { axis: 1, start: 2, end: 7 }) },
  { name: "dim_size", operands: [{ shape: ["B", 6] }], build: (b, [x]) => b.add("dim_size", [x!], { axes: [0, 1] }), bindings: { B: 9 } },
  ...([[false, false], [true, false], [false, true], [true, true]] as const).map(([ta, tb]) => ({
    name: `matmul ${ta ? "Aᵀ" : "A"}·${tb ? "Bᵀ" : "B"} 67×131×33`,
    operands: [{ shape: ta ? [131, 67] : [67, 131] }, { shape: tb ? [33, 131] : [131, 33] }] as Case["operands"],
    build: (b: GraphBuilder, [x, y]: number[]) => b.matmul(x!, y!, ta, tb),
    tolerance: 1e-5,
  })),
  {
    name: "a fused chain: relu(matmul(x, wᵀ) + bias) · 2 − mean",
    operands: [{ shape: ["B", 19] }, { shape: [23, 19] }, { shape: [23] }],
    build: (b, [x, w, bias]) => {
      const h = b.unary("relu", b.binary("add", b.matmul(x!, w!, false, true), bias!));
      return b.binary("sub", b.scale(h, 2), b.mean(h, [0, 1]));
    },
    bindings: { B: 17 },
    tolerance: 1e-5,
  },
];

describe.skipIf(!gpu)("WebGPU ops against the CPU runtime", () => {
  for (const c of CASES) it(c.name, () => compare(c));
});

// Every matmul variant the adapter offers, forced: odd sizes that fill no block, all four
// transposes, a symbolic batch dim, an operand computed in the kernel (the backward's g · step(x),
// read through a function) and a fused epilogue with several outputs.
const variants = gpu ? matmulCandidates({ subgroupSize: gpu.adapter.subgroupSize }).map(variantName) : [];
const MATMUL_CASES: Case[] = [
  ...([[false, false], [true, false], [false, true], [true, true]] as const).map(([ta, tb]) => ({
    name: `${ta ? "Aᵀ" : "A"}·${tb ? "Bᵀ" : "B"} 67×131×33`,
    operands: [{ shape: ta ? [131, 67] : [67, 131] }, { shape: tb ? [33, 131] : [131, 33] }] as Case["operands"],
    build: (b: GraphBuilder, [x, y]: number[]) => b.matmul(x!, y!, ta, tb),
    tolerance: 1e-5,
  })),
  { name: "1×1 from K = 3", operands: [{ shape: [1, 3] }, { shape: [3, 1] }], build: (b, [x, y]) => b.matmul(x!, y!, false, false) },
  {
    name: "symbolic batch, bias and relu fused, two outputs: [B, 37]·[29, 37]ᵀ",
    operands: [{ shape: ["B", 37] }, { shape: [29, 37] }, { shape: [29] }],
    build: (b, [x, w, bias]) => {
      const h = b.binary("add", b.matmul(x!, w!, false, true), bias!);
      return [h, b.unary("relu", h)];
    },
    bindings: { B: 21 },
    tolerance: 1e-5,
  },
  {
    name: "prologue g · step(x) read as an operand, times Wᵀ: [B, 13]·[13, 45] (Aᵀ·G too)",
    operands: [{ shape: ["B", 13] }, { shape: ["B", 13] }, { shape: [13, 45] }, { shape: ["B", 45] }],
    build: (b, [g, x, w, h]) => {
      const d = b.binary("mul", g!, b.unary("step", x!));
      return [b.matmul(d, w!, false, false), b.matmul(b.binary("mul", g!, b.unary("step", x!)), h!, true, false)];
    },
    bindings: { B: 19 },
    tolerance: 1e-5,
  },
];

describe.skipIf(!gpu)("every matmul variant against the CPU runtime", () => {
  for (const variant of variants) for (const c of MATMUL_CASES) it(`${variant}: ${c.name}`, () => compare({ ...c, matmul: variant }));
});

// Convolution and pooling, forward and their gradient ops, with strides, padding and sizes that
// leave partial windows.
const geometries = [
  { stride: [1, 1] as [number, number], padding: [0, 0] as [number, number], kernel: 3 },
  { stride: [2, 1] as [number, number], padding: [1, 2] as [number, number], kernel: 3 },
  { stride: [2, 2] as [number, number], padding: [1, 1] as [number, number], kernel: 2 },
];
const IMAGE_CASES: Case[] = geometries.flatMap(({ stride, padding, kernel }) => {
  const tag = `k${kernel} s${stride.join("×")} p${padding.join("×")}`;
  const out = (size: number, axis: 0 | 1) => Math.floor((size + 2 * padding[axis] - kernel) / stride[axis]) + 1;
  const [h, w] = [9, 8];
  const [oh, ow] = [out(h, 0), out(w, 1)];
  const pool = { kernel: [kernel, kernel] as [number, number], stride, padding: [Math.min(padding[0], kernel >> 1), Math.min(padding[1], kernel >> 1)] as [number, number] };
  const [ph, pw] = [Math.floor((h + 2 * pool.padding[0] - kernel) / stride[0]) + 1, Math.floor((w + 2 * pool.padding[1] - kernel) / stride[1]) + 1];
  // Few distinct values, so max pooling meets ties.
  const ties = (_: number, rng: Rng) => Math.floor(rng.uniform() * 4);
  return [
    { name: `conv2d ${tag}`, operands: [{ shape: ["B", 3, h, w] }, { shape: [5, 3, kernel, kernel] }], build: (b, [x, wt]) => b.add("conv2d", [x!, wt!], { stride, padding }), bindings: { B: 2 }, tolerance: 1e-5 },
    {
      name: `conv2d_grad_input ${tag}`,
      operands: [{ shape: ["B", 5, oh, ow] }, { shape: [5, 3, kernel, kernel] }],
      build: (b, [g, wt]) => b.add("conv2d_grad_input", [g!, wt!], { stride, padding, inputShape: ["B", 3, h, w] }),
      bindings: { B: 2 },
      tolerance: 1e-5,
    },
    {
      name: `conv2d_grad_weight ${tag}`,
      operands: [{ shape: ["B", 3, h, w] }, { shape: ["B", 5, oh, ow] }],
      build: (b, [x, g]) => b.add("conv2d_grad_weight", [x!, g!], { stride, padding, weightShape: [5, 3, kernel, kernel] }),
      bindings: { B: 3 },
      tolerance: 1e-5,
    },
    { name: `maxpool2d ${tag}`, operands: [{ shape: ["B", 2, h, w], values: ties }], build: (b, [x]) => b.add("maxpool2d", [x!], pool), bindings: { B: 3 } },
    {
      name: `maxpool2d_grad ${tag}`,
      operands: [{ shape: ["B", 2, h, w], values: ties }, { shape: ["B", 2, ph, pw] }],
      build: (b, [x, g]) => b.add("maxpool2d_grad", [x!, g!], pool),
      bindings: { B: 3 },
    },
    {
      name: `maxpool2d_gather ${tag}`,
      operands: [{ shape: ["B", 2, h, w], values: ties }, { shape: ["B", 2, h, w] }],
      build: (b, [x, v]) => b.add("maxpool2d_gather", [x!, v!], pool),
      bindings: { B: 3 },
    },
    { name: `avgpool2d ${tag}`, operands: [{ shape: ["B", 2, h, w] }], build: (b, [x]) => b.add("avgpool2d", [x!], pool), bindings: { B: 3 } },
    {
      name: `avgpool2d_grad ${tag}`,
      operands: [{ shape: ["B", 2, ph, pw] }],
      build: (b, [g]) => b.add("avgpool2d_grad", [g!], { ...pool, inputShape: ["B", 2, h, w] }),
      bindings: { B: 3 },
    },
  ] satisfies Case[];
});

describe.skipIf(!gpu)("WebGPU convolution and pooling against the CPU runtime", () => {
  for (const c of IMAGE_CASES) it(c.name, () => compare(c));
});

describe.skipIf(!gpu)("WebGPU argmax against the CPU runtime", () => {
  for (const axis of [0, 1, -1]) {
    it(`argmax along ${axis}, with ties`, () =>
      compare({ name: "", operands: [{ shape: ["B", 6, 5], values: (_, rng) => rng.int(3) }], build: (b, [x]) => b.add("argmax", [x!], { axis }), bindings: { B: 7 } }));
  }
});
