// The buffer plan of a CPU program for one set of symbolic-dim bindings: every node's concrete
// shape, its output buffer, and the steps that the executor replays on every run. A step is one
// node's reference kernel or one fused group of elementwise nodes (runtime/cpu/fuse.ts), whose
// members that nobody else reads live only in the group's loop and get no buffer.
//
// Every f32 node's buffer is a float array of the program's precision, every i32 node's an
// Int32Array (runtime/cpu/types.ts arrayTypeOf).
//
// Buffers of intermediate nodes are shared: when a node's last user has run, its buffer goes back
// to a pool (keyed by dtype and exact size) and a later node of the same dtype and size takes it.
// Sources, constants and the requested outputs keep buffers of their own. Constants and dim_size
// depend only on the bindings, so they are computed here once, not on every run.

import { concreteShape, type DType, type IRNode } from "../../compiler/ir/graph.ts";
import { scheduleUnits } from "./fuse.ts";
import { fusedKernel } from "./fused-kernel.ts";
import { cpuKernel } from "./kernels.ts";
import { arrayTypeOf, sizeOf, type FloatArray, type KernelCall, type RunEnv, type TensorArray } from "./types.ts";

// What the executor replays: `inputs` are the arrays the step reads, which the executor may
// replace by fed arrays (see SourceSlot) before `run`.
export interface PlanStep {
  inputs: TensorArray[];
  run(): void;
}

// A source node whose buffer may be replaced by the fed array itself: `slots` are the places in
// later steps that read it.
export interface SourceSlot {
  call: KernelCall;
  slots: { step: PlanStep; index: number }[];
  output: number[]; // positions in the result list that are this node
}

export interface Plan {
  steps: PlanStep[]; // run on every run, in order (not sources or constants)
  sources: SourceSlot[];
  results: TensorArray[]; // one buffer per requested output
  bytes: number; // the total size of the buffers this plan allocated
}

const STATIC_OPS = new Set(["const", "dim_size"]);
const SOURCE_OPS = new Set(["input", "param", "state"]);

export interface PlanOptions {
  precision: "f32" | "f64";
  env: RunEnv;
  fuse: boolean;
}

export function buildPlan(order: IRNode[], outputs: number[], bindings: Record<string, number>, options: PlanOptions): Plan {
  const { precision, env } = options;
  const shapes = new Map(order.map((node) => [node.id, concreteShape(node.shape, bindings)]));
  const sizes = new Map([...shapes].map(([id, shape]) => [id, sizeOf(shape)]));
  const units = scheduleUnits(order, shapes, outputs, options.fuse);
  const producers = new Map(order.map((node) => [node.id, node]));

  // The position in `units` of each node's last reader; outputs live past the end.
  const lastUse = new Map<number, number>();
  const readsOf = units.map((unit) => (unit.kind === "node" ? unit.node.inputs : unit.group.inputs.map((input) => input.id)));
  readsOf.forEach((ids, i) => ids.forEach((id) => lastUse.set(id, i)));
  for (const id of outputs) lastUse.set(id, Infinity);

  const pool = new Map<string, TensorArray[]>();
  const poolKey = (dtype: DType, size: number) => `${dtype}:${size}`;
  const buffers = new Map<number, TensorArray>();
  const plan: Plan = { steps: [], sources: [], results: [], bytes: 0 };
  const sourceOf = new Map<number, SourceSlot>();
  const allocate = (dtype: DType, size: number): TensorArray => {
    const Type = arrayTypeOf(dtype, precision);
    plan.bytes += size * Type.BYTES_PER_ELEMENT;
    return new Type(size);
  };
  // A buffer of its own for sources, constants and outputs, else one from the pool.
  const bufferFor = (node: IRNode): TensorArray => {
    const size = sizes.get(node.id)!;
    const pooled = !STATIC_OPS.has(node.op) && !SOURCE_OPS.has(node.op) && lastUse.get(node.id) !== Infinity;
    const out = (pooled && pool.get(poolKey(node.dtype, size))?.pop()) || allocate(node.dtype, size);
    buffers.set(node.id, out);
    return out;
  };

  units.forEach((unit, i) => {
    let step: PlanStep | null = null;
    if (unit.kind === "node") {
      const node = unit.node;
      const call: KernelCall = {
        node,
        out: bufferFor(node),
        outShape: shapes.get(node.id)!,
        inputs: node.inputs.map((id) => buffers.get(id)!),
        inShapes: node.inputs.map((id) => shapes.get(id)!),
        env,
      };
      const kernel = cpuKernel(node.op);
      if (STATIC_OPS.has(node.op)) kernel(call);
      else if (SOURCE_OPS.has(node.op)) {
        const source: SourceSlot = { call, slots: [], output: [] };
        sourceOf.set(node.id, source);
        plan.sources.push(source);
      } else step = { inputs: call.inputs, run: () => kernel(call) };
    } else {
      const { group } = unit;
      // Fused groups compute in floats only (runtime/cpu/fuse.ts keeps i32 nodes out of them).
      const outs = group.outputs.map((id) => bufferFor(producers.get(id)!) as FloatArray);
      const inputs = group.inputs.map((input) => buffers.get(input.id)!);
      const kernel = fusedKernel(group, precision);
      step = { inputs, run: () => kernel(inputs, outs) };
    }
    if (step) {
      plan.steps.push(step);
      readsOf[i]!.forEach((id, index) => sourceOf.get(id)?.slots.push({ step: step!, index }));
    }

    // Inputs whose last reader this was give their buffers back (after the outputs were taken,
    // so a step never writes over its own input).
    for (const id of new Set(readsOf[i])) {
      const producer = producers.get(id)!;
      if (lastUse.get(id) !== i || STATIC_OPS.has(producer.op) || SOURCE_OPS.has(producer.op)) continue;
      const buffer = buffers.get(id)!;
      const key = poolKey(producer.dtype, buffer.length);
      const free = pool.get(key) ?? [];
      free.push(buffer);
      pool.set(key, free);
    }
  });

  outputs.forEach((id, k) => {
    plan.results.push(buffers.get(id)!);
    sourceOf.get(id)?.output.push(k);
  });
  return plan;
}
