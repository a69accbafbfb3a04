// Step parity under every optimizer and schedule: a small model trained for 20 steps (the whole
// loop: schedule, step scalars, cycled momentum, clipping, dropout, batch norm, early stopping's
// best weights) on WebGPU and on the CPU runtime ends with the same weights, to 1e-3 relative as
// in backend.test.ts.

import { describe, expect, it } from "vitest";
import { trainExample } from "../e2e/train-helpers.ts";
import { testGpu } from "./gpu.ts";

const gpu = await testGpu();

const SOURCE = (settings: string) => `
model net {
  input  x: [B, 4]
  target y: class[B] of 3
  # No bias before batch norm: its gradient would be rounding noise, which adaptive optimizers
  # blow up into steps of full size (different on each backend, and irrelevant to the output).
  h = dense(x, 16, bias: false) |> batchnorm |> tanh |> dropout(0.2)
  logits = dense(h, 3)
  loss cross_entropy(logits, y)
  regularize l2(1e-3)
}

train net {
  data      blobs(n: 80, classes: 3, features: 4, seed: 2)
  split     validation: 0.2
  epochs    5
  seed      3
  ${settings}
}
`;

const OPTIMIZERS = [
  "optimizer sgd(lr: 0.1)",
  "optimizer sgd(lr: 0.1, momentum: 0.9, dampening: 0.1, weight_decay: 1e-3)",
  "optimizer nesterov(lr: 0.05, momentum: 0.9)",
  "optimizer adagrad(lr: 0.1, lr_decay: 0.01, initial_accumulator_value: 0.1)",
  "optimizer rmsprop(lr: 0.01, centered: true, momentum: 0.5)",
  "optimizer adam(lr: 0.01, amsgrad: true)",
  "optimizer adamw(lr: 0.01, weight_decay: 0.05)\n  clip norm(0.5)",
  "optimizer lbfgs(lr: 1, max_iter: 4, history: 5, line_search: strong_wolfe)\n  batch full",
];
const SCHEDULES = [
  "schedule step(size: 2, gamma: 0.5)",
  "schedule multistep(milestones: [5, 12], gamma: 0.1)",
  "schedule exponential(gamma: 0.9, every: step)",
  "schedule inverse_time(decay: 0.1, every: step)",
  "schedule polynomial(power: 2)",
  "schedule warmup(steps: 5) then cosine(to: 1e-4)",
  "schedule cyclic(low: 0.01, high: 0.1, step_size_up: 4)",
  "schedule onecycle(max_lr: 0.1)",
  "schedule plateau(on: val_loss, factor: 0.5, patience: 1)\n  stop early(on: val_loss, patience: 2, restore: best)",
];
const withBatch = (settings: string) => (settings.includes("batch full") ? settings : `${settings}\n  batch 16`);
const CASES = [...OPTIMIZERS.map((o) => `${o}\n  schedule constant`), ...SCHEDULES.map((s) => `optimizer sgd(lr: 0.05, momentum: 0.9)\n  ${s}`)].map(withBatch);

describe.skipIf(!gpu)("every optimizer and schedule on WebGPU matches the CPU runtime", () => {
  for (const settings of CASES) {
    it(settings.replace(/\s+/g, " "), async () => {
      const run = (backend: "cpu" | "webgpu") => trainExample("net.nn", () => ({}), { source: SOURCE(settings), backend });
      const cpu = await run("cpu");
      const webgpu = await run("webgpu");
      expect(webgpu.summary.steps).toBe(cpu.summary.steps);
      let worst = 0;
      cpu.trainer.params.forEach((p, i) => p.forEach((v, j) => (worst = Math.max(worst, Math.abs(webgpu.trainer.params[i]![j]! - v) / Math.max(1, Math.abs(v))))));
      expect(worst).toBeLessThan(1e-3);
    });
  }
});
