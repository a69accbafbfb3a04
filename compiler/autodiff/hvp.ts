// Hessian-vector products by reverse-over-reverse differentiation: H·v = ∇⟨∇f, v⟩. Because the
// gradient is ordinary IR, differentiating it again needs nothing beyond the gradient rules.

import { GraphBuilder, type Graph } from "../ir/graph.ts";
import { gradients } from "./autodiff.ts";

export interface HessianVectorProduct {
  vectors: number[]; // one `input` node per wrt entry, named `v:<param name or node id>`
  products: number[]; // products[i] is (H·v) for wrt[i], with wrt[i]'s shape
  gradients: number[]; // gradients[i] is ∂f/∂wrt[i], which the products differentiate
}

// Extends `graph` in place. The vectors are fed at run time like any input (by their names).
export function hessianVectorProduct(graph: Graph, of: number, wrt: number[]): HessianVectorProduct {
  const grads = gradients(graph, of, wrt);
  const b = GraphBuilder.extend(graph);
  b.span = null;
  const vectors = wrt.map((w) => {
    const node = b.node(w);
    const param = graph.params.find((p) => p.node === w);
    const name = param ? param.name : node.op === "param" ? (node.attrs as { name: string }).name : String(w);
    return b.source("input", { name: `v:${name}` }, node.shape);
  });
  let dot: number | null = null;
  grads.forEach((g, i) => {
    const product = b.binary("mul", g, vectors[i]!);
    const rank = b.node(product).shape.length;
    const term = rank === 0 ? product : b.sum(product, [...Array(rank).keys()], false);
    dot = dot === null ? term : b.binary("add", dot, term);
  });
  const products = dot === null ? [] : gradients(graph, dot, wrt);
  return { vectors, products, gradients: grads };
}
