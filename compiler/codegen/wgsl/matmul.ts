// Matrix products, op(A)·op(B) with A [M, K] (or [K, M] transposed) and B [K, N] (or [N, K]), in
// three variants that all sum each output in f32 in order of k, as the CPU runtime does:
//   "naive":    one invocation per output element and a plain k loop (mode "element", so it also
//               inlines into an elementwise consumer); runs everywhere;
//   "blocked":  one invocation per block of rows × cols outputs, which loads rows + cols operand
//               elements per k for rows · cols FMAs; no workgroup memory, WebGPU's default limits;
//   "subgroup": the `lanes` invocations of one subgroup compute a block of rows × (cols · lanes)
//               outputs together. Per chunk of `lanes` values of k, each lane loads one element of
//               every row of A and broadcasts it to the others with `subgroupBroadcast`, and loads
//               the B elements of its own columns: rows + cols · lanes loads for rows · cols · lanes
//               FMAs per lane. On a CPU adapter (lavapipe), where every load with a computed
//               address is a scalar loop over the SIMD lanes but a broadcast is one shuffle, this
//               is what makes a matmul fast (bench/README.md has the figures). The lane to
//               broadcast from must be a constant, so the kernel is written for one subgroup
//               size and offered only on adapters whose subgroups have one fixed size.
// Blocked variants are of mode "tile": the body computes its block into `acc` and hands each
// output element to `store(index, value)`, which writes it through the kernel's fused
// elementwise epilogue (bias, activation, several outputs). Operands are functions of a flat index
// (`operand(k)(index)`), so a fused prologue (the backward's g · step(x)) is computed as it is read.
// Bounds are guarded everywhere: a block may hang over the edge of M, N and K.

import type { Shape } from "../../ir/graph.ts";
import { dim } from "./dims.ts";
import type { RootContext, RootKernel } from "./roots.ts";

export type MatmulVariant =
  | { kind: "naive" }
  | { kind: "blocked"; rows: number; cols: number }
  | { kind: "subgroup"; rows: number; cols: number; lanes: number };

export const NAIVE: MatmulVariant = { kind: "naive" };

// Part of the autotuner's cache keys: bump it when a variant's code changes, so cached choices
// made with the old kernels are timed again.
export const MATMUL_KERNELS_VERSION = 2; // 2: indices from local_invocation_id, 4 elements per invocation of a naive kernel

// A stable name for a variant: "naive", "blocked8x4", "subgroup8x2@8".
export function variantName(v: MatmulVariant): string {
  if (v.kind === "naive") return "naive";
  if (v.kind === "blocked") return `blocked${v.rows}x${v.cols}`;
  return `subgroup${v.rows}x${v.cols}@${v.lanes}`;
}

// The variant a name stands for, or null. Blocks hold 1 to 64 accumulators, and a subgroup's
// lanes divide the workgroup of 64.
export function parseVariant(name: string): MatmulVariant | null {
  if (name === "naive") return NAIVE;
  const m = /^(blocked|subgroup)(\d+)x(\d+)(?:@(\d+))?$/.exec(name);
  if (!m || (m[1] === "subgroup") !== (m[4] !== undefined)) return null;
  const [rows, cols, lanes] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 1)];
  if (rows < 1 || cols < 1 || rows * cols > 64 || lanes > 64 || 64 % lanes !== 0) return null;
  return m[1] === "blocked" ? { kind: "blocked", rows, cols } : { kind: "subgroup", rows, cols, lanes };
}

// What an adapter offers: `subgroupSize` when its subgroups have one fixed size (min = max) and the
// device has the `subgroups` feature, else null.
export interface MatmulTarget {
  subgroupSize: number | null;
}

// The variants worth timing on a target, the simplest first. Kept to three: on lavapipe every
// candidate costs a shader compile of 0.3–3 s at its first dispatch. Other block shapes can be
// timed with NNC_MATMUL_CANDIDATES (runtime/webgpu/autotune.ts). On lavapipe, on the MNIST MLP's
// shapes: blocked8x4 beat blocked4x4 by 1.2–2×; subgroup16x2 was within ±15% of subgroup8x2
// (better at K = 256, worse at N = 784) and subgroup16x1, 8x4 and 4x4 were slower.
export function matmulCandidates(target: MatmulTarget): MatmulVariant[] {
  const list: MatmulVariant[] = [NAIVE, { kind: "blocked", rows: 8, cols: 4 }];
  const lanes = target.subgroupSize;
  // The subgroup kernel needs whole subgroups inside a workgroup of 64 invocations.
  if (lanes !== null && lanes >= 4 && lanes <= 64 && 64 % lanes === 0) list.push({ kind: "subgroup", rows: 8, cols: Math.max(1, Math.round(16 / lanes)), lanes });
  return list;
}

export function matmul(ctx: RootContext<"matmul">, variant: MatmulVariant = NAIVE): RootKernel {
  if (variant.kind === "naive") return naive(ctx);
  return variant.kind === "blocked" ? blocked(ctx, variant.rows, variant.cols) : subgroup(ctx, variant.rows, variant.cols, variant.lanes);
}

interface Geometry {
  m: string;
  n: string;
  k: string;
  a: (row: string, kk: string) => string; // A's value at (row, k)
  b: (kk: string, col: string) => string; // B's value at (k, col)
}

function geometry({ node, operand, shapeOf }: RootContext<"matmul">): Geometry {
  const { transposeA, transposeB } = node.attrs;
  const [m, n] = node.shape.map(dim) as [string, string];
  const aShape: Shape = shapeOf(0);
  const k = dim(transposeA ? aShape[0]! : aShape[1]!);
  const a = operand(0);
  const b = operand(1);
  return {
    m,
    n,
    k,
    a: (row, kk) => a(transposeA ? `${kk} * ${m} + ${row}` : `${row} * ${k} + ${kk}`),
    b: (kk, col) => b(transposeB ? `${col} * ${k} + ${kk}` : `${kk} * ${n} + ${col}`),
  };
}

function naive(ctx: RootContext<"matmul">): RootKernel {
  const g = geometry(ctx);
  return {
    mode: "element",
    count: ctx.node.shape,
    body: [
      `let row = i / ${g.n};`,
      `let col = i % ${g.n};`,
      `var acc = 0.0f;`,
      `for (var kk = 0u; kk < ${g.k}; kk++) { acc += ${g.a("row", "kk")} * ${g.b("kk", "col")}; }`,
      `return acc;`,
    ].join("\n  "),
  };
}

// Writes every element of the block that lies inside the output, in one loop, so the epilogue's
// code appears once however large the block.
function storeBlock(ctx: RootContext<"matmul">, g: Geometry, rows: number, cols: number, colOf: (c: string) => string): string[] {
  return [
    `for (var r = 0u; r < ${rows}u; r++) {`,
    `  let row = row0 + r;`,
    `  for (var c = 0u; c < ${cols}u; c++) {`,
    `    let col = ${colOf("c")};`,
    `    if (row < ${g.m} && col < ${g.n}) {`,
    `      let index = row * ${g.n} + col;`,
    `      ${ctx.store("index", `acc[r * ${cols}u + c]`).split("\n").join("\n        ")}`,
    `    }`,
    `  }`,
    `}`,
  ];
}

// One invocation per block of rows × cols. Rows and columns past the edge are clamped for the
// loads (their results are never stored), so the k loop has no branch.
function blocked(ctx: RootContext<"matmul">, rows: number, cols: number): RootKernel {
  const g = geometry(ctx);
  const lines = [
    `let blocks_n = (${g.n} + ${cols - 1}u) / ${cols}u;`,
    `if (t >= ((${g.m} + ${rows - 1}u) / ${rows}u) * blocks_n) { return; }`,
    `let row0 = (t / blocks_n) * ${rows}u;`,
    `let col0 = (t % blocks_n) * ${cols}u;`,
    `var acc: array<f32, ${rows * cols}>;`,
  ];
  for (let r = 0; r < rows; r++) lines.push(`let ar${r} = min(row0 + ${r}u, ${g.m} - 1u);`);
  for (let c = 0; c < cols; c++) lines.push(`let bc${c} = min(col0 + ${c}u, ${g.n} - 1u);`);
  lines.push(`for (var kk = 0u; kk < ${g.k}; kk++) {`);
  for (let r = 0; r < rows; r++) lines.push(`  let a${r} = ${g.a(`ar${r}`, "kk")};`);
  for (let c = 0; c < cols; c++) lines.push(`  let b${c} = ${g.b("kk", `bc${c}`)};`);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) lines.push(`  acc[${r * cols + c}] += a${r} * b${c};`);
  lines.push(`}`);
  lines.push(...storeBlock(ctx, g, rows, cols, (c) => `col0 + ${c}`));
  return { mode: "tile", count: ctx.node.shape, tile: { rows, cols, lanes: 1 }, body: lines.join("\n  ") };
}

// One subgroup of `lanes` invocations per block of rows × (cols · lanes); lane l owns the columns
// col0 + c · lanes + l. Every lane of a subgroup runs the same loop (no early return: subgroup
// operations need uniform control flow), and out-of-range elements read as zero.
function subgroup(ctx: RootContext<"matmul">, rows: number, cols: number, lanes: number): RootKernel {
  const g = geometry(ctx);
  const width = cols * lanes;
  const lines = [
    `let lane = subgroup_lane;`,
    `let blocks_n = (${g.n} + ${width - 1}u) / ${width}u;`,
    `let block = subgroupBroadcast(t, 0u);`,
    `let row0 = (block / blocks_n) * ${rows}u;`,
    `let col0 = (block % blocks_n) * ${width}u;`,
    `var acc: array<f32, ${rows * cols}>;`,
  ];
  for (let r = 0; r < rows; r++) lines.push(`let ar${r} = min(row0 + ${r}u, ${g.m} - 1u);`);
  for (let c = 0; c < cols; c++) lines.push(`let bc${c} = min(col0 + ${c * lanes}u + lane, ${g.n} - 1u);`);
  lines.push(`for (var k0 = 0u; k0 < ${g.k}; k0 += ${lanes}u) {`);
  // This lane's element of A for each row, at k = k0 + lane; zero past K.
  lines.push(`  let kl = min(k0 + lane, ${g.k} - 1u);`);
  lines.push(`  let in_k = k0 + lane < ${g.k};`);
  for (let r = 0; r < rows; r++) lines.push(`  let a${r} = select(0.0f, ${g.a(`ar${r}`, "kl")}, in_k);`);
  // The lane to broadcast from must be a constant, so the chunk is unrolled: `lanes` steps of
  // cols loads, rows broadcasts and rows · cols FMAs.
  for (let j = 0; j < lanes; j++) {
    lines.push(`  {`);
    lines.push(`    let kj = min(k0 + ${j}u, ${g.k} - 1u);`);
    lines.push(`    let in_j = k0 + ${j}u < ${g.k};`);
    for (let c = 0; c < cols; c++) lines.push(`    let b${c} = select(0.0f, ${g.b("kj", `bc${c}`)}, in_j);`);
    for (let r = 0; r < rows; r++) {
      lines.push(`    let s${r} = subgroupBroadcast(a${r}, ${j}u);`);
      for (let c = 0; c < cols; c++) lines.push(`    acc[${r * cols + c}] += s${r} * b${c};`);
    }
    lines.push(`  }`);
  }
  lines.push(`}`);
  lines.push(...storeBlock(ctx, g, rows, cols, (c) => `col0 + ${c} * ${lanes}u + lane`));
  return { mode: "tile", count: ctx.node.shape, tile: { rows, cols: width, lanes }, body: lines.join("\n  "), enables: ["subgroups"] };
}
