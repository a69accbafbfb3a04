// Runs a single op (or a small graph) on the CPU runtime for kernel tests.

import { GraphBuilder, type DType, type Shape } from "../../compiler/ir/graph.ts";
import { CpuProgram } from "../../runtime/cpu/executor.ts";
import type { TensorArray } from "../../runtime/cpu/types.ts";
import { Rng } from "../../runtime/rng.ts";

export interface Operand {
  shape: Shape;
  values: ArrayLike<number>;
  dtype?: DType; // f32 unless given; an i32 operand is fed as an Int32Array
}

// Builds `build(builder, inputNodes)`, feeds the operands and returns the output.
export function runOp(
  operands: Operand[],
  build: (b: GraphBuilder, xs: number[]) => number,
  options: { precision?: "f32" | "f64"; bindings?: Record<string, number> } = {},
): { values: number[]; array: TensorArray; shape: Shape } {
  const b = new GraphBuilder("kernel.nn", "train");
  const xs = operands.map((o, i) => b.source("input", { name: `x${i}` }, o.shape, o.dtype));
  const y = build(b, xs);
  const precision = options.precision ?? "f64";
  const Type = precision === "f64" ? Float64Array : Float32Array;
  const inputs: Record<string, TensorArray> = {};
  operands.forEach((o, i) => (inputs[`x${i}`] = o.dtype === "i32" ? Int32Array.from(o.values) : Type.from(o.values)));
  const program = new CpuProgram(b.graph, [y], { precision });
  const array = program.run({ inputs, params: {}, state: {} }, options.bindings ?? {}, 5)[0]!;
  return { values: Array.from(array), array, shape: b.node(y).shape };
}

export const range = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => start + i);

export function randomValues(n: number, seed = 1): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: n }, () => rng.uniform() * 2 - 1);
}
