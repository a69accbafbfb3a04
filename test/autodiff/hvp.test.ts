// Hessian-vector products (reverse over reverse) against central differences of the gradient:
// H·v ≈ (∇f(θ + εv) − ∇f(θ − εv)) / 2ε.

import { describe, expect, it } from "vitest";
import { gradients } from "../../compiler/autodiff/autodiff.ts";
import { hessianVectorProduct } from "../../compiler/autodiff/hvp.ts";
import { Case, fedArray, uniform } from "./check.ts";
import { Rng } from "../../runtime/rng.ts";

function crossEntropy(c: Case, logits: number, labels: number, classes: number): number {
  const b = c.b;
  const picked = b.sum(b.binary("mul", b.add("one_hot", [labels], { classes }), b.add("log_softmax", [logits], { axis: 1 })), [1]);
  return b.unary("neg", b.mean(picked, [0]));
}

function dense(c: Case, x: number, name: string, inputs: number, units: number): number {
  const y = c.b.matmul(x, c.param(`${name}.weight`, [units, inputs]), false, true);
  return c.b.binary("add", y, c.param(`${name}.bias`, [units]));
}

function checkHvp(c: Case, loss: number): void {
  const wrt = c.b.graph.nodes.filter((n) => n.op === "param").map((n) => n.id);
  const grads = gradients(c.b.graph, loss, wrt);
  const { vectors, products } = hessianVectorProduct(c.b.graph, loss, wrt);
  expect(vectors.map((v) => (c.b.node(v).attrs as { name: string }).name)).toEqual(
    wrt.map((w) => `v:${(c.b.node(w).attrs as { name: string }).name}`),
  );
  const rng = new Rng(11);
  vectors.forEach((v, i) => {
    const size = fedArray(c, wrt[i]!).length;
    c.feeds.inputs[`v:${(c.b.node(wrt[i]!).attrs as { name: string }).name}`] = Float64Array.from({ length: size }, () => uniform(rng, 0));
    expect(c.b.node(v).shape).toEqual(c.b.node(wrt[i]!).shape);
  });
  const hv = c.program(products).run(c.feeds, {}, 1).map((a) => Float64Array.from(a));
  const gradProgram = c.program(grads);
  const eps = 1e-5;
  const shifted = (sign: number) => {
    wrt.forEach((w, i) => {
      const theta = fedArray(c, w);
      const v = c.feeds.inputs[`v:${(c.b.node(w).attrs as { name: string }).name}`]!;
      for (let j = 0; j < theta.length; j++) theta[j] += sign * eps * v[j]!;
    });
    const g = gradProgram.run(c.feeds, {}, 1).map((a) => Float64Array.from(a));
    wrt.forEach((w) => {
      const theta = fedArray(c, w);
      const v = c.feeds.inputs[`v:${(c.b.node(w).attrs as { name: string }).name}`]!;
      for (let j = 0; j < theta.length; j++) theta[j] -= sign * eps * v[j]!;
    });
    return g;
  };
  const up = shifted(1);
  const down = shifted(-1);
  let maxError = 0;
  let norm = 0;
  hv.forEach((h, i) => {
    for (let j = 0; j < h.length; j++) {
      const numeric = (up[i]![j]! - down[i]![j]!) / (2 * eps);
      maxError = Math.max(maxError, Math.abs(h[j]! - numeric) / Math.max(Math.abs(h[j]!), Math.abs(numeric), 1));
      norm = Math.max(norm, Math.abs(h[j]!));
    }
  });
  expect(norm).toBeGreaterThan(1e-3); // the product is not trivially zero
  expect(maxError).toBeLessThan(1e-6);
}

describe("Hessian-vector products", () => {
  it("on a small MLP with softmax cross-entropy", () => {
    const c = new Case();
    const x = c.input("x", ["B", 4], [5, 4]);
    const y = c.labels("y", ["B"], [5], 3);
    const h = c.b.unary("tanh", dense(c, x, "h1", 4, 6));
    const h2 = c.b.unary("softplus", dense(c, h, "h2", 6, 5));
    checkHvp(c, crossEntropy(c, dense(c, h2, "out", 5, 3), y, 3));
  });

  it("on a conv net with pooling", () => {
    const c = new Case();
    const b = c.b;
    const x = c.input("x", ["B", 2, 6, 6], [2, 2, 6, 6]);
    const y = c.labels("y", ["B"], [2], 3);
    const conv = b.add("conv2d", [x, c.param("conv.weight", [3, 2, 3, 3])], { stride: [1, 1], padding: [1, 1] });
    const act = b.unary("sigmoid", b.binary("add", conv, b.reshape(c.param("conv.bias", [3]), [1, 3, 1, 1])));
    const pooled = b.add("maxpool2d", [act], { kernel: [2, 2], stride: [2, 2], padding: [0, 0] }); // [B, 3, 3, 3]
    const conv2 = b.add("conv2d", [pooled, c.param("conv2.weight", [2, 3, 2, 2])], { stride: [1, 1], padding: [0, 0] }); // [B, 2, 2, 2]
    const averaged = b.add("avgpool2d", [b.unary("tanh", conv2)], { kernel: [2, 2], stride: [1, 1], padding: [1, 1] }); // [B, 2, 3, 3]
    checkHvp(c, crossEntropy(c, dense(c, b.reshape(averaged, ["B", 18]), "out", 18, 3), y, 3));
  });
});
