// Where a program's values live on the GPU. Three kinds of buffer:
//   - resident arenas: the model's tensors (parameters, batch-norm statistics, optimizer slots,
//     metric accumulators), packed one after another into as few buffers as the binding limit
//     allows, owned by the backend and shared by its programs (runtime/webgpu/backend.ts);
//   - the program's own arenas: every other value of static shape (gradients, the loss), packed
//     the same way, each at a fixed offset;
//   - slots: one buffer per value whose size depends on a symbolic dim (the batch's
//     activations), shared by liveness: once the last dispatch that reads a value has run, its
//     slot may take a value of the same size written by a later dispatch.
// Offsets are fixed when the program is planned, so kernels address every value at a constant
// offset into a buffer they bind once, however many values of it they use: packing is what lets
// a dispatch hold many kernels within WebGPU's eight storage buffers.

import type { Shape } from "../../ir/graph.ts";

export type BufferRef = { kind: "resident" | "arena" | "slot"; index: number };

export interface Place {
  buffer: BufferRef;
  offset: number; // in elements
}

// Packs tensors of known sizes (in elements), in order, into arenas of at most `maxElements`.
export function packArenas(sizes: number[], maxElements: number): { places: { arena: number; offset: number }[]; arenas: number[] } {
  const arenas: number[] = [];
  const places = sizes.map((size) => {
    let arena = arenas.length - 1;
    if (arena < 0 || arenas[arena]! + size > maxElements) arena = arenas.push(0) - 1;
    const offset = arenas[arena]!;
    arenas[arena] = offset + size;
    return { arena, offset };
  });
  return { places, arenas };
}

// Slots for values of symbolic size, shared by liveness over a list of dispatches: a dispatch's
// outputs take their slots before the values it reads for the last time give theirs back, so no
// dispatch reads and writes one slot. `keep`: values that need their slot after the last
// dispatch (read back, copied into a resident tensor) or before the first (fed).
export function shareSlots(
  dispatches: { reads: number[]; writes: number[] }[],
  shapeOf: (node: number) => Shape,
  keep: ReadonlySet<number>,
  fed: number[],
): { slotOf: Map<number, number>; slots: Shape[] } {
  const slotOf = new Map<number, number>();
  const slots: Shape[] = [];
  const free = new Map<string, number[]>(); // size key → free slots
  const lastRead = new Map<number, number>();
  dispatches.forEach((d, k) => d.reads.forEach((id) => lastRead.set(id, k)));
  const take = (id: number, shared: boolean) => {
    const key = sizeKey(shapeOf(id));
    const slot = shared ? free.get(key)?.pop() : undefined;
    slotOf.set(id, slot ?? slots.push(shapeOf(id)) - 1);
  };
  for (const id of fed) take(id, false);
  dispatches.forEach((d, k) => {
    for (const id of d.writes) take(id, !keep.has(id));
    for (const id of new Set(d.reads)) {
      const slot = slotOf.get(id);
      if (slot === undefined || keep.has(id) || fed.includes(id) || lastRead.get(id) !== k) continue;
      const key = sizeKey(slots[slot]!);
      free.set(key, [...(free.get(key) ?? []), slot]);
    }
  });
  return { slotOf, slots };
}

// Shapes with the same key have the same number of elements whatever the symbolic dims: "256·B".
function sizeKey(shape: Shape): string {
  let constant = 1;
  const symbols: string[] = [];
  for (const d of shape) {
    if (typeof d === "number") constant *= d;
    else symbols.push(d);
  }
  return [constant, ...symbols.sort()].join("·");
}
