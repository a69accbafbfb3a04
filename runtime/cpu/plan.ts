// The buffer plan of a CPU program for one set of symbolic-dim bindings: every node's concrete
// shape, its output buffer, and the kernel call that the executor replays on every run.
//
// Buffers of intermediate nodes are shared: when a node's last user has run, its buffer goes back
// to a pool (keyed by exact size) and a later node of the same size takes it. Sources, constants
// and the requested outputs keep buffers of their own. Constants and dim_size depend only on the
// bindings, so they are computed here once, not on every run.

import { concreteShape, type IRNode } from "../../compiler/ir/graph.ts";
import { cpuKernel } from "./kernels.ts";
import { sizeOf, type FloatArray, type KernelCall, type RunEnv } from "./types.ts";

export type ArrayType = Float32ArrayConstructor | Float64ArrayConstructor;

// A source node whose buffer may be replaced by the fed array itself: `slots` are the places in
// later kernel calls that read it.
export interface SourceSlot {
  call: KernelCall;
  slots: { call: KernelCall; index: number }[];
  output: number[]; // positions in the result list that are this node
}

export interface Plan {
  calls: KernelCall[]; // the nodes to run on every run, in order (not sources or constants)
  sources: SourceSlot[];
  results: FloatArray[]; // one buffer per requested output
  bytes: number; // the total size of the buffers this plan allocated
}

const STATIC_OPS = new Set(["const", "dim_size"]);
const SOURCE_OPS = new Set(["input", "param", "state"]);

export function buildPlan(order: IRNode[], outputs: number[], bindings: Record<string, number>, ArrayType: ArrayType, env: RunEnv): Plan {
  // The position in `order` of each node's last user; outputs live past the end.
  const position = new Map<number, number>();
  order.forEach((node, i) => position.set(node.id, i));
  const lastUse = new Map<number, number>();
  order.forEach((node, i) => node.inputs.forEach((input) => lastUse.set(input, i)));
  for (const id of outputs) lastUse.set(id, Infinity);

  const pool = new Map<number, FloatArray[]>();
  const calls = new Map<number, KernelCall>();
  const plan: Plan = { calls: [], sources: [], results: [], bytes: 0 };
  const sourceOf = new Map<number, SourceSlot>();
  const allocate = (size: number): FloatArray => {
    plan.bytes += size * ArrayType.BYTES_PER_ELEMENT;
    return new ArrayType(size);
  };

  order.forEach((node, i) => {
    const outShape = concreteShape(node.shape, bindings);
    const size = sizeOf(outShape);
    const pooled = !STATIC_OPS.has(node.op) && !SOURCE_OPS.has(node.op) && lastUse.get(node.id) !== Infinity;
    const out = (pooled && pool.get(size)?.pop()) || allocate(size);
    const inputs = node.inputs.map((id) => calls.get(id)!.out);
    const call: KernelCall = { node, out, outShape, inputs, inShapes: node.inputs.map((id) => calls.get(id)!.outShape), env };
    calls.set(node.id, call);

    if (STATIC_OPS.has(node.op)) cpuKernel(node.op)(call);
    else if (SOURCE_OPS.has(node.op)) {
      const source: SourceSlot = { call, slots: [], output: [] };
      sourceOf.set(node.id, source);
      plan.sources.push(source);
    } else plan.calls.push(call);
    node.inputs.forEach((id, index) => sourceOf.get(id)?.slots.push({ call, index }));

    // Inputs whose last user this was give their buffers back (after `out` was taken, so a
    // kernel never writes over its own input).
    for (const id of new Set(node.inputs)) {
      const producer = order[position.get(id)!]!;
      if (lastUse.get(id) !== i || STATIC_OPS.has(producer.op) || SOURCE_OPS.has(producer.op)) continue;
      const buffer = calls.get(id)!.out;
      const free = pool.get(buffer.length) ?? [];
      free.push(buffer);
      pool.set(buffer.length, free);
    }
  });

  outputs.forEach((id, k) => {
    plan.results.push(calls.get(id)!.out);
    sourceOf.get(id)?.output.push(k);
  });
  return plan;
}
