// CyclicLR's cycle_momentum (on by default, as in PyTorch): the momentum (Adam's β1) goes from
// max_momentum at the bottom of a cycle to base_momentum at its top, opposite to the rate, by
// PyTorch's formula `max_m − (max_m − base_m) · s · f` with the rate's position s and amplitude
// factor f. Expected values are written out by hand from PyTorch's formulas.

import { describe, expect, it } from "vitest";
import type { ScheduleConfig } from "../../compiler/ir/config.ts";
import { compile } from "../../compiler/index.ts";
import { loadCheckpoint } from "../../runtime/train/checkpoint.ts";
import { createOptimizer } from "../../runtime/train/optimizers/index.ts";
import { createSchedule } from "../../runtime/train/schedules/index.ts";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainExample } from "../e2e/train-helpers.ts";

type Cyclic = Extract<ScheduleConfig, { kind: "cyclic" }>;
const cyclic = (o: Partial<Cyclic> = {}): Cyclic => ({
  kind: "cyclic",
  base_lr: 0.1,
  max_lr: 1,
  step_size_up: 2,
  step_size_down: 2,
  mode: "triangular",
  gamma: 1,
  cycle_momentum: true,
  base_momentum: 0.8,
  max_momentum: 0.9,
  every: "step",
  ...o,
});
const RUN = { baseLr: 1, stepsPerEpoch: 1, epochs: 100 };

function momenta(config: ScheduleConfig, n: number): (number | null)[] {
  const schedule = createSchedule(config, RUN);
  const out: (number | null)[] = [];
  for (let i = 0; i < n; i++) {
    out.push(schedule.momentum);
    schedule.onStep();
  }
  return out;
}

function expectClose(actual: (number | null)[], expected: (number | null)[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => {
    if (expected[i] === null) expect(value, `step ${i}`).toBeNull();
    else expect(value, `step ${i}`).toBeCloseTo(expected[i]!, digits);
  });
}

describe("CyclicLR momentum", () => {
  it("triangular: max_momentum at the bottom, base_momentum at the top", async () => {
    expectClose(momenta(cyclic(), 9), [0.9, 0.85, 0.8, 0.85, 0.9, 0.85, 0.8, 0.85, 0.9]);
    expect(createSchedule(cyclic(), RUN).initialMomentum).toBe(0.9);
  });

  it("triangular2 halves the momentum's swing each cycle, exp_range scales it by gamma^t", async () => {
    expectClose(momenta(cyclic({ mode: "triangular2" }), 9), [0.9, 0.85, 0.8, 0.85, 0.9, 0.875, 0.85, 0.875, 0.9]);
    const g = 0.5;
    expectClose(momenta(cyclic({ mode: "exp_range", gamma: g }), 4), [0.9, 0.9 - 0.1 * 0.5 * g, 0.9 - 0.1 * g ** 2, 0.9 - 0.1 * 0.5 * g ** 3]);
  });

  it("cycle_momentum: false leaves the optimizer's momentum alone", async () => {
    expectClose(momenta(cyclic({ cycle_momentum: false }), 3), [null, null, null]);
    expect(createSchedule(cyclic({ cycle_momentum: false }), RUN).initialMomentum).toBeNull();
  });

  it("in a sequence, only the cyclic part sets the momentum", async () => {
    const sequence: ScheduleConfig = { kind: "sequence", parts: [{ kind: "constant", every: "step" }, cyclic()], milestones: [2], every: "step" };
    expectClose(momenta(sequence, 5), [null, null, 0.9, 0.85, 0.8]);
    expect(createSchedule(sequence, RUN).initialMomentum).toBe(0.9);
  });
});

describe("optimizers with a cycled momentum", () => {
  // θ = 1 and a constant gradient 1; rates 0.1, 0.55, 1 and momenta 0.9, 0.85, 0.8 (the cycle above).
  const lrs = [0.1, 0.55, 1];
  const ms = [0.9, 0.85, 0.8];

  it("SGD: b ← m_t·b + g with each step's momentum (PyTorch's group['momentum'])", async () => {
    const sgd = createOptimizer({ kind: "sgd", lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weight_decay: 0 }, [1]);
    const theta = [Float32Array.of(1)];
    const got = lrs.map((lr, i) => {
      sgd.step(theta, [Float32Array.of(1)], lr, ms[i]);
      return theta[0]![0]!;
    });
    // b: 1, 0.85·1 + 1 = 1.85, 0.8·1.85 + 1 = 2.48.
    expectClose(got, [1 - 0.1, 0.9 - 0.55 * 1.85, 0.9 - 0.55 * 1.85 - 2.48], 6);
  });

  it("Adam: β1 cycles, and so does the bias correction 1 − β1ᵗ", async () => {
    const adam = createOptimizer({ kind: "adam", lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, amsgrad: false }, [1]);
    const theta = [Float32Array.of(1)];
    adam.step(theta, [Float32Array.of(1)], 0.1, 0.9);
    adam.step(theta, [Float32Array.of(1)], 0.55, 0.85);
    // m = 0.85·0.1 + 0.15 = 0.235, bc1 = 1 − 0.85² = 0.2775; v̂ = 1, so θ = 0.9 − 0.55·0.235/0.2775.
    expect(theta[0]![0]!).toBeCloseTo(0.9 - (0.55 * 0.235) / 0.2775, 6);
  });
});

const SOURCE = (settings: string) => `
model reg {
  input  x: [B, 2]
  target y: [B, 1]
  pred = dense(x, 1)
  loss mse(pred, y)
}

train reg {
  data      linear(n: 64, weights: [1, 2], seed: 1)
  batch     16
  epochs    4
  ${settings}
}
`;

describe("cyclic momentum in training", () => {
  const train = (settings: string, extra: { savePath?: string; resume?: ReturnType<typeof loadCheckpoint>; epochs?: number } = {}) =>
    trainExample("test/train/cyclic.nn", (c) => (extra.epochs ? { epochs: extra.epochs } : {}), { source: SOURCE(settings), savePath: extra.savePath, resume: extra.resume });
  const weights = (run: Awaited<ReturnType<typeof train>>) => run.trainer.params.flatMap((p) => Array.from(p));

  it("turns momentum on for plain SGD, as PyTorch's CyclicLR sets max_momentum when it is created", async () => {
    // With base = max = 0.9 the cycled momentum is constant: plain SGD becomes momentum SGD.
    const cycled = await train("optimizer sgd(lr: 0.01)\n  schedule cyclic(low: 0.001, high: 0.01, step_size_up: 3, base_momentum: 0.9, max_momentum: 0.9)");
    const momentum = await train("optimizer sgd(lr: 0.01, momentum: 0.9)\n  schedule cyclic(low: 0.001, high: 0.01, step_size_up: 3, cycle_momentum: false)");
    expect(weights(cycled)).toEqual(weights(momentum));
    const plain = await train("optimizer sgd(lr: 0.01)\n  schedule cyclic(low: 0.001, high: 0.01, step_size_up: 3, cycle_momentum: false)");
    expect(weights(plain)).not.toEqual(weights(momentum));
  });

  it("a resumed run continues the cycled momentum exactly", async () => {
    const settings = "optimizer adam(lr: 0.01)\n  schedule cyclic(low: 0.001, high: 0.01, step_size_up: 3)";
    const whole = await train(settings);
    const path = join(mkdtempSync(join(tmpdir(), "nnc-cyclic-")), "half.safetensors");
    await train(settings, { epochs: 2, savePath: path });
    const resumed = await train(settings, { resume: loadCheckpoint(path, { optimizer: true }) });
    expect(weights(resumed)).toEqual(weights(whole));
  });

  it("an optimizer without momentum needs cycle_momentum: false (PyTorch raises)", async () => {
    const codes = (settings: string) => compile(SOURCE(settings), "m.nn").diagnostics.map((d) => d.code);
    expect(codes("optimizer adagrad(lr: 0.1)\n  schedule cyclic(low: 0.01, high: 0.1)")).toEqual(["E0620"]);
    expect(codes("optimizer adagrad(lr: 0.1)\n  schedule cyclic(low: 0.01, high: 0.1, cycle_momentum: false)")).toEqual([]);
    expect(codes("optimizer rmsprop(lr: 0.1)\n  schedule constant(for: 3) then cyclic(low: 0.01, high: 0.1)")).toEqual([]);
  });
});
