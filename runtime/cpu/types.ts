// The types every CPU kernel shares. Kernels are generic over the array type so one definition
// runs in float32 (training) and in float64 (gradient checks). i32 nodes (class labels, argmax)
// live in Int32Array in both, so their values are exact whatever the precision.

import type { DType, IRNode } from "../../compiler/ir/graph.ts";
import type { Op } from "../../compiler/ir/ops.ts";

export type FloatArray = Float32Array | Float64Array;
// The buffer of any node: a FloatArray for an f32 node, an Int32Array for an i32 node.
export type TensorArray = FloatArray | Int32Array;

// The array type that holds a node of `dtype` at a program's precision.
export function arrayTypeOf(dtype: DType, precision: "f32" | "f64"): Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor {
  return dtype === "i32" ? Int32Array : precision === "f64" ? Float64Array : Float32Array;
}

// Inputs are fed in their node's array type (class labels as Int32Array); parameters and state
// are always f32.
export interface Feeds {
  inputs: Record<string, TensorArray>;
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
  out: TensorArray;
  outShape: number[];
  inputs: TensorArray[];
  inShapes: number[][];
  env: RunEnv;
}

// A call whose output and inputs are all f32: every op but the few that take or give i32 (the
// shape rules in compiler/ir/shape-rules.ts guarantee it, so kernels.ts views such calls this way).
export type FloatCall<K extends Op = Op> = KernelCall<K> & { out: FloatArray; inputs: FloatArray[] };

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
