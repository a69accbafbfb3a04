// How many workgroups of WORKGROUP invocations a kernel covers, as WGSL (for a dispatch's entry
// point, emit.ts) and for a concrete count (for the dispatch, runtime/webgpu/program.ts): the two
// must agree, so they are written side by side. Modes as in roots.ts: an element kernel covers one
// element per invocation, a group kernel one element per workgroup, a tile kernel a 2-D count in
// blocks of tile.rows × tile.cols computed by tile.lanes invocations.

import type { Shape } from "../../ir/graph.ts";
import { dim } from "./dims.ts";

export const WORKGROUP = 64;

export interface KernelCover {
  mode: "element" | "row" | "group" | "tile";
  count: Shape;
  tile?: { rows: number; cols: number; lanes: number };
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
  return `((${elements} + ${WORKGROUP - 1}u) / ${WORKGROUP}u)`;
}

export function workgroups(kernel: Pick<KernelCover, "mode" | "tile">, count: readonly number[]): number {
  const elements = count.reduce((a, b) => a * b, 1);
  if (kernel.mode === "group") return elements;
  if (kernel.mode === "tile") {
    const { rows, cols, lanes } = kernel.tile!;
    const [m, n] = count as [number, number];
    return Math.ceil((Math.ceil(m / rows) * Math.ceil(n / cols) * lanes) / WORKGROUP);
  }
  return Math.ceil(elements / WORKGROUP);
}

// A 2-D grid of at least `total` workgroups, since one dimension holds at most 65,535.
export function workgroupGrid(total: number): [number, number] {
  if (total <= 65535) return [total, 1];
  const y = Math.ceil(total / 65535);
  return [Math.ceil(total / y), y];
}
