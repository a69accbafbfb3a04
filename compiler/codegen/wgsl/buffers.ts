// Which buffer each kernel output lives in. Buffers are shared by liveness: once the last kernel
// that reads a value has run, its buffer goes back to a pool (by exact size) and a later kernel's
// output of the same size takes it. A kernel's outputs are placed before its inputs are released,
// so no kernel ever binds one buffer for reading and for writing. Values the host reads back or
// copies into resident tensors after the last kernel keep buffers of their own.

import type { KernelPlan } from "./kernels.ts";

export interface BufferSharing {
  slotOf: Map<number, number>; // node → buffer slot
  slotBytes: number[]; // each slot's size
}

export function shareBuffers(plan: Pick<KernelPlan, "kernels">, keep: ReadonlySet<number>, bytesOf: (node: number) => number): BufferSharing {
  const lastRead = new Map<number, number>();
  plan.kernels.forEach((kernel, k) => kernel.reads.forEach((id) => lastRead.set(id, k)));
  const slotOf = new Map<number, number>();
  const slotBytes: number[] = [];
  const pool = new Map<number, number[]>(); // bytes → free slots
  plan.kernels.forEach((kernel, k) => {
    for (const id of kernel.outputs) {
      const bytes = bytesOf(id);
      const free = keep.has(id) ? undefined : pool.get(bytes)?.pop();
      if (free !== undefined) slotOf.set(id, free);
      else {
        slotOf.set(id, slotBytes.length);
        slotBytes.push(bytes);
      }
    }
    for (const id of new Set(kernel.reads)) {
      const slot = slotOf.get(id);
      // Sources (parameters, inputs) are not kernel outputs, so they have no slot here.
      if (slot === undefined || keep.has(id) || lastRead.get(id) !== k) continue;
      const bytes = slotBytes[slot]!;
      pool.set(bytes, [...(pool.get(bytes) ?? []), slot]);
    }
  });
  return { slotOf, slotBytes };
}
