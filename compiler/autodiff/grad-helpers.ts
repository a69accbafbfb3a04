// Small IR-building helpers shared by the gradient rules. Each builds ordinary IR ops, so a
// gradient made with them can itself be differentiated.

import { GraphBuilder, sameShape, type Shape } from "../ir/graph.ts";
import { normalizeAxis } from "../ir/shape-rules.ts";

// Sums a gradient of a broadcast result back to the shape of the operand that was broadcast:
// leading axes the operand lacked, and axes where the operand had size 1, are summed away, and
// the result is reshaped to the operand's shape (which restores its size-1 axes).
export function unbroadcast(b: GraphBuilder, g: number, target: Shape): number {
  const from = b.node(g).shape;
  if (sameShape(from, target)) return g;
  const lead = from.length - target.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) {
    if (i < lead || (target[i - lead] === 1 && from[i] !== 1)) axes.push(i);
  }
  const summed = axes.length > 0 ? b.sum(g, axes, false) : g;
  return sameShape(b.node(summed).shape, target) ? summed : b.reshape(summed, target);
}

// The shape a reduction over `axes` has when it keeps its reduced axes as size 1.
export function keptShape(shape: Shape, axes: number[]): Shape {
  const normalized = axes.map((a) => normalizeAxis(a, shape.length));
  return shape.map((d, i) => (normalized.includes(i) ? 1 : d));
}

// Reshapes a reduction's result (or its gradient) to the kept-dims shape, so it broadcasts
// against the reduction's input.
export function toKeptShape(b: GraphBuilder, y: number, inputShape: Shape, axes: number[]): number {
  const kept = keptShape(inputShape, axes);
  return sameShape(b.node(y).shape, kept) ? y : b.reshape(y, kept);
}

// A tensor of zeros with the given shape (symbolic dims are filled in when the graph runs).
export function zeros(b: GraphBuilder, shape: Shape): number {
  return b.source("const", { value: 0 }, shape);
}
