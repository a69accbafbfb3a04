// End-to-end training of the examples on the CPU runtime, on subsets or with fewer epochs so the
// suite stays quick, with thresholds that still prove learning. `npm run verify-examples` trains
// them in full and prints the figures recorded in the README.

import { describe, expect, it } from "vitest";
import { smallMnist, trainExample } from "./train-helpers.ts";

describe("examples train on the CPU runtime", () => {
  it("mnist_mlp learns digits from a 3,000-digit subset", async () => {
    const { summary } = await trainExample("examples/mnist_mlp.nn", (c) => ({ ...smallMnist()(c), epochs: 3 }));
    expect(summary.test!.accuracy).toBeGreaterThan(0.88);
    expect(summary.steps).toBe(3 * Math.ceil(3000 / 128));
  });

  it("mnist_cnn learns digits from a small subset", async () => {
    const { summary } = await trainExample("examples/mnist_cnn.nn", (c) => ({ ...smallMnist(1000, 500)(c), epochs: 2 }));
    expect(summary.test!.accuracy).toBeGreaterThan(0.7);
  });

  it("softmax_regression reaches 95% on Iris", async () => {
    const { summary } = await trainExample("examples/softmax_regression.nn");
    expect(summary.test!.accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it("linear_regression recovers the generating weights within 1e-2", async () => {
    const { trainer, trainGraph } = await trainExample("examples/linear_regression.nn");
    const weight = trainer.params[trainGraph.params.findIndex((p) => p.role === "weight")]!;
    const bias = trainer.params[trainGraph.params.findIndex((p) => p.role === "bias")]!;
    expect(Math.abs(weight[0]! - 2)).toBeLessThan(1e-2);
    expect(Math.abs(weight[1]! + 3)).toBeLessThan(1e-2);
    expect(Math.abs(bias[0]! - 0.5)).toBeLessThan(1e-2);
  });

  it("perceptron and svm_hinge separate separable data", async () => {
    for (const file of ["examples/perceptron.nn", "examples/svm_hinge.nn"]) {
      const { summary } = await trainExample(file);
      expect(summary.train.accuracy, file).toBe(1);
      expect(summary.test!.accuracy, file).toBe(1);
    }
  });

  it("lbfgs_logistic converges in fewer iterations than gradient descent on the same data", async () => {
    const lbfgs = await trainExample("examples/lbfgs_logistic.nn");
    const target = lbfgs.summary.train.loss + 1e-3;
    // Full-batch gradient descent on the same model and data: one iteration per epoch.
    const gd = await trainExample("examples/lbfgs_logistic.nn", () => ({
      optimizer: { kind: "sgd", lr: 0.5, momentum: 0, dampening: 0, nesterov: false, weight_decay: 0 },
      epochs: 400,
    }));
    const gdIterations = gd.epochs.findIndex((e) => e.train.loss <= target) + 1 || Infinity;
    expect(lbfgs.summary.lbfgs!.iterations).toBeLessThan(gdIterations);
    expect(lbfgs.summary.lbfgs!.iterations).toBeLessThan(50);
  });

  it("batchnorm_mlp and dropout_mlp train, and evaluate deterministically in eval mode", async () => {
    for (const file of ["examples/batchnorm_mlp.nn", "examples/dropout_mlp.nn"]) {
      const { summary, trainer } = await trainExample(file, (c) => ({ ...smallMnist(2000, 500)(c), epochs: 2, early_stopping: null }));
      expect(summary.test!.accuracy, file).toBeGreaterThan(0.75);
      // Eval mode has no randomness and does not change the running statistics.
      const state = trainer.state.map((s) => s.slice());
      const a = await trainer.predict(new Float32Array(784 * 4).fill(0.5), 4, "prediction");
      const b = await trainer.predict(new Float32Array(784 * 4).fill(0.5), 4, "prediction");
      expect(Array.from(a)).toEqual(Array.from(b));
      trainer.state.forEach((s, i) => expect(Array.from(s)).toEqual(Array.from(state[i]!)));
    }
  });

  it("batch norm's running statistics move away from their initial values in training", async () => {
    const { trainer } = await trainExample("examples/batchnorm_mlp.nn", (c) => ({ ...smallMnist(500, 100)(c), epochs: 1 }));
    const means = trainer.state.filter((_, i) => i % 2 === 0);
    expect(means.some((m) => m.some((v) => v !== 0))).toBe(true);
  });

  it("sigmoid_deep's first-layer gradient is orders of magnitude smaller than its ReLU twin's", async () => {
    const firstLayer = async (file: string) => {
      const { epochs } = await trainExample(file, (c) => ({ ...smallMnist(640, 100)(c), epochs: 1 }), { gradNorms: true });
      const norms = epochs[0]!.gradNorms!;
      return norms[0]!.norm / norms[norms.length - 1]!.norm; // first layer relative to the last
    };
    const sigmoid = await firstLayer("examples/sigmoid_deep.nn");
    const relu = await firstLayer("examples/relu_deep.nn");
    expect(relu / sigmoid).toBeGreaterThan(100);
  });

  it("every other example trains without error and its loss goes down", async () => {
    for (const file of ["examples/logistic_regression.nn", "examples/maxout_mlp.nn", "examples/lasso_regression.nn"]) {
      const { epochs } = await trainExample(file, () => ({ epochs: 5 }));
      expect(epochs[epochs.length - 1]!.train.loss, file).toBeLessThan(epochs[0]!.train.loss);
    }
  });
});
