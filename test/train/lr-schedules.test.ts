// Learning-rate schedules against torch.optim.lr_scheduler, one class at a time. Every expected
// rate is written out by hand from PyTorch's formulas (or its documentation's examples), never by
// calling the code under test. `rates` records the rate in force before each advance.

import { describe, expect, it } from "vitest";
import type { ScheduleConfig } from "../../compiler/ir/config.ts";
import { createSchedule, type RunLength, type Schedule } from "../../runtime/train/schedules/index.ts";

const RUN: RunLength = { baseLr: 1, stepsPerEpoch: 1, epochs: 100 };

// The rate before each of `n` advances in the schedule's own unit.
function rates(config: ScheduleConfig, n: number, run: Partial<RunLength> = {}): number[] {
  const schedule = createSchedule(config, { ...RUN, ...run });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(schedule.lr);
    advance(schedule);
  }
  return out;
}

function advance(schedule: Schedule, metrics: Record<string, number> = {}): void {
  if (schedule.every === "step") schedule.onStep();
  else schedule.onEpoch(metrics);
}

function expectRates(actual: number[], expected: number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => expect(value, `rate ${i}`).toBeCloseTo(expected[i]!, digits));
}

type Plateau = Extract<ScheduleConfig, { kind: "plateau" }>;
const plateau = (overrides: Partial<Plateau> = {}): Plateau => ({
  kind: "plateau",
  metric: "val_loss",
  mode: "min",
  factor: 0.5,
  patience: 2,
  threshold: 1e-4,
  threshold_mode: "rel",
  cooldown: 0,
  min_lr: 0,
  every: "epoch",
  ...overrides,
});

// The rate after each epoch's metric has been read.
function plateauRates(config: Plateau, values: number[], baseLr = 1): number[] {
  const schedule = createSchedule(config, { ...RUN, baseLr });
  return values.map((value) => {
    schedule.onEpoch({ [config.metric]: value });
    return schedule.lr;
  });
}

describe("StepLR, MultiStepLR, ExponentialLR, inverse time, constant", () => {
  it("StepLR(step_size=2, gamma=0.1) from 1 gives 1, 1, 0.1, 0.1, 0.01", () => {
    expectRates(rates({ kind: "step", step_size: 2, gamma: 0.1, every: "epoch" }, 5), [1, 1, 0.1, 0.1, 0.01]);
  });

  it("StepLR scales with the base rate (PyTorch's doc example: 0.05, step 30, gamma 0.1)", () => {
    const got = rates({ kind: "step", step_size: 30, gamma: 0.1, every: "epoch" }, 91, { baseLr: 0.05 });
    expect(got[0]).toBeCloseTo(0.05, 15);
    expect(got[29]).toBeCloseTo(0.05, 15);
    expect(got[30]).toBeCloseTo(0.005, 15);
    expect(got[59]).toBeCloseTo(0.005, 15);
    expect(got[60]).toBeCloseTo(0.0005, 15);
    expect(got[90]).toBeCloseTo(0.00005, 15);
  });

  it("MultiStepLR(milestones=[2, 4], gamma=0.1) multiplies by gamma at each milestone", () => {
    expectRates(rates({ kind: "multistep", milestones: [2, 4], gamma: 0.1, every: "epoch" }, 7), [1, 1, 0.1, 0.1, 0.01, 0.01, 0.01]);
  });

  it("MultiStepLR counts a repeated milestone twice, as PyTorch's Counter does", () => {
    expectRates(rates({ kind: "multistep", milestones: [1, 1], gamma: 0.5, every: "epoch" }, 3), [1, 0.25, 0.25]);
  });

  it("ExponentialLR multiplies by gamma every unit", () => {
    expectRates(rates({ kind: "exponential", gamma: 0.5, every: "epoch" }, 5, { baseLr: 0.8 }), [0.8, 0.4, 0.2, 0.1, 0.05]);
  });

  it("inverse time is lr0 / (1 + decay·t)", () => {
    expectRates(rates({ kind: "inverse_time", decay: 0.5, every: "epoch" }, 5, { baseLr: 0.3 }), [0.3, 0.3 / 1.5, 0.3 / 2, 0.3 / 2.5, 0.3 / 3]);
  });

  it("constant keeps the base rate", () => {
    expectRates(rates({ kind: "constant", every: "epoch" }, 4, { baseLr: 0.01 }), [0.01, 0.01, 0.01, 0.01], 15);
    expectRates(rates({ kind: "constant", every: "step" }, 3, { baseLr: 0.01 }), [0.01, 0.01, 0.01], 15);
  });
});

describe("PolynomialLR", () => {
  it("matches PyTorch's doc example (0.001, total_iters=4, power=1): 0.001, 0.00075, 0.0005, 0.00025, 0", () => {
    expectRates(rates({ kind: "polynomial", total: 4, power: 1, every: "epoch" }, 7, { baseLr: 0.001 }), [0.001, 0.00075, 0.0005, 0.00025, 0, 0, 0], 15);
  });

  it("with power 2 is lr0·(1 − t/total)² and stays at 0 after total", () => {
    expectRates(rates({ kind: "polynomial", total: 4, power: 2, every: "epoch" }, 6), [1, 0.5625, 0.25, 0.0625, 0, 0]);
  });

  it("with a null total runs over the whole run (epochs, or steps for a per-step schedule)", () => {
    expectRates(rates({ kind: "polynomial", total: null, power: 1, every: "epoch" }, 6, { epochs: 5 }), [1, 0.8, 0.6, 0.4, 0.2, 0]);
    const perStep = rates({ kind: "polynomial", total: null, power: 1, every: "step" }, 11, { epochs: 2, stepsPerEpoch: 5 });
    expectRates(perStep, [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0]);
  });
});

describe("CosineAnnealingLR", () => {
  it("starts at lr0, is halfway at T/2 and reaches eta_min at T", () => {
    const got = rates({ kind: "cosine", t_max: 10, eta_min: 0.1, every: "epoch" }, 11);
    expect(got[0]).toBeCloseTo(1, 15);
    expect(got[5]).toBeCloseTo(0.55, 12); // 0.1 + 0.9·(1 + cos(π/2))/2
    expect(got[10]).toBeCloseTo(0.1, 12);
    // t = 2: 0.1 + 0.9·(1 + cos(π/5))/2, with cos(π/5) = (1 + √5)/4.
    expect(got[2]).toBeCloseTo(0.1 + (0.9 * (1 + (1 + Math.sqrt(5)) / 4)) / 2, 12);
    // Falls monotonically over the half period.
    for (let t = 1; t <= 10; t++) expect(got[t]!).toBeLessThan(got[t - 1]!);
  });

  it("past T_max follows the cosine back up, as PyTorch does", () => {
    const got = rates({ kind: "cosine", t_max: 4, eta_min: 0, every: "epoch" }, 9);
    expectRates(got, [1, 0.5 + Math.SQRT1_2 / 2, 0.5, 0.5 - Math.SQRT1_2 / 2, 0, 0.5 - Math.SQRT1_2 / 2, 0.5, 0.5 + Math.SQRT1_2 / 2, 1]);
  });

  it("with a null t_max anneals over the run's epochs, or its steps when per step", () => {
    const epochs = rates({ kind: "cosine", t_max: null, eta_min: 0, every: "epoch" }, 9, { epochs: 8, stepsPerEpoch: 3 });
    expect(epochs[4]).toBeCloseTo(0.5, 12);
    expect(epochs[8]).toBeCloseTo(0, 12);
    const steps = rates({ kind: "cosine", t_max: null, eta_min: 0, every: "step" }, 25, { epochs: 8, stepsPerEpoch: 3 });
    expect(steps[12]).toBeCloseTo(0.5, 12);
    expect(steps[24]).toBeCloseTo(0, 12);
  });
});

describe("LinearLR (warmup)", () => {
  it("goes from 1/3 to 1 of the base rate over 3 units, then stays", () => {
    const got = rates({ kind: "warmup", total_iters: 3, start_factor: 1 / 3, end_factor: 1, every: "step" }, 6, { baseLr: 0.3 });
    expectRates(got, [0.1, 0.3 * (5 / 9), 0.3 * (7 / 9), 0.3, 0.3, 0.3]);
  });

  it("matches PyTorch's doc example (0.05, start_factor 0.5, total_iters 4): 0.025, 0.03125, 0.0375, 0.04375, 0.05", () => {
    const got = rates({ kind: "warmup", total_iters: 4, start_factor: 0.5, end_factor: 1, every: "epoch" }, 6, { baseLr: 0.05 });
    expectRates(got, [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05], 15);
  });
});

describe("CyclicLR", () => {
  const cyclic = (mode: "triangular" | "triangular2" | "exp_range", up: number, down: number, gamma = 1): ScheduleConfig => ({
    kind: "cyclic",
    base_lr: 0.1,
    max_lr: 1,
    step_size_up: up,
    step_size_down: down,
    mode,
    gamma,
    cycle_momentum: true,
    base_momentum: 0.8,
    max_momentum: 0.9,
    every: "step",
  });

  it("triangular goes base → max over step_size_up and back over step_size_down, cycle after cycle", () => {
    expectRates(rates(cyclic("triangular", 2, 2), 9), [0.1, 0.55, 1, 0.55, 0.1, 0.55, 1, 0.55, 0.1]);
    // Asymmetric: up in 2 steps of 0.45, down in 3 steps of 0.3.
    expectRates(rates(cyclic("triangular", 2, 3), 11), [0.1, 0.55, 1, 0.7, 0.4, 0.1, 0.55, 1, 0.7, 0.4, 0.1]);
  });

  it("ignores the optimizer's base rate: it starts at base_lr", () => {
    expect(createSchedule(cyclic("triangular", 2, 2), { ...RUN, baseLr: 42 }).lr).toBeCloseTo(0.1, 15);
  });

  it("triangular2 halves the cycle's amplitude every cycle", () => {
    // Amplitude 0.9, then 0.45, then 0.225.
    const expected = [0.1, 0.55, 1, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1, 0.2125, 0.325, 0.2125, 0.1];
    expectRates(rates(cyclic("triangular2", 2, 2), 13), expected);
  });

  it("exp_range scales the amplitude by gamma^t, t counting steps", () => {
    const g = 0.9;
    const got = rates(cyclic("exp_range", 2, 2, g), 7);
    expectRates(got, [0.1, 0.1 + 0.45 * g, 0.1 + 0.9 * g ** 2, 0.1 + 0.45 * g ** 3, 0.1, 0.1 + 0.45 * g ** 5, 0.1 + 0.9 * g ** 6]);
  });
});

describe("OneCycleLR", () => {
  const oneCycle = (overrides: Partial<Extract<ScheduleConfig, { kind: "onecycle" }>> = {}): ScheduleConfig => ({
    kind: "onecycle",
    max_lr: 1,
    total_steps: 10,
    pct_start: 0.3,
    anneal_strategy: "linear",
    div_factor: 25,
    final_div_factor: 1e4,
    three_phase: false,
    every: "step",
    ...overrides,
  });
  const initial = 1 / 25; // max_lr / div_factor
  const minimum = initial / 1e4; // / final_div_factor

  it("linear: starts at max/div, peaks at step pct·total − 1, ends at max/div/final_div on the last step", () => {
    const got = rates(oneCycle(), 10);
    // Up over steps 0..2 (pct_start·total − 1 = 2), then down over steps 2..9.
    const down = (s: number) => 1 + (minimum - 1) * ((s - 2) / 7);
    expectRates(got, [initial, (initial + 1) / 2, 1, down(3), down(4), down(5), down(6), down(7), down(8), minimum]);
  });

  it("cos: the same end points, annealed along a half cosine", () => {
    const got = rates(oneCycle({ anneal_strategy: "cos" }), 10);
    const cos = (from: number, to: number, pct: number) => to + ((from - to) / 2) * (1 + Math.cos(Math.PI * pct));
    expect(got[0]).toBeCloseTo(initial, 15);
    expect(got[1]).toBeCloseTo((initial + 1) / 2, 12); // the midpoint of a half cosine is the mean
    expect(got[2]).toBeCloseTo(1, 15);
    expect(got[3]).toBeCloseTo(cos(1, minimum, 1 / 7), 12);
    expect(got[5]).toBeCloseTo(cos(1, minimum, 3 / 7), 12);
    expect(got[9]).toBeCloseTo(minimum, 15);
  });

  it("peaks at max_lr exactly at step pct_start·total_steps − 1 (100 steps, pct 0.25: step 24)", () => {
    const got = rates(oneCycle({ total_steps: 100, pct_start: 0.25, anneal_strategy: "cos", max_lr: 0.1 }), 100);
    expect(got[24]).toBeCloseTo(0.1, 15);
    expect(Math.max(...got)).toBeCloseTo(0.1, 15);
    expect(got[23]!).toBeLessThan(0.1);
    expect(got[25]!).toBeLessThan(0.1);
    expect(got[0]).toBeCloseTo(0.1 / 25, 15);
    expect(got[99]).toBeCloseTo(0.1 / 25 / 1e4, 15);
  });

  it("three_phase comes back down to max/div by step 2·pct·total − 2, then anneals to the minimum", () => {
    const got = rates(oneCycle({ three_phase: true }), 10);
    // Phase ends: 2, 4, 9.
    const last = (s: number) => initial + (minimum - initial) * ((s - 4) / 5);
    expectRates(got, [initial, (initial + 1) / 2, 1, (1 + initial) / 2, initial, last(5), last(6), last(7), last(8), minimum]);
  });

  it("with a null total_steps covers the whole run in steps, and stays at the minimum after it", () => {
    const got = rates(oneCycle({ total_steps: null }), 12, { epochs: 2, stepsPerEpoch: 5 });
    expect(got[0]).toBeCloseTo(initial, 15);
    expect(got[2]).toBeCloseTo(1, 15);
    expect(got[9]).toBeCloseTo(minimum, 15);
    expect(got[10]).toBeCloseTo(minimum, 15);
    expect(got[11]).toBeCloseTo(minimum, 15);
  });
});

describe("ReduceLROnPlateau", () => {
  it("reduces only after patience + 1 epochs without improvement, then counts afresh", () => {
    // Epoch 1 improves; epochs 2 and 3 are within patience 2; epoch 4 is the third bad one.
    expectRates(plateauRates(plateau(), [1, 1, 1, 1, 1, 1, 1]), [1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
  });

  it("an improvement resets the count", () => {
    expectRates(plateauRates(plateau(), [1, 1, 1, 0.5, 0.5, 0.5, 0.5]), [1, 1, 1, 1, 1, 1, 0.5]);
  });

  it("with patience 0 reduces on every bad epoch", () => {
    expectRates(plateauRates(plateau({ patience: 0 }), [1, 2, 2, 0.5]), [1, 0.5, 0.25, 0.25]);
  });

  it("waits `cooldown` epochs after a reduction before counting bad epochs again", () => {
    // patience 1, cooldown 2: reduce after epoch 3; epochs 4 and 5 are cooldown; 6 and 7 count.
    expectRates(plateauRates(plateau({ patience: 1, cooldown: 2 }), [5, 5, 5, 5, 5, 5, 5]), [1, 1, 0.5, 0.5, 0.5, 0.5, 0.25]);
    expectRates(plateauRates(plateau({ patience: 1, cooldown: 0 }), [5, 5, 5, 5, 5]), [1, 1, 0.5, 0.5, 0.25]);
  });

  it("never goes below min_lr, and stops changing once there", () => {
    const got = plateauRates(plateau({ patience: 0, factor: 0.1, min_lr: 0.05 }), [1, 1, 1, 1]);
    expectRates(got, [1, 0.1, 0.05, 0.05]);
  });

  it("rel threshold: better means below best·(1 − threshold); abs: below best − threshold", () => {
    // Best 10, then 9.5: rel 0.1 needs < 9, abs 0.1 needs < 9.9.
    expectRates(plateauRates(plateau({ patience: 0, threshold: 0.1, threshold_mode: "rel" }), [10, 9.5]), [1, 0.5]);
    expectRates(plateauRates(plateau({ patience: 0, threshold: 0.1, threshold_mode: "abs" }), [10, 9.5]), [1, 1]);
    // A change of exactly the threshold is not an improvement.
    expectRates(plateauRates(plateau({ patience: 0, threshold: 0.5, threshold_mode: "abs" }), [10, 9.5]), [1, 0.5]);
  });

  it("mode max: better means above best·(1 + threshold) (rel) or best + threshold (abs)", () => {
    const rising = [0.5, 0.6, 0.7, 0.8];
    expectRates(plateauRates(plateau({ metric: "val_accuracy", mode: "max", patience: 0 }), rising), [1, 1, 1, 1]);
    // Falling accuracy is a bad epoch in max mode.
    expectRates(plateauRates(plateau({ metric: "val_accuracy", mode: "max", patience: 0 }), [0.8, 0.7, 0.6]), [1, 0.5, 0.25]);
    // 0.8 → 0.85: rel 0.1 needs > 0.88 (bad); abs 0.01 needs > 0.81 (good).
    expectRates(plateauRates(plateau({ metric: "val_accuracy", mode: "max", patience: 0, threshold: 0.1 }), [0.8, 0.85]), [1, 0.5]);
    expectRates(plateauRates(plateau({ metric: "val_accuracy", mode: "max", patience: 0, threshold: 0.01, threshold_mode: "abs" }), [0.8, 0.85]), [1, 1]);
  });

  it("reads only its own metric: an epoch without it counts for nothing", () => {
    const schedule = createSchedule(plateau({ patience: 0 }), RUN);
    schedule.onEpoch({ val_loss: 1 });
    schedule.onEpoch({ train_loss: 5 });
    schedule.onEpoch({});
    expect(schedule.lr).toBe(1);
    schedule.onEpoch({ val_loss: 2 });
    expect(schedule.lr).toBe(0.5);
  });

  it("a NaN metric is a bad epoch, as in PyTorch (NaN compares false)", () => {
    expectRates(plateauRates(plateau({ patience: 0 }), [1, NaN]), [1, 0.5]);
  });

  it("advances per epoch and ignores onStep", () => {
    const schedule = createSchedule(plateau({ patience: 0 }), { ...RUN, baseLr: 0.2 });
    expect(schedule.every).toBe("epoch");
    expect(schedule.lr).toBe(0.2);
    for (let i = 0; i < 50; i++) schedule.onStep();
    expect(schedule.lr).toBe(0.2);
  });

  it("continues identically after saveState/loadState into a fresh schedule", () => {
    const config = plateau({ patience: 1, cooldown: 1 });
    const values = [3, 2, 2, 2, 2, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5];
    const straight = plateauRates(config, values);
    for (const cut of [1, 3, 4, 6]) {
      const first = createSchedule(config, RUN);
      values.slice(0, cut).forEach((v) => first.onEpoch({ val_loss: v }));
      // Through JSON, as a checkpoint stores it (best stays finite after the first epoch).
      const saved = JSON.parse(JSON.stringify(first.saveState())) as Record<string, number>;
      const second = createSchedule(config, RUN);
      second.loadState(saved);
      const rest = values.slice(cut).map((v) => {
        second.onEpoch({ val_loss: v });
        return second.lr;
      });
      expectRates([...straight.slice(0, cut), ...rest], straight);
    }
  });
});

describe("SequentialLR", () => {
  it("warmup(steps) then cosine(t_max null): the cosine restarts its own t at the milestone from lr0", () => {
    const config: ScheduleConfig = {
      kind: "sequence",
      every: "step",
      milestones: [4],
      parts: [
        { kind: "warmup", total_iters: 4, start_factor: 0.25, end_factor: 1, every: "step" },
        { kind: "cosine", t_max: null, eta_min: 0, every: "step" },
      ],
    };
    // 2 epochs of 10 steps = 20 steps; the cosine gets the 16 after the milestone.
    const got = rates(config, 21, { baseLr: 2, epochs: 2, stepsPerEpoch: 10 });
    expectRates(got.slice(0, 4), [0.5, 0.875, 1.25, 1.625]);
    expect(got[4]).toBeCloseTo(2, 15); // cosine at its own t = 0
    expect(got[8]).toBeCloseTo(1 + Math.SQRT1_2, 12); // t = 4 of 16: 2·(1 + cos(π/4))/2
    expect(got[12]).toBeCloseTo(1, 12); // t = 8 of 16
    expect(got[20]).toBeCloseTo(0, 12); // t = 16 of 16: the end of the run
  });

  it("a warmup that finishes before its milestone holds the full rate until the next part", () => {
    const config: ScheduleConfig = {
      kind: "sequence",
      every: "epoch",
      milestones: [3],
      parts: [
        { kind: "warmup", total_iters: 2, start_factor: 0.5, end_factor: 1, every: "epoch" },
        { kind: "step", step_size: 1, gamma: 0.5, every: "epoch" },
      ],
    };
    expectRates(rates(config, 6), [0.5, 0.75, 1, 1, 0.5, 0.25]);
  });

  it("three parts with two milestones each start at their own t = 0", () => {
    const config: ScheduleConfig = {
      kind: "sequence",
      every: "epoch",
      milestones: [2, 4],
      parts: [
        { kind: "constant", every: "epoch" },
        { kind: "exponential", gamma: 0.5, every: "epoch" },
        { kind: "inverse_time", decay: 1, every: "epoch" },
      ],
    };
    expectRates(rates(config, 7, { baseLr: 0.8 }), [0.8, 0.8, 0.8, 0.4, 0.8, 0.4, 0.8 / 3]);
  });
});

describe("units and resuming", () => {
  it("a per-epoch schedule ignores onStep and a per-step one ignores onEpoch", () => {
    const perEpoch = createSchedule({ kind: "step", step_size: 1, gamma: 0.5, every: "epoch" }, RUN);
    expect(perEpoch.every).toBe("epoch");
    for (let i = 0; i < 10; i++) perEpoch.onStep();
    expect(perEpoch.lr).toBe(1);
    perEpoch.onEpoch({});
    expect(perEpoch.lr).toBe(0.5);

    const perStep = createSchedule({ kind: "step", step_size: 1, gamma: 0.5, every: "step" }, RUN);
    expect(perStep.every).toBe("step");
    for (let i = 0; i < 10; i++) perStep.onEpoch({ val_loss: 1 });
    expect(perStep.lr).toBe(1);
    perStep.onStep();
    expect(perStep.lr).toBe(0.5);
  });

  it("a closed-form schedule continues identically after saveState/loadState", () => {
    const configs: ScheduleConfig[] = [
      { kind: "cosine", t_max: null, eta_min: 0.01, every: "step" },
      { kind: "multistep", milestones: [3, 7], gamma: 0.3, every: "step" },
      { kind: "cyclic", base_lr: 0.1, max_lr: 1, step_size_up: 3, step_size_down: 2, mode: "triangular2", gamma: 1, cycle_momentum: true, base_momentum: 0.8, max_momentum: 0.9, every: "step" },
      {
        kind: "onecycle",
        max_lr: 1,
        total_steps: null,
        pct_start: 0.3,
        anneal_strategy: "cos",
        div_factor: 25,
        final_div_factor: 1e4,
        three_phase: true,
        every: "step",
      },
      {
        kind: "sequence",
        every: "step",
        milestones: [5],
        parts: [
          { kind: "warmup", total_iters: 5, start_factor: 0.1, end_factor: 1, every: "step" },
          { kind: "cosine", t_max: null, eta_min: 0, every: "step" },
        ],
      },
    ];
    const run = { epochs: 4, stepsPerEpoch: 5 };
    for (const config of configs) {
      const straight = rates(config, 20, run);
      const first = createSchedule(config, { ...RUN, ...run });
      for (let i = 0; i < 7; i++) first.onStep();
      const saved = JSON.parse(JSON.stringify(first.saveState())) as Record<string, number>;
      const second = createSchedule(config, { ...RUN, ...run });
      second.loadState(saved);
      const rest: number[] = [];
      for (let i = 7; i < 20; i++) {
        rest.push(second.lr);
        second.onStep();
      }
      expect([...straight.slice(0, 7), ...rest], config.kind).toEqual(straight);
    }
  });
});
