// Finite-difference checks of whole expressions shaped like what the lowering builds: layers,
// losses, regularizers, batch norm, conv nets, maxout, concat/slice and dropout.

import { describe, expect, it } from "vitest";
import type { GraphBuilder } from "../../compiler/ir/graph.ts";
import { awayFromZero, Case, gradcheck, positive, type Generator } from "./check.ts";

const B = 4;
const TOLERANCE = 1e-6;
const plusMinusOne: Generator = (rng) => (rng.uniform() < 0.5 ? -1 : 1);
const bit: Generator = (rng) => (rng.uniform() < 0.5 ? 0 : 1);

// x · Wᵀ + b with a PyTorch-layout weight [out, in].
function dense(c: Case, x: number, name: string, inputs: number, units: number, bias = true): number {
  const w = c.param(`${name}.weight`, [units, inputs]);
  const y = c.b.matmul(x, w, false, true);
  return bias ? c.b.binary("add", y, c.param(`${name}.bias`, [units])) : y;
}

// −mean(Σ one_hot(y) · log_softmax(z), axis 1), as the lowering writes cross-entropy.
function crossEntropy(b: GraphBuilder, logits: number, labels: number, classes: number): number {
  const picked = b.sum(b.binary("mul", b.add("one_hot", [labels], { classes }), b.add("log_softmax", [logits], { axis: 1 })), [1]);
  return b.unary("neg", b.mean(picked, [0]));
}

function params(c: Case): number[] {
  return c.b.graph.nodes.filter((n) => n.op === "param").map((n) => n.id);
}

function expectGradientsMatch(c: Case, loss: number, wrt = params(c)): void {
  const { maxError, worst } = gradcheck(c, loss, wrt);
  expect(maxError, worst).toBeLessThan(TOLERANCE);
}

describe("composite gradients match finite differences", () => {
  it("dense + relu + softmax cross-entropy", () => {
    const c = new Case();
    const x = c.input("x", ["B", 4], [B, 4]);
    const y = c.labels("y", ["B"], [B], 3);
    const h = c.b.unary("relu", dense(c, x, "h1", 4, 5));
    expectGradientsMatch(c, crossEntropy(c.b, dense(c, h, "out", 5, 3), y, 3));
  });

  it("binary cross-entropy with logits: mean(softplus(z) − z·y)", () => {
    const c = new Case();
    const x = c.input("x", ["B", 3], [B, 3]);
    const t = c.input("t", ["B", 1], [B, 1], bit);
    const z = dense(c, x, "out", 3, 1);
    expectGradientsMatch(c, c.b.mean(c.b.binary("sub", c.b.unary("softplus", z), c.b.binary("mul", z, t)), [0, 1]));
  });

  it("mean squared error", () => {
    const c = new Case();
    const x = c.input("x", ["B", 3], [B, 3]);
    const t = c.input("t", ["B", 2], [B, 2]);
    const d = c.b.binary("sub", dense(c, x, "out", 3, 2), t);
    expectGradientsMatch(c, c.b.mean(c.b.binary("mul", d, d), [0, 1]));
  });

  it("hinge mean(relu(1 − y·s)) and perceptron mean(relu(−y·s))", () => {
    for (const margin of [1, 0]) {
      const c = new Case();
      const x = c.input("x", ["B", 3], [B, 3], awayFromZero);
      const t = c.input("t", ["B", 1], [B, 1], plusMinusOne);
      const ys = c.b.binary("mul", t, dense(c, x, "out", 3, 1));
      expectGradientsMatch(c, c.b.mean(c.b.unary("relu", c.b.binary("sub", c.b.constant(margin), ys)), [0, 1]));
    }
  });

  it("l2 (λ/2·Σw²) and l1 (λ·Σ|w|) regularizers added to a data loss", () => {
    const c = new Case();
    const x = c.input("x", ["B", 3], [B, 3]);
    const w = c.param("w", [2, 3], awayFromZero);
    const data = c.b.mean(c.b.matmul(x, w, false, true), [0, 1]);
    const l2 = c.b.scale(c.b.sum(c.b.binary("mul", w, w), [0, 1]), 1e-2 / 2);
    const l1 = c.b.scale(c.b.sum(c.b.unary("abs", w), [0, 1]), 1e-3);
    expectGradientsMatch(c, c.b.binary("add", data, c.b.binary("add", l2, l1)));
  });

  // Training-mode batch norm: biased variance over the batch (and spatial) axes.
  function batchnorm(c: Case, x: number, channels: number, axes: number[], paramShape: number[]): number {
    const b = c.b;
    const mu = b.mean(x, axes, true);
    const centered = b.binary("sub", x, mu);
    const variance = b.mean(b.binary("mul", centered, centered), axes, true);
    const normalized = b.binary("div", centered, b.unary("sqrt", b.binary("add", variance, b.constant(1e-5))));
    const gamma = b.reshape(c.param("bn.weight", [channels], positive), paramShape);
    const beta = b.reshape(c.param("bn.bias", [channels]), paramShape);
    return b.binary("add", b.binary("mul", normalized, gamma), beta);
  }
  it("batch norm on [B, C]", () => {
    const c = new Case();
    const x = c.input("x", ["B", 3], [B, 3]);
    const y = batchnorm(c, x, 3, [0], [3]);
    expectGradientsMatch(c, c.probe(y), [x, ...params(c)]);
  });
  it("batch norm on [B, C, H, W]", () => {
    const c = new Case();
    const x = c.input("x", ["B", 2, 3, 3], [2, 2, 3, 3]);
    const y = batchnorm(c, x, 2, [0, 2, 3], [1, 2, 1, 1]);
    expectGradientsMatch(c, c.probe(y), [x, ...params(c)]);
  });

  it("conv2d (stride, padding) + bias + relu + maxpool + avgpool + flatten + dense", () => {
    const c = new Case();
    const b = c.b;
    const x = c.input("x", ["B", 1, 9, 9], [2, 1, 9, 9]);
    const y = c.labels("y", ["B"], [2], 3);
    const conv = b.add("conv2d", [x, c.param("conv.weight", [2, 1, 3, 3])], { stride: [1, 1], padding: [1, 1] });
    const biased = b.binary("add", conv, b.reshape(c.param("conv.bias", [2]), [1, 2, 1, 1]));
    const pooled = b.add("maxpool2d", [b.unary("relu", biased)], { kernel: [3, 3], stride: [2, 2], padding: [1, 1] }); // [B, 2, 5, 5]
    const conv2 = b.add("conv2d", [pooled, c.param("conv2.weight", [3, 2, 2, 2])], { stride: [2, 2], padding: [1, 0] }); // [B, 3, 3, 2]
    const averaged = b.add("avgpool2d", [b.unary("tanh", conv2)], { kernel: [2, 2], stride: [1, 1], padding: [1, 0] }); // [B, 3, 4, 1]
    const flat = b.reshape(averaged, ["B", 12]);
    expectGradientsMatch(c, crossEntropy(b, dense(c, flat, "out", 12, 3), y, 3), [x, ...params(c)]);
  });

  it("maxout: k affine pieces, elementwise max", () => {
    const c = new Case();
    const x = c.input("x", ["B", 4], [B, 4]);
    const pieces = dense(c, x, "m", 4, 3 * 2); // [B, units·k]
    const out = c.b.add("max", [c.b.reshape(pieces, ["B", 3, 2])], { axes: [2], keepdims: false });
    expectGradientsMatch(c, c.probe(out));
  });

  it("concat and slice", () => {
    const c = new Case();
    const x = c.input("x", ["B", 3], [B, 3]);
    const joined = c.b.add("concat", [dense(c, x, "a", 3, 2), c.b.unary("tanh", dense(c, x, "b", 3, 4))], { axis: 1 });
    const left = c.b.add("slice", [joined], { axis: 1, start: 0, end: 3 });
    const right = c.b.add("slice", [joined], { axis: 1, start: 3, end: 6 });
    expectGradientsMatch(c, c.probe(c.b.binary("mul", left, right)), [x, ...params(c)]);
  });

  it("dropout with a fixed generator", () => {
    const c = new Case();
    const x = c.input("x", ["B", 6], [B, 6]);
    const h = c.b.unary("sigmoid", dense(c, x, "h", 6, 8));
    const dropped = c.b.binary("mul", h, c.b.add("dropout_mask", [h], { p: 0.5, key: 1 }));
    expectGradientsMatch(c, c.probe(dense(c, dropped, "out", 8, 2)), [x, ...params(c)]);
  });
});
