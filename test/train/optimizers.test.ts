// The first-order optimizers against torch.optim's documented update rules. Every expected value
// is written out as scalar arithmetic from those rules, step by step, never by calling the code
// under test; the run uses a fixed sequence of gradients so the arithmetic stays readable.

import { describe, expect, it } from "vitest";
import type { OptimizerConfig } from "../../compiler/ir/config.ts";
import { createOptimizer, LbfgsOptimizer, type Optimizer } from "../../runtime/train/optimizers/index.ts";

type FirstOrder = Exclude<OptimizerConfig, { kind: "lbfgs" }>;

const sgd = (o: Partial<Extract<FirstOrder, { kind: "sgd" }>> = {}): FirstOrder => ({ kind: "sgd", lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weight_decay: 0, ...o });
const adagrad = (o: Partial<Extract<FirstOrder, { kind: "adagrad" }>> = {}): FirstOrder => ({ kind: "adagrad", lr: 0.1, lr_decay: 0, eps: 1e-10, weight_decay: 0, initial_accumulator_value: 0, ...o });
const rmsprop = (o: Partial<Extract<FirstOrder, { kind: "rmsprop" }>> = {}): FirstOrder => ({ kind: "rmsprop", lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false, weight_decay: 0, ...o });
const adam = (o: Partial<Extract<FirstOrder, { kind: "adam" }>> = {}): FirstOrder => ({ kind: "adam", lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, amsgrad: false, ...o });
const adamw = (o: Partial<Extract<FirstOrder, { kind: "adamw" }>> = {}): FirstOrder => ({ kind: "adamw", lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.1, amsgrad: false, ...o });

// Three steps on θ = [1, −2] with these gradients (two elements, one parameter tensor).
const START = [1, -2];
const GRADS = [
  [0.5, -1],
  [0.25, 2],
  [-1, 0.5],
];

// θ after each step.
function run(config: FirstOrder, grads = GRADS, start = START, lrs?: number[]): number[][] {
  const optimizer = createOptimizer(config, [start.length]);
  const param = Float32Array.from(start);
  return grads.map((g, k) => {
    optimizer.step([param], [Float32Array.from(g)], lrs?.[k] ?? config.lr);
    return Array.from(param);
  });
}

// Float32 storage rounds each stored value, so compare to a relative 1e-6.
function expectClose(actual: number[][], expected: number[][]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((row, k) =>
    row.forEach((value, i) => {
      const want = expected[k]![i]!;
      expect(Math.abs(value - want), `step ${k + 1}, element ${i}: ${value} vs ${want}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
    }),
  );
}

describe("SGD", () => {
  it("takes plain gradient steps θ ← θ − lr·g", () => {
    expectClose(run(sgd()), [
      [1 - 0.1 * 0.5, -2 - 0.1 * -1],
      [0.95 - 0.1 * 0.25, -1.9 - 0.1 * 2],
      [0.925 - 0.1 * -1, -2.1 - 0.1 * 0.5],
    ]);
  });

  it("starts the momentum buffer at the first gradient, then b ← μb + g", () => {
    // Element 0: b = 0.5, 0.9·0.5 + 0.25 = 0.7, 0.9·0.7 − 1 = −0.37.
    // Element 1: b = −1, 0.9·−1 + 2 = 1.1, 0.9·1.1 + 0.5 = 1.49.
    expectClose(run(sgd({ momentum: 0.9 })), [
      [1 - 0.05, -2 + 0.1],
      [0.95 - 0.07, -1.9 - 0.11],
      [0.88 + 0.037, -2.01 - 0.149],
    ]);
  });

  it("applies dampening from the second step only", () => {
    // b1 = g1 (undamped); b2 = 0.9·b1 + 0.5·g2; b3 = 0.9·b2 + 0.5·g3.
    const b0 = [0.5, 0.9 * 0.5 + 0.5 * 0.25, 0.9 * (0.9 * 0.5 + 0.5 * 0.25) + 0.5 * -1];
    const b1 = [-1, 0.9 * -1 + 0.5 * 2, 0.9 * (0.9 * -1 + 0.5 * 2) + 0.5 * 0.5];
    expectClose(run(sgd({ momentum: 0.9, dampening: 0.5 })), [
      [1 - 0.1 * b0[0]!, -2 - 0.1 * b1[0]!],
      [1 - 0.1 * (b0[0]! + b0[1]!), -2 - 0.1 * (b1[0]! + b1[1]!)],
      [1 - 0.1 * (b0[0]! + b0[1]! + b0[2]!), -2 - 0.1 * (b1[0]! + b1[1]! + b1[2]!)],
    ]);
  });

  it("uses g + μb for Nesterov momentum", () => {
    // Buffers as in the momentum test; steps use g + 0.9·b.
    // Element 0: 0.5 + 0.45 = 0.95, 0.25 + 0.63 = 0.88, −1 − 0.333 = −1.333.
    // Element 1: −1 − 0.9 = −1.9, 2 + 0.99 = 2.99, 0.5 + 1.341 = 1.841.
    expectClose(run(sgd({ momentum: 0.9, nesterov: true })), [
      [1 - 0.095, -2 + 0.19],
      [0.905 - 0.088, -1.81 - 0.299],
      [0.817 + 0.1333, -2.109 - 0.1841],
    ]);
  });

  it("adds λθ to the gradient before the momentum buffer (weight_decay)", () => {
    const expected: number[][] = [];
    const theta = [1, -2];
    const buffer = [0, 0];
    GRADS.forEach((g, k) => {
      for (let i = 0; i < 2; i++) {
        const decayed = g[i]! + 0.01 * theta[i]!;
        buffer[i] = k === 0 ? decayed : 0.9 * buffer[i]! + decayed;
        theta[i] = theta[i]! - 0.1 * buffer[i]!;
      }
      expected.push([...theta]);
    });
    // Spelled out for step 1, element 1: g = −1 + 0.01·−2 = −1.02, θ = −2 + 0.102.
    expect(expected[0]![1]).toBeCloseTo(-1.898, 12);
    expectClose(run(sgd({ momentum: 0.9, weight_decay: 0.01 })), expected);
  });

  it("uses the learning rate passed to each step", () => {
    expectClose(run(sgd(), GRADS, START, [0.1, 0.2, 0.3]), [
      [1 - 0.05, -2 + 0.1],
      [0.95 - 0.05, -1.9 - 0.4],
      [0.9 + 0.3, -2.3 - 0.15],
    ]);
  });
});

describe("AdaGrad", () => {
  it("divides by the root of the summed squared gradients", () => {
    const s0 = [0.25, 0.25 + 0.0625, 0.25 + 0.0625 + 1];
    const s1 = [1, 1 + 4, 1 + 4 + 0.25];
    const e = 1e-10;
    const t1 = [1 - (0.1 * 0.5) / (Math.sqrt(s0[0]!) + e), -2 - (0.1 * -1) / (Math.sqrt(s1[0]!) + e)];
    const t2 = [t1[0]! - (0.1 * 0.25) / (Math.sqrt(s0[1]!) + e), t1[1]! - (0.1 * 2) / (Math.sqrt(s1[1]!) + e)];
    const t3 = [t2[0]! - (0.1 * -1) / (Math.sqrt(s0[2]!) + e), t2[1]! - (0.1 * 0.5) / (Math.sqrt(s1[2]!) + e)];
    // The first step moves each element by exactly lr (g/|g|).
    expect(t1[0]).toBeCloseTo(0.9, 9);
    expect(t1[1]).toBeCloseTo(-1.9, 9);
    expectClose(run(adagrad()), [t1, t2, t3]);
  });

  it("decays the learning rate as lr/(1 + (t−1)·lr_decay) and starts the sum at initial_accumulator_value", () => {
    const clr = [0.1 / (1 + 0 * 0.5), 0.1 / (1 + 1 * 0.5), 0.1 / (1 + 2 * 0.5)];
    const s0 = [0.2 + 0.25, 0.2 + 0.25 + 0.0625, 0.2 + 0.25 + 0.0625 + 1];
    const s1 = [0.2 + 1, 0.2 + 1 + 4, 0.2 + 1 + 4 + 0.25];
    const e = 1e-10;
    const t1 = [1 - (clr[0]! * 0.5) / (Math.sqrt(s0[0]!) + e), -2 - (clr[0]! * -1) / (Math.sqrt(s1[0]!) + e)];
    const t2 = [t1[0]! - (clr[1]! * 0.25) / (Math.sqrt(s0[1]!) + e), t1[1]! - (clr[1]! * 2) / (Math.sqrt(s1[1]!) + e)];
    const t3 = [t2[0]! - (clr[2]! * -1) / (Math.sqrt(s0[2]!) + e), t2[1]! - (clr[2]! * 0.5) / (Math.sqrt(s1[2]!) + e)];
    expectClose(run(adagrad({ lr_decay: 0.5, initial_accumulator_value: 0.2 })), [t1, t2, t3]);
  });

  it("adds λθ to the gradient (weight_decay)", () => {
    // One step, element 0: g = 0.5 + 0.1·1 = 0.6, s = 0.36, θ = 1 − 0.1·0.6/0.6.
    // Element 1: g = −1 + 0.1·−2 = −1.2, s = 1.44, θ = −2 + 0.1·1.2/1.2.
    expectClose(run(adagrad({ weight_decay: 0.1 }), [GRADS[0]!]), [[0.9, -1.9]]);
    // Two steps, element 0: θ1 = 0.9, g2 = 0.25 + 0.09 = 0.34, s = 0.36 + 0.1156.
    const theta2 = 0.9 - (0.1 * 0.34) / (Math.sqrt(0.36 + 0.1156) + 1e-10);
    expect(run(adagrad({ weight_decay: 0.1 }), GRADS.slice(0, 2))[1]![0]).toBeCloseTo(theta2, 6);
  });
});

describe("RMSProp", () => {
  const a = 0.99;
  const e = 1e-8;
  const lr = 0.01;

  it("divides by the root of a running mean of squared gradients", () => {
    const expected: number[][] = [];
    const theta = [1, -2];
    const v = [0, 0];
    for (const g of GRADS) {
      for (let i = 0; i < 2; i++) {
        v[i] = a * v[i]! + (1 - a) * g[i]! * g[i]!;
        theta[i] = theta[i]! - (lr * g[i]!) / (Math.sqrt(v[i]!) + e);
      }
      expected.push([...theta]);
    }
    // Step 1 by hand: v = 0.01·0.25, √v = 0.05, θ0 = 1 − 0.01·0.5/0.05 = 0.9.
    expect(expected[0]![0]).toBeCloseTo(0.9, 6);
    expectClose(run(rmsprop()), expected);
  });

  it("centers by the running mean gradient and keeps a momentum buffer", () => {
    const expected: number[][] = [];
    const theta = [1, -2];
    const v = [0, 0];
    const mean = [0, 0];
    const buffer = [0, 0];
    for (const g of GRADS) {
      for (let i = 0; i < 2; i++) {
        const gi = g[i]! + 0.05 * theta[i]!; // weight_decay 0.05
        v[i] = a * v[i]! + (1 - a) * gi * gi;
        mean[i] = a * mean[i]! + (1 - a) * gi;
        const avg = Math.sqrt(v[i]! - mean[i]! * mean[i]!) + e;
        buffer[i] = 0.9 * buffer[i]! + gi / avg;
        theta[i] = theta[i]! - lr * buffer[i]!;
      }
      expected.push([...theta]);
    }
    // Step 1, element 0 by hand: g = 0.55, v = 0.01·0.3025, mean = 0.0055,
    // avg = √(0.003025 − 0.00003025) = √0.00299475, buf = 0.55/avg.
    expect(expected[0]![0]).toBeCloseTo(1 - 0.01 * (0.55 / Math.sqrt(0.00299475)), 6);
    expectClose(run(rmsprop({ centered: true, momentum: 0.9, weight_decay: 0.05 })), expected);
  });

  it("centered without momentum steps by lr·g/avg", () => {
    // Step 1, element 1: g = −1, v = 0.01, mean = −0.01, avg = √(0.01 − 0.0001).
    const theta = -2 - (lr * -1) / (Math.sqrt(0.0099) + e);
    expect(run(rmsprop({ centered: true }), [GRADS[0]!])[0]![1]).toBeCloseTo(theta, 6);
  });
});

describe("Adam", () => {
  const b1 = 0.9;
  const b2 = 0.999;
  const e = 1e-8;

  it("corrects the moments' bias at t = 1, 2, 3 (PyTorch's arrangement of the step)", () => {
    const expected: number[][] = [];
    const theta = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    GRADS.forEach((g, k) => {
      const t = k + 1;
      const bc1 = 1 - b1 ** t;
      const bc2 = 1 - b2 ** t;
      for (let i = 0; i < 2; i++) {
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
        theta[i] = theta[i]! - ((0.1 / bc1) * m[i]!) / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + e);
      }
      expected.push([...theta]);
    });
    // At t = 1 the corrected ratio m̂/√v̂ is g/|g|, so every element moves by lr (less a hair of eps).
    expect(expected[0]![0]).toBeCloseTo(0.9, 6);
    expect(expected[0]![1]).toBeCloseTo(-1.9, 6);
    // Step 2, element 0 by hand: m = 0.9·0.05 + 0.025 = 0.07, v = 0.999·0.00025 + 0.0000625.
    const theta1 = 1 - ((0.1 / 0.1) * 0.05) / (Math.sqrt(0.00025) / Math.sqrt(0.001) + e);
    expect(expected[1]![0]).toBeCloseTo(theta1 - ((0.1 / 0.19) * 0.07) / (Math.sqrt(0.999 * 0.00025 + 0.0000625) / Math.sqrt(1 - 0.998001) + e), 9);
    expectClose(run(adam()), expected);
  });

  it("keeps the running maximum of v with amsgrad", () => {
    // Gradients 1, 0.01, 0.01: v falls after the first step, so vmax stays at v1 = 0.001.
    const grads = [[1], [0.01], [0.01]];
    const v1 = 0.001;
    const v2 = 0.999 * v1 + 0.001 * 0.0001;
    const v3 = 0.999 * v2 + 0.001 * 0.0001;
    expect(v2).toBeLessThan(v1);
    expect(v3).toBeLessThan(v1);
    const m1 = 0.1;
    const m2 = 0.9 * m1 + 0.1 * 0.01;
    const m3 = 0.9 * m2 + 0.1 * 0.01;
    const theta1 = 1 - ((0.1 / 0.1) * m1) / (Math.sqrt(v1) / Math.sqrt(1 - 0.999) + e);
    const theta2 = theta1 - ((0.1 / (1 - 0.81)) * m2) / (Math.sqrt(v1) / Math.sqrt(1 - 0.999 ** 2) + e);
    const theta3 = theta2 - ((0.1 / (1 - 0.729)) * m3) / (Math.sqrt(v1) / Math.sqrt(1 - 0.999 ** 3) + e);
    expectClose(run(adam({ amsgrad: true }), grads, [1]), [[theta1], [theta2], [theta3]]);
    // Without amsgrad the smaller v2 and v3 are used, so the steps are larger (by about 8e-5 here).
    const plain = run(adam(), grads, [1]);
    expect(plain[2]![0]).toBeLessThan(theta3 - 5e-5);
  });

  it("treats weight_decay as L2: g ← g + λθ", () => {
    // Step 1, element 0: g = 0.5 + 0.1·1 = 0.6; the t = 1 step is lr·sign(g) whatever g is.
    // Step 2, element 0: θ1 = 0.9, g2 = 0.25 + 0.09 = 0.34, m = 0.9·0.06 + 0.034, v = 0.999·0.00036 + 0.001·0.1156.
    const m = 0.9 * 0.06 + 0.034;
    const v = 0.999 * 0.00036 + 0.001 * 0.1156;
    const theta2 = 0.9 - ((0.1 / 0.19) * m) / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** 2) + e);
    const result = run(adam({ weight_decay: 0.1 }), GRADS.slice(0, 2));
    expect(result[0]![0]).toBeCloseTo(0.9, 6);
    expect(result[1]![0]).toBeCloseTo(theta2, 6);
  });
});

describe("AdamW", () => {
  const e = 1e-8;

  it("shrinks θ by (1 − lr·λ) before an Adam step without the L2 term", () => {
    const expected: number[][] = [];
    const theta = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    GRADS.forEach((g, k) => {
      const t = k + 1;
      for (let i = 0; i < 2; i++) {
        theta[i] = theta[i]! * (1 - 0.1 * 0.1);
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.999 * v[i]! + 0.001 * g[i]! * g[i]!;
        theta[i] = theta[i]! - ((0.1 / (1 - 0.9 ** t)) * m[i]!) / (Math.sqrt(v[i]!) / Math.sqrt(1 - 0.999 ** t) + e);
      }
      expected.push([...theta]);
    });
    // Step 1 by hand: θ0 = 1·0.99 − 0.1 = 0.89, θ1 = −2·0.99 + 0.1 = −1.88.
    expect(expected[0]![0]).toBeCloseTo(0.89, 6);
    expect(expected[0]![1]).toBeCloseTo(-1.88, 6);
    expectClose(run(adamw()), expected);
  });

  it("differs from Adam's L2 weight decay", () => {
    const decoupled = run(adamw({ weight_decay: 0.1 }));
    const coupled = run(adam({ weight_decay: 0.1 }));
    // At t = 1 Adam's L2 step is lr·sign(g + λθ) = 0.1 exactly, while AdamW also shrinks θ.
    expect(coupled[0]![0]).toBeCloseTo(0.9, 6);
    expect(decoupled[0]![0]).toBeCloseTo(0.89, 6);
    expect(Math.abs(decoupled[2]![0]! - coupled[2]![0]!)).toBeGreaterThan(1e-3);
  });

  it("with weight_decay 0 is exactly Adam", () => {
    expect(run(adamw({ weight_decay: 0 }))).toEqual(run(adam()));
  });
});

describe("optimizer state", () => {
  const configs: FirstOrder[] = [
    sgd({ momentum: 0.9, dampening: 0.1, nesterov: false, weight_decay: 0.01 }),
    sgd({ momentum: 0.8, nesterov: true }),
    sgd(),
    adagrad({ lr_decay: 0.1, initial_accumulator_value: 0.3, weight_decay: 0.02 }),
    rmsprop({ centered: true, momentum: 0.5, weight_decay: 0.01 }),
    rmsprop(),
    adam({ amsgrad: true, weight_decay: 0.01 }),
    adamw({ amsgrad: false }),
  ];
  // Two parameter tensors of different sizes; the gradient depends on θ (a quadratic bowl) so a
  // resumed run only matches if parameters and state are both restored exactly.
  const sizes = [3, 2];
  const start = () => [Float32Array.from([0.5, -1, 2]), Float32Array.from([1.5, -0.25])];
  const gradsAt = (params: Float32Array[], k: number) => params.map((p) => p.map((x, i) => 2 * x - 0.3 * i + 0.1 * Math.sin(k)));
  const steps = (optimizer: Optimizer, params: Float32Array[], from: number, to: number) => {
    for (let k = from; k < to; k++) optimizer.step(params, gradsAt(params, k), 0.05 / (1 + k));
  };

  for (const config of configs) {
    it(`${config.kind} ${JSON.stringify(config).slice(0, 80)}: save/load continues identically`, () => {
      const straight = start();
      const a = createOptimizer(config, sizes);
      steps(a, straight, 0, 5);

      const resumed = start();
      const b = createOptimizer(config, sizes);
      steps(b, resumed, 0, 2);
      const saved = b.saveState();
      expect(saved.scalars.step).toBe(2);
      // The saved state is a copy: stepping on must not change it.
      const frozen = JSON.stringify(Object.fromEntries(Object.entries(saved.tensors).map(([k, v]) => [k, v.map((t) => Array.from(t))])));
      steps(b, start(), 2, 3);
      expect(JSON.stringify(Object.fromEntries(Object.entries(saved.tensors).map(([k, v]) => [k, v.map((t) => Array.from(t))])))).toBe(frozen);

      const c = createOptimizer(config, sizes);
      c.loadState(saved);
      steps(c, resumed, 2, 5);
      expect(resumed).toEqual(straight);
      expect(c.saveState()).toEqual(a.saveState());
    });
  }

  it("names the tensors as PyTorch does, one array per parameter", () => {
    const names = (config: FirstOrder) => {
      const optimizer = createOptimizer(config, sizes);
      const params = start();
      steps(optimizer, params, 0, 1);
      const state = optimizer.saveState();
      for (const tensors of Object.values(state.tensors)) expect(tensors.map((t) => t.length)).toEqual(sizes);
      return Object.keys(state.tensors).sort();
    };
    expect(names(sgd({ momentum: 0.9 }))).toEqual(["momentum_buffer"]);
    expect(names(sgd())).toEqual([]);
    expect(names(adagrad())).toEqual(["sum"]);
    expect(names(rmsprop({ centered: true, momentum: 0.9 }))).toEqual(["grad_avg", "momentum_buffer", "square_avg"]);
    expect(names(adam({ amsgrad: true }))).toEqual(["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]);
    expect(names(adamw())).toEqual(["exp_avg", "exp_avg_sq"]);
  });

  it("rejects a state whose tensors do not match the parameters", () => {
    const optimizer = createOptimizer(adam(), sizes);
    expect(() => optimizer.loadState({ scalars: { step: 1 }, tensors: { exp_avg: [new Float32Array(3)], exp_avg_sq: [new Float32Array(3), new Float32Array(2)] } })).toThrow(/`exp_avg` has 1 tensors, but the model has 2 parameters/);
    expect(() => optimizer.loadState({ scalars: {}, tensors: {} })).toThrow(/step/);
  });
});

describe("createOptimizer", () => {
  it("builds each kind, and L-BFGS as its own class", () => {
    expect(createOptimizer(sgd(), [2]).kind).toBe("sgd");
    expect(createOptimizer(adagrad(), [2]).kind).toBe("adagrad");
    expect(createOptimizer(rmsprop(), [2]).kind).toBe("rmsprop");
    expect(createOptimizer(adam(), [2]).kind).toBe("adam");
    expect(createOptimizer(adamw(), [2]).kind).toBe("adamw");
    const lbfgs = createOptimizer(
      { kind: "lbfgs", lr: 1, max_iter: 20, max_eval: 25, history_size: 100, tolerance_grad: 1e-7, tolerance_change: 1e-9, line_search: "none" },
      [2, 3],
    );
    expect(lbfgs).toBeInstanceOf(LbfgsOptimizer);
  });
});
