// How many workgroups of WORKGROUP invocations a kernel covers, as WGSL (for a dispatch's entry
// point, emit.ts) and for a concrete count (for the dispatch, runtime/webgpu/program.ts): the two
// must agree, so they are written side by side. Modes as in roots.ts: an element kernel covers
// `elements` elements per invocation (WORKGROUP apart, so a workgroup covers WORKGROUP × elements
// consecutive ones), a row kernel one row per invocation, a group kernel one element per
// workgroup, a tile kernel a 2-D count in blocks of tile.rows × tile.cols computed by tile.lanes
// invocations.

import type { Shape } from "../../ir/graph.ts";
import { dim } from "./dims.ts";

export const WORKGROUP = 64;

// Elements per invocation of an element kernel. Lavapipe spends a fraction of a microsecond
// starting each workgroup: Adam over mnist_mlp's 200,704 first-layer weights ran in 0.80 ms with
// 4 elements per invocation against 1.06–1.17 ms with one (a loop with a bound known only at run
// time, so the compiler does not unroll it: compile time unchanged).
export const ELEMENTS_PER_INVOCATION = 4;

export interface KernelCover {
  mode: "element" | "row" | "group" | "tile";
  count: Shape;
  tile?: { rows: number; cols: number; lanes: number };
  elements?: number; // mode "element": elements per invocation; absent (1) in programs compiled before it existed
}

// The elements one invocation of the kernel covers (1 but in an element kernel that says more).
export function perInvocation(kernel: Pick<KernelCover, "mode" | "elements">): number {
  return kernel.mode === "element" ? (kernel.elements ?? 1) : 1;
}

export function workgroupsWgsl(kernel: KernelCover): string {
  const count = kernel.count.map((d) => (typeof d === "number" ? `${d}u` : dim(d)));
  const elements = count.length ? count.join(" * ") : "1u";
  if (kernel.mode === "group") return `(${elements})`;
  if (kernel.mode === "tile") {
    const { rows, cols, lanes } = kernel.tile!;
    const [m, n] = count as [string, string];
    return `((((${m} + ${rows - 1}u) / ${rows}u) * ((${n} + ${cols - 1}u) / ${cols}u) * ${lanes}u + ${WORKGROUP - 1}u) / ${WORKGROUP}u)`;
  }
  const span = WORKGROUP * perInvocation(kernel);
  return `((${elements} + ${span - 1}u) / ${span}u)`;
}

export function workgroups(kernel: Pick<KernelCover, "mode" | "tile" | "elements">, count: readonly number[]): number {
  const elements = count.reduce((a, b) => a * b, 1);
  if (kernel.mode === "group") return elements;
  if (kernel.mode === "tile") {
    const { rows, cols, lanes } = kernel.tile!;
    const [m, n] = count as [number, number];
    return Math.ceil((Math.ceil(m / rows) * Math.ceil(n / cols) * lanes) / WORKGROUP);
  }
  return Math.ceil(elements / (WORKGROUP * perInvocation(kernel)));
}

// A 2-D grid of at least `total` workgroups, since one dimension holds at most 65,535.
export function workgroupGrid(total: number): [number, number] {
  if (total <= 65535) return [total, 1];
  const y = Math.ceil(total / 65535);
  return [Math.ceil(total / y), y];
}
