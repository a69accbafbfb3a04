// Models without data train like any other: every optimizer and every learning-rate schedule moves
// Rosenbrock's parameters downhill from (−1.5, 2), an epoch being `steps` optimizer steps.

import { describe, expect, it } from "vitest";
import { trainExample } from "../e2e/train-helpers.ts";

const source = (settings: string) => `
model valley {
  param w: [2] init [-1.5, 2]
  loss  rosenbrock(w[0], w[1])
}
train valley {
  data none
${settings}
}
`;

async function train(settings: string) {
  return trainExample("objective.nn", () => ({}), { source: source(settings) });
}

describe("training without data", () => {
  it("takes `steps` steps per epoch and reports the loss of the parameters", async () => {
    const { summary, epochs, trainer } = await train("steps 25\nepochs 4\noptimizer adam(lr: 0.05)");
    expect(summary.steps).toBe(100);
    expect(epochs).toHaveLength(4);
    // The final evaluation is the loss at the final weights, computed once.
    const [x, y] = trainer.params[0]!;
    expect(summary.train.loss).toBeCloseTo((1 - x!) ** 2 + 100 * (y! - x! ** 2) ** 2, 4);
    expect(summary.train.accuracy).toBeNull();
    expect(summary.train.loss).toBeLessThan(12.5);
  });

  const optimizers = [
    "sgd(lr: 1e-3)",
    "momentum(lr: 1e-3, momentum: 0.9)",
    "nesterov(lr: 1e-3, momentum: 0.9)",
    "adagrad(lr: 0.5)",
    "rmsprop(lr: 1e-2)",
    "adam(lr: 0.05)",
    "adamw(lr: 0.05, weight_decay: 1e-3)",
    "lbfgs(line_search: strong_wolfe)",
  ];
  it.each(optimizers)("%s goes downhill", async (optimizer) => {
    const { summary } = await train(`steps 20\nepochs 3\noptimizer ${optimizer}`);
    expect(Number.isFinite(summary.train.loss)).toBe(true);
    expect(summary.train.loss).toBeLessThan(12.5); // the loss at the start
  });

  const schedules = [
    "constant",
    "step(size: 2, gamma: 0.5)",
    "multistep(milestones: [1, 3])",
    "exponential(gamma: 0.9)",
    "inverse_time(decay: 0.5)",
    "polynomial(power: 2)",
    "cosine(to: 1e-4)",
    "warmup(steps: 2)",
    "cyclic(low: 1e-4, high: 1e-3, step_size_up: 10)",
    "onecycle(max_lr: 1e-3)",
    "plateau(on: train_loss, patience: 0)",
    "warmup(steps: 10, every: step) then cosine(to: 0)",
  ];
  it.each(schedules)("with the schedule %s", async (schedule) => {
    const { summary } = await train(`steps 20\nepochs 4\noptimizer sgd(lr: 1e-3, momentum: 0.9)\nschedule ${schedule}`);
    expect(Number.isFinite(summary.train.loss)).toBe(true);
    expect(summary.train.loss).toBeLessThan(12.5);
  });

  it("stops early on the training loss, and restores the best parameters", async () => {
    const { summary } = await train("steps 5\nepochs 50\noptimizer sgd(lr: 5e-4)\nstop early(on: train_loss, patience: 1, min_delta: 0.05, restore: best)");
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.epochs).toBeLessThan(50);
    expect(summary.train.loss).toBeLessThan(12.5);
  });
});
