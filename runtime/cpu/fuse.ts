// Elementwise fusion for the CPU runtime: which nodes of a program run together in one generated
// loop (runtime/cpu/fused-kernel.ts), and the order in which the plan runs the resulting units.
//
// Every elementwise node (compiler/ir/ops.ts ELEMENTWISE_OPS) can be in a group. The members of a
// group all have the same number of elements, hence the same shape up to leading 1s (numpy
// broadcasting cannot expand an operand without growing the result), and the loop walks that shape
// in order. A group's external inputs are read at the loop's index when they have its size, once
// per run when they hold one element, and through their broadcast strides otherwise (a bias row
// added to a batch). Groups are built front to back: a node merges the groups of its inputs that
// have its size, unless the merge would make a group depend on itself through a node outside it.
// Members that nothing outside the group reads and that are not requested are never stored, so
// they get no buffer.
//
// A group runs as one unit, so the plan's order is a topological order of units: each unit runs
// where its last member was, after any unit it reads from that has not run yet.

import { ELEMENTWISE_OPS } from "../../compiler/ir/ops.ts";
import type { IRNode } from "../../compiler/ir/graph.ts";
import type { FusedGroupSpec } from "./fused-kernel.ts";
import { sizeOf } from "./types.ts";

export type Unit = { kind: "node"; node: IRNode } | { kind: "fused"; group: FusedGroupSpec };

// `shapes` gives every node's concrete shape under the plan's bindings. With `fuse` false every
// node is its own unit, in the given order.
export function scheduleUnits(order: IRNode[], shapes: Map<number, number[]>, outputs: readonly number[], fuse: boolean): Unit[] {
  if (!fuse) return order.map((node) => ({ kind: "node", node }));
  const sizes = new Map([...shapes].map(([id, shape]) => [id, sizeOf(shape)]));
  const groupOf = groupElementwise(order, sizes);
  const byId = new Map(order.map((node) => [node.id, node]));

  // Units: one per group of two or more nodes (a lone elementwise node keeps its reference
  // kernel), one per other node.
  const unitOf = new Map<number, Unit>();
  const members = new Map<Unit, IRNode[]>();
  for (const node of order) {
    const group = groupOf.get(node.id);
    if (group && group.length > 1) {
      const first = byId.get(group[0]!)!;
      let unit = unitOf.get(first.id);
      if (!unit) {
        unit = { kind: "fused", group: { nodes: [], inputs: [], outputs: [], shape: [] } };
        members.set(unit, []);
      }
      unitOf.set(node.id, unit);
      members.get(unit)!.push(node);
    } else {
      const unit: Unit = { kind: "node", node };
      unitOf.set(node.id, unit);
      members.set(unit, [node]);
    }
  }

  // Who reads each node from outside its unit, and which members must be stored.
  const requested = new Set(outputs);
  const readOutside = new Set<number>();
  for (const node of order) {
    for (const id of node.inputs) if (unitOf.get(id) !== unitOf.get(node.id)) readOutside.add(id);
  }
  for (const [unit, nodes] of members) {
    if (unit.kind !== "fused") continue;
    const group = unit.group;
    group.nodes = nodes;
    // The members' shape with the most (leading 1) axes, which every broadcast input fits.
    group.shape = nodes.map((n) => shapes.get(n.id)!).reduce((a, b) => (b.length > a.length ? b : a));
    const size = sizeOf(group.shape);
    const inside = new Set(nodes.map((n) => n.id));
    const seen = new Set<number>();
    for (const node of nodes) {
      for (const id of node.inputs) {
        if (inside.has(id) || seen.has(id)) continue;
        seen.add(id);
        const inputSize = sizes.get(id)!;
        const read = inputSize === size ? "each" : inputSize === 1 ? "once" : "broadcast";
        group.inputs.push({ id, read, shape: shapes.get(id)! });
      }
    }
    group.outputs = nodes.filter((n) => readOutside.has(n.id) || requested.has(n.id)).map((n) => n.id);
  }

  // Each unit runs when its last member is reached, after the units it reads that have not run.
  const scheduled: Unit[] = [];
  const done = new Set<Unit>();
  const last = new Map<Unit, number>();
  for (const node of order) last.set(unitOf.get(node.id)!, node.id);
  const visit = (unit: Unit): void => {
    if (done.has(unit)) return;
    done.add(unit);
    for (const node of members.get(unit)!) for (const id of node.inputs) visit(unitOf.get(id)!);
    scheduled.push(unit);
  };
  for (const node of order) {
    const unit = unitOf.get(node.id)!;
    if (last.get(unit) === node.id) visit(unit);
  }
  return scheduled;
}

// Maps each fusible node's id to its group's member ids (the same array for every member), in
// topological order.
function groupElementwise(order: IRNode[], sizes: Map<number, number>): Map<number, number[]> {
  const inputsOf = new Map(order.map((node) => [node.id, node.inputs]));
  const groupOf = new Map<number, number[]>();
  for (const node of order) {
    const size = sizes.get(node.id)!;
    // A group computes in floats; its inputs may be i32 (eq on class labels), its members not.
    if (!ELEMENTWISE_OPS.has(node.op) || node.dtype !== "f32") continue;
    let group = [node.id];
    for (const id of node.inputs) {
      const other = groupOf.get(id);
      if (!other || other === group || sizes.get(id) !== size || group.includes(id)) continue;
      const merged = [...other, ...group];
      if (!dependsOnItself(merged, inputsOf, groupOf)) group = merged;
    }
    group.sort((a, b) => a - b);
    for (const id of group) groupOf.set(id, group);
  }
  return groupOf;
}

// Whether a path leaves `members` and comes back through nodes outside it, with every existing
// group counted as one unit (it runs all at once). Such a merged group could run neither before
// nor after the unit on that path.
function dependsOnItself(members: number[], inputsOf: Map<number, number[]>, groupOf: Map<number, number[]>): boolean {
  const inside = new Set(members);
  const seen = new Set<number>(members);
  const stack = [...members];
  while (stack.length > 0) {
    const id = stack.pop()!;
    for (const input of inputsOf.get(id)!) {
      if (seen.has(input)) {
        if (inside.has(input) && !inside.has(id)) return true;
        continue;
      }
      // The input's unit: a group reads the inputs of all its members.
      for (const member of groupOf.get(input) ?? [input]) {
        if (inside.has(member)) return true;
        if (seen.has(member)) continue;
        seen.add(member);
        stack.push(member);
      }
    }
  }
  return false;
}
