// From planned kernels (kernels.ts) to a program: the dispatches that run them, where every value
// lives (layout.ts), and each dispatch's WGSL (emit.ts).
//
//   1. In place: an update of a resident tensor (a parameter, an optimizer slot, a running
//      statistic) is written straight into it when its kernel reads the old value only at the
//      element it writes, and every other kernel that reads the old value can run before it.
//      Those kernels then must run first: the update depends on them. Otherwise the update gets
//      a place of its own and is copied into the tensor after the last dispatch.
//   2. Levels: each kernel runs one level after the last kernel it depends on (for a value it
//      reads, or, for an in-place update, for a value it overwrites).
//   3. Dispatches: the kernels of one level do not depend on each other, so they run as one
//      dispatch (a module whose workgroups are split among them, emit.ts), or as few as the
//      storage-buffer limit and one matmul or convolution per dispatch allow. The optimizer's
//      updates join the backward pass's dispatches, and bias gradients, metrics and the loss
//      ride along with the kernels beside them.
//   4. Places: resident tensors where the backend put them; other values of static shape at
//      fixed offsets of the program's arenas; values of symbolic size in slots shared by
//      liveness over the dispatches.

import { InternalError } from "../../diagnostics/diagnostic.ts";
import { ELEMENTWISE_OPS } from "../../ir/ops.ts";
import { sameShape, type DType, type Graph, type IRNode, type Shape } from "../../ir/graph.ts";
import { emitDispatch, type Storage } from "./emit.ts";
import { readsInputs } from "./expressions.ts";
import { planKernels, type Kernel, type KernelOptions, type KernelPlan, type UniformLayout } from "./kernels.ts";
import { packArenas, shareSlots, type BufferRef, type Place } from "./layout.ts";

export interface ResidentPlace {
  arena: number; // index into the backend's resident arenas
  offset: number; // in elements
}

export interface ProgramSpec {
  read: number[]; // values read back after a run
  updates: { node: number; target: ResidentPlace }[]; // values written into resident tensors
  resident: (source: IRNode) => ResidentPlace | null; // where a param or state source lives, or null to feed it
  maxBindingElements: number; // the largest storage binding, in elements
}

export interface PlannedDispatch {
  kernels: number[]; // indices into `kernels`, in workgroup order
  name: string; // the kernels' names, joined by " | "
  code: string;
  usesDims: boolean; // binding 0 is the `dims` uniform
  bindings: BufferRef[]; // the storage buffers, bound after `dims`
}

export interface ProgramPlan extends KernelPlan {
  dispatches: PlannedDispatch[];
  places: Map<number, Place>; // every materialized value
  arenas: number[]; // the program's own arenas, in elements
  slots: IRNode["shape"][]; // each slot's size
  inPlace: Set<number>; // updates written straight into their resident tensor
  fed: IRNode[]; // sources fed at every run (not resident)
}

// What a device needs to run a program, and nothing of the compiler: plain data (JSON), so a
// generated module can hold it (runtime/webgpu/program.ts runs it).
export interface CompiledProgram {
  uniform: UniformLayout;
  values: CompiledValue[]; // every value with a place: sources, kernel outputs
  dispatches: CompiledDispatch[];
  arenas: number[]; // the program's own arenas, in elements
  slots: Shape[]; // each slot's size
  read: number[]; // values read back after a run
  updates: { node: number; target: ResidentPlace; inPlace: boolean }[];
  kernels: { name: string; outputs: number[]; mode: Kernel["mode"] }[]; // for stats
}

export interface CompiledValue {
  node: number;
  op: string;
  name: string | null; // a source's name (an input's, a parameter's)
  dtype: DType;
  shape: Shape;
  place: Place;
  fed: boolean; // a source uploaded at every run
}

export interface CompiledDispatch {
  name: string;
  code: string;
  usesDims: boolean;
  bindings: BufferRef[];
  kernels: Pick<Kernel, "mode" | "tile" | "count" | "elements">[]; // in workgroup order
}

export function compiledProgram(graph: Graph, plan: ProgramPlan, spec: Pick<ProgramSpec, "read" | "updates">): CompiledProgram {
  const fed = new Set(plan.fed.map((n) => n.id));
  const values = [...plan.places].map(([id, place]): CompiledValue => {
    const node = graph.nodes[id]!;
    const name = SOURCE_OPS.has(node.op) ? (node.attrs as { name: string }).name : null;
    return { node: id, op: node.op, name, dtype: node.dtype, shape: [...node.shape], place, fed: fed.has(id) };
  });
  return {
    uniform: plan.uniform,
    values,
    dispatches: plan.dispatches.map((d) => ({
      name: d.name,
      code: d.code,
      usesDims: d.usesDims,
      bindings: d.bindings,
      kernels: d.kernels.map((k) => {
        const { mode, tile, count, elements } = plan.kernels[k]!;
        return { mode, tile, count, elements };
      }),
    })),
    arenas: plan.arenas,
    slots: plan.slots,
    read: spec.read,
    updates: spec.updates.map((u) => ({ ...u, inPlace: plan.inPlace.has(u.node) })),
    kernels: plan.kernels.map((k) => ({ name: k.name, outputs: k.outputs, mode: k.mode })),
  };
}

const SOURCE_OPS = new Set(["input", "param", "state"]);
const HEAVY_OPS = new Set(["matmul", "conv2d", "conv2d_grad_input", "conv2d_grad_weight"]);

export function planProgram(graph: Graph, spec: ProgramSpec, options: KernelOptions = {}): ProgramPlan {
  const maxBuffers = options.maxStorageBuffers ?? 8;
  const outputs = [...new Set([...spec.read, ...spec.updates.map((u) => u.node)])];
  const plan = planKernels(graph, outputs, options);
  const { kernels, materialized } = plan;
  const writer = new Map<number, number>();
  kernels.forEach((kernel, k) => kernel.outputs.forEach((id) => writer.set(id, k)));
  const deps = kernels.map((kernel, k) => new Set(kernel.reads.map((id) => writer.get(id)).filter((w): w is number => w !== undefined && w !== k)));

  // 1. In place.
  const sources = plan.order.filter((n) => SOURCE_OPS.has(n.op) && materialized.has(n.id));
  const residentOf = new Map(sources.map((n) => [n.id, spec.resident(n)]));
  const key = (p: ResidentPlace) => `${p.arena}:${p.offset}`;
  const sourceAt = new Map(sources.filter((n) => residentOf.get(n.id)).map((n) => [key(residentOf.get(n.id)!), n.id]));
  const inPlace = new Set<number>();
  for (const update of spec.updates) {
    const k = writer.get(update.node);
    if (k === undefined) continue; // a source passed through: copied
    const kernel = kernels[k]!;
    const node = graph.nodes[update.node]!;
    if (kernel.mode !== "element" || !sameShape(kernel.count, node.shape) || spec.read.includes(update.node)) continue;
    const old = sourceAt.get(key(update.target));
    if (old !== undefined) {
      if (spec.read.includes(old) || !kernel.outputs.every((id) => readsAtOwnIndex(graph, graph.nodes[id]!, old, materialized, new Set(kernel.outputs)))) continue;
      const readers = kernels.map((_, r) => r).filter((r) => r !== k && kernels[r]!.reads.includes(old));
      const after = dependents(deps, k);
      if (readers.some((r) => after.has(r))) continue;
      for (const r of readers) deps[k]!.add(r);
    }
    inPlace.add(update.node);
  }

  // 4a. Places that do not depend on the schedule: resident tensors, fed sources, arenas.
  const places = new Map<number, Place>();
  const fed = sources.filter((n) => !residentOf.get(n.id));
  for (const n of sources) {
    const r = residentOf.get(n.id);
    if (r) places.set(n.id, { buffer: { kind: "resident", index: r.arena }, offset: r.offset });
  }
  for (const u of spec.updates) {
    if (inPlace.has(u.node)) places.set(u.node, { buffer: { kind: "resident", index: u.target.arena }, offset: u.target.offset });
  }
  const isStatic = (id: number) => graph.nodes[id]!.shape.every((d) => typeof d === "number");
  const size = (id: number) => (graph.nodes[id]!.shape as number[]).reduce((a, b) => a * b, 1);
  const arenaValues = plan.order.filter((n) => materialized.has(n.id) && !SOURCE_OPS.has(n.op) && !places.has(n.id) && isStatic(n.id)).map((n) => n.id);
  const packed = packArenas(arenaValues.map(size), spec.maxBindingElements);
  arenaValues.forEach((id, i) => places.set(id, { buffer: { kind: "arena", index: packed.places[i]!.arena }, offset: packed.places[i]!.offset }));

  // 2–3. Levels, then dispatches. A value without a place yet has a slot of its own: no two
  // values of one dispatch share a slot (they are all live in it).
  const bufferKey = (id: number) => {
    const p = places.get(id);
    return p ? `${p.buffer.kind}${p.buffer.index}` : `value${id}`;
  };
  const bufferCount = (members: number[]) => new Set(members.flatMap((k) => [...kernels[k]!.reads, ...kernels[k]!.outputs].map(bufferKey))).size;
  // At most one kernel with a matmul or a convolution per dispatch: a driver's compile time grows
  // faster than the module (on lavapipe, two backward matmuls in one module took twice as long to
  // compile as apart, and ran slower), so the big kernels keep modules of their own and the small
  // ones join them.
  const heavy = (k: number) => kernels[k]!.nodes.some((id) => HEAVY_OPS.has(graph.nodes[id]!.op));
  const byLevel: number[][] = [];
  levels(deps).forEach((l, k) => (byLevel[l] ??= []).push(k));
  const groups: number[][] = [];
  for (const level of byLevel) {
    const start = groups.length;
    for (const k of level) {
      const home = groups.slice(start).find((g) => bufferCount([...g, k]) <= maxBuffers && !(heavy(k) && g.some(heavy)));
      if (home) home.push(k);
      else groups.push([k]);
    }
  }

  // 4b. Slots, by liveness over the dispatches.
  const keep = new Set([...spec.read, ...spec.updates.filter((u) => !inPlace.has(u.node)).map((u) => u.node)]);
  const touched = groups.map((g) => ({
    reads: g.flatMap((k) => kernels[k]!.reads).filter((id) => !places.has(id)),
    writes: g.flatMap((k) => kernels[k]!.outputs).filter((id) => !places.has(id)),
  }));
  const { slotOf, slots } = shareSlots(touched, (id) => graph.nodes[id]!.shape, keep, fed.map((n) => n.id));
  for (const [id, slot] of slotOf) places.set(id, { buffer: { kind: "slot", index: slot }, offset: 0 });

    const dispatches = groups.map((members): PlannedDispatch => {
    const bindings: BufferRef[] = [];
    const writable: boolean[] = [];
    const bindingOf = (id: number, writes: boolean) => {
      const place = places.get(id) ?? missing(id);
      let b = bindings.findIndex((r) => r.kind === place.buffer.kind && r.index === place.buffer.index);
      if (b < 0) b = bindings.push(place.buffer) - 1;
      writable[b] ||= writes;
      return { name: `b${b}`, offset: place.offset };
    };
    for (const k of members) for (const id of kernels[k]!.outputs) bindingOf(id, true);
    for (const k of members) for (const id of kernels[k]!.reads) bindingOf(id, false);
    const at = (id: number, index: string) => {
      const { name, offset } = bindingOf(id, false);
      return offset === 0 ? `${name}[${index}]` : `${name}[${offset}u + (${index})]`;
    };
    const storage: Storage = { load: at, ref: at };
    const code = emitDispatch(plan.context, members.map((k) => kernels[k]!), storage, bindings.map((_, b) => ({ name: `b${b}`, writable: writable[b]! })));
    return { kernels: members, name: members.map((k) => kernels[k]!.name).join(" | "), code, usesDims: /\bdims\./.test(code), bindings };
  });
  return { ...plan, dispatches, places, arenas: packed.arenas, slots, inPlace, fed };
}

// Whether `root` (a member of an elementwise kernel) reaches `target` only through same-shape
// elementwise links, so that element i of the kernel reads element i of `target` and no other.
function readsAtOwnIndex(graph: Graph, root: IRNode, target: number, materialized: Set<number>, members: Set<number>): boolean {
  const visit = (n: IRNode): boolean =>
    !readsInputs(n.op) ||
    n.inputs.every((input) => {
      if (input === target) return ELEMENTWISE_OPS.has(n.op) && sameShape(graph.nodes[input]!.shape, n.shape) && sameShape(n.shape, root.shape);
      if (materialized.has(input) && !members.has(input)) return true;
      return visit(graph.nodes[input]!);
    });
  return visit(root);
}

// The kernels that depend on kernel `k`, directly or not.
function dependents(deps: Set<number>[], k: number): Set<number> {
  const users: number[][] = deps.map(() => []);
  deps.forEach((d, j) => d.forEach((x) => users[x]!.push(j)));
  const found = new Set<number>();
  const queue = [k];
  while (queue.length) for (const j of users[queue.pop()!]!) if (!found.has(j)) queue.push(found.add(j) && j);
  return found;
}

// Each kernel's level: 0 for a kernel that depends on none, else one more than its deepest
// dependency (Kahn's order, so a chain of thousands of kernels needs no deep recursion).
function levels(deps: Set<number>[]): number[] {
  const level = deps.map(() => 0);
  const waiting = deps.map((d) => d.size);
  const users: number[][] = deps.map(() => []);
  deps.forEach((d, j) => d.forEach((x) => users[x]!.push(j)));
  const ready = deps.map((_, k) => k).filter((k) => waiting[k] === 0);
  let done = 0;
  while (ready.length) {
    const k = ready.pop()!;
    done++;
    for (const j of users[k]!) {
      level[j] = Math.max(level[j]!, level[k]! + 1);
      if (--waiting[j]! === 0) ready.push(j);
    }
  }
  if (done !== deps.length) throw new InternalError("the kernels of a program depend on each other in a cycle");
  return level;
}

function missing(id: number): never {
  throw new InternalError(`value ${id} has no place on the GPU`);
}
