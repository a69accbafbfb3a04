// The types every CPU kernel shares. Kernels are generic over the array type so one definition
// runs in float32 (training) and in float64 (gradient checks).

import type { IRNode } from "../../compiler/ir/graph.ts";
import type { Op } from "../../compiler/ir/ops.ts";

export type FloatArray = Float32Array | Float64Array;

export interface Feeds {
  inputs: Record<string, FloatArray>;
  params: Record<string, FloatArray>;
  state: Record<string, FloatArray>;
}

// What changes from one run to the next; the executor updates one shared object per run.
export interface RunEnv {
  feeds: Feeds;
  seed: number; // the dropout seed of this run (runtime/random.ts)
}

// One call of a kernel: the node, its output buffer and shape, its input buffers and shapes. The
// executor builds these once per buffer plan and reuses them every run, so a kernel never
// allocates per step. `out` never aliases an input.
export interface KernelCall<K extends Op = Op> {
  node: IRNode<K>;
  out: FloatArray;
  outShape: number[];
  inputs: FloatArray[];
  inShapes: number[][];
  env: RunEnv;
}

export type CpuKernel<K extends Op> = (call: KernelCall<K>) => void;

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

// Row-major strides of a shape.
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}
