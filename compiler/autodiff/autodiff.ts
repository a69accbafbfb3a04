// Reverse-mode automatic differentiation as an IR → IR transform: it appends the gradient
// computation to the graph as ordinary nodes, so both backends run it like any other graph and
// the result can be differentiated again.

import { InternalError } from "../diagnostics/diagnostic.ts";
import { cloneGraph, GraphBuilder, formatShape, sameShape, type Graph } from "../ir/graph.ts";
import { zeros } from "./grad-helpers.ts";
import { gradRule } from "./grad-rules.ts";

// Extends `graph` in place with the gradient of the scalar node `of` with respect to each node in
// `wrt`, and returns one gradient node per `wrt` entry (in the same order). A node that `of` does
// not depend on gets a constant of zeros of its shape.
//
// i32 nodes (class labels, argmax) are integers: they get no gradient, and none flows back
// through them (asking for the gradient of or with respect to one is an InternalError).
export function gradients(graph: Graph, of: number, wrt: number[]): number[] {
  const b = GraphBuilder.extend(graph);
  b.span = null;
  const target = b.node(of);
  if (target.shape.length !== 0) throw new InternalError(`gradients of a non-scalar node ${of} ${formatShape(target.shape)}`);
  if (target.dtype !== "f32") throw new InternalError(`gradients of the ${target.dtype} node ${of}`);
  for (const w of wrt) if (b.node(w).dtype !== "f32") throw new InternalError(`a gradient with respect to the ${b.node(w).dtype} node ${w}`);

  // Only nodes on a path from some `wrt` node to `of` need a gradient. Node ids are topological,
  // so one forward sweep finds what depends on `wrt` and one backward sweep what `of` uses.
  const count = of + 1;
  const fromWrt = new Uint8Array(count);
  for (const w of wrt) if (w < count) fromWrt[w] = 1;
  for (let id = 0; id < count; id++) {
    const node = graph.nodes[id]!;
    if (!fromWrt[id] && node.dtype === "f32" && node.inputs.some((i) => fromWrt[i])) fromWrt[id] = 1;
  }
  const relevant = new Uint8Array(count);
  relevant[of] = fromWrt[of]!;
  for (let id = of; id >= 0; id--) {
    if (!relevant[id]) continue;
    for (const i of graph.nodes[id]!.inputs) if (fromWrt[i]) relevant[i] = 1;
  }

  // Walk back from `of`, seeding its gradient with 1. A node used several times sums the
  // gradients its users send it.
  const grads = new Map<number, number>();
  grads.set(of, b.constant(1));
  for (let id = of; id >= 0; id--) {
    const g = grads.get(id);
    if (!relevant[id] || g === undefined) continue;
    const node = graph.nodes[id]!;
    const rule = gradRule(node.op);
    const inputGrads = rule(b, node, g);
    node.inputs.forEach((input, i) => {
      const build = inputGrads[i];
      if (!relevant[input] || !build) return;
      const gi = build();
      const expected = graph.nodes[input]!.shape;
      if (!sameShape(b.node(gi).shape, expected)) {
        throw new InternalError(
          `gradient of ${node.op} for input ${i} has shape ${formatShape(b.node(gi).shape)}, expected ${formatShape(expected)}`,
        );
      }
      const previous = grads.get(input);
      grads.set(input, previous === undefined ? gi : b.binary("add", previous, gi));
    });
  }

  return wrt.map((w) => grads.get(w) ?? zeros(b, graph.nodes[w]!.shape));
}

// The pure form of `gradients`: a new graph (the given one extended on a copy, which is left
// untouched) and the gradient nodes in it. Compiling a step twice from one lowered model gives the
// same graph both times.
export function differentiate(graph: Graph, of: number, wrt: number[]): { graph: Graph; grads: number[] } {
  const copy = cloneGraph(graph);
  return { graph: copy, grads: gradients(copy, of, wrt) };
}
