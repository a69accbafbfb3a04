// The run history the training loop records (runtime/train/history.ts): one record per epoch with
// every metric, thinned step records, and events for schedule phases, plateau's cuts, early
// stopping and the restored epoch; the records streamed to `onRecord` are exactly the history's;
// and the summary's `train` is the final weights evaluated, its `trainRunning` the last epoch's
// running means.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../runtime/train/checkpoint.ts";
import { type HistoryRecord, MAX_STEP_POINTS, stepStride } from "../../runtime/train/history.ts";
import type { StepProgress } from "../../runtime/train/loop.ts";
import { schedulePhases } from "../../runtime/train/schedules/index.ts";
import { trainExample } from "../e2e/train-helpers.ts";

const scratch = mkdtempSync(join(tmpdir(), "nnc-history-"));

// 300 moons, a quarter for validation: 225 training examples in batches of 12, 19 steps per epoch.
const MOONS = (settings: string) => `
model moons {
  input  x: [B, 2]
  target y: class[B] of 2
  h = dense(x, 12) |> tanh
  logits = dense(h, 2)
  loss cross_entropy(logits, y)
}

train moons {
  data      moons(n: 300, noise: 0.25, seed: 4)
  split     validation: 0.25
  batch     12
  seed      5
${settings}
}
`;

const WARMUP_THEN_COSINE = MOONS(`  epochs    30
  optimizer sgd(lr: 0.3, momentum: 0.9)
  schedule  warmup(steps: 40) then cosine(to: 1e-3)
  stop      early(on: val_loss, patience: 2, restore: best)`);

function train(source: string, options: Parameters<typeof trainExample>[2] = {}) {
  const records: HistoryRecord[] = [];
  const steps: StepProgress[] = [];
  const run = trainExample("moons.nn", undefined, { source, ...options, hooks: { onRecord: (r) => records.push(r), onStep: (s) => steps.push(s) } });
  return run.then((trained) => ({ ...trained, records, steps }));
}

describe("the step stride", () => {
  it("is the smallest power of two that keeps the planned steps to the limit", () => {
    expect(stepStride(945)).toBe(1);
    expect(stepStride(MAX_STEP_POINTS)).toBe(1);
    expect(stepStride(MAX_STEP_POINTS + 1)).toBe(2);
    expect(stepStride(10_000)).toBe(8); // 1,250 records; a stride of 4 would keep 2,500
    expect(stepStride(0)).toBe(1);
    expect(stepStride(100, 10)).toBe(16);
  });
});

describe("schedule phases", () => {
  it("a sequence's parts begin at its milestones; onecycle rises, then falls", () => {
    const run = { baseLr: 0.1, stepsPerEpoch: 10, epochs: 10 };
    const sequence = { kind: "sequence" as const, every: "step" as const, milestones: [40], parts: [{ kind: "warmup" as const, total_iters: 40, start_factor: 0.1, end_factor: 1, every: "step" as const }, { kind: "cosine" as const, t_max: null, eta_min: 0, every: "step" as const }] };
    expect(schedulePhases(sequence, run)).toEqual([{ name: "warmup", start: 0 }, { name: "cosine", start: 40 }]);
    expect(schedulePhases({ kind: "constant", every: "epoch" }, run)).toEqual([{ name: "constant", start: 0 }]);
    const onecycle = { kind: "onecycle" as const, max_lr: 1, total_steps: 100, pct_start: 0.3, anneal_strategy: "cos" as const, div_factor: 25, final_div_factor: 1e4, three_phase: false, every: "step" as const };
    // Phase one holds t ≤ 0.3·100 − 1 = 29: the fall starts at t = 30.
    expect(schedulePhases(onecycle, run)).toEqual([{ name: "onecycle rise", start: 0 }, { name: "onecycle fall", start: 30 }]);
  });
});

describe("the run history", () => {
  it("records every epoch, every step, the phases, early stopping and the restored epoch, and streams the same records", async () => {
    const { summary, epochs, records, steps } = await train(WARMUP_THEN_COSINE);
    const { history } = summary;
    expect(history.steps_per_epoch).toBe(19);
    expect(history.step_stride).toBe(1);
    expect(history.columns).toEqual(["train_loss", "train_data_loss", "train_reg_loss", "train_accuracy", "val_loss", "val_data_loss", "val_reg_loss", "val_accuracy"]);

    // One epoch record per epoch, with what the epoch's report said.
    expect(history.epochs.map((e) => e.epoch)).toEqual(epochs.map((e) => e.epoch));
    history.epochs.forEach((record, i) => {
      const report = epochs[i]!;
      expect(record).toMatchObject({ step: report.step, lr: report.lr, seconds: report.seconds, train_loss: report.train.loss, train_accuracy: report.train.accuracy!, val_loss: report.validation!.loss, val_accuracy: report.validation!.accuracy! });
    });

    // Every step, with the loss and rate the progress hook saw.
    expect(history.steps.map((s) => s.step)).toEqual(steps.map((_, i) => i + 1));
    history.steps.forEach((record, i) => {
      expect(record).toEqual({ kind: "step", step: i + 1, epoch: steps[i]!.epoch, loss: steps[i]!.loss, lr: steps[i]!.lr });
    });
    expect(history.steps[0]!.lr).toBeCloseTo(0.3 / 3, 12); // warmup's start factor is 1/3
    expect(history.steps[40]!.lr).toBeCloseTo(0.3, 12); // step 41, the cosine's first

    // Events: the phases where they begin, then the stop and the restored epoch.
    expect(summary.stoppedEarly).toBe(true);
    const last = summary.epochs;
    expect(history.events).toEqual([
      { kind: "event", event: "phase", epoch: 1, step: 1, name: "warmup" },
      { kind: "event", event: "phase", epoch: 3, step: 41, name: "cosine" },
      { kind: "event", event: "early_stop", epoch: last, step: last * 19, name: "val_loss", best_epoch: summary.bestEpoch },
      { kind: "event", event: "restored", epoch: summary.bestEpoch, step: summary.bestEpoch! * 19 },
    ]);

    // The stream: the run record first, then the same records in the order they were made.
    expect(records[0]).toEqual({ kind: "run", format: "nnc-history-1", epochs: 30, first_epoch: 1, steps_per_epoch: 19, step_stride: 1, columns: history.columns });
    const streamed = records.slice(1);
    expect(streamed.filter((r) => r.kind === "step")).toEqual(history.steps);
    expect(streamed.filter((r) => r.kind === "epoch")).toEqual(history.epochs);
    expect(streamed.filter((r) => r.kind === "event")).toEqual(history.events);
    // A step's record comes when its loss is read (after the next step was issued), yet the records
    // are in the order of their steps, but for the restored epoch's, which comes last.
    const order = streamed.slice(0, -1).map((r) => (r.kind === "run" ? 0 : r.step));
    expect(order).toEqual([...order].sort((a, b) => a - b));

    // The final train line is the restored weights evaluated; the running means stay apart.
    const best = history.epochs[summary.bestEpoch! - 1]!;
    expect(summary.trainRunning!.loss).toBe(history.epochs.at(-1)!.train_loss);
    expect(summary.validation!.loss).toBeCloseTo(best.val_loss!, 6);
    expect(summary.train.n).toBe(225);
    expect(summary.train.loss).not.toBe(summary.trainRunning!.loss);
  });

  it("keeps every k-th step when the run is longer than the limit", async () => {
    const { summary, steps } = await train(MOONS(`  epochs 6\n  optimizer sgd(lr: 0.1)`), { maxStepPoints: 10 });
    const { history } = summary;
    // 6 × 19 = 114 planned steps: a stride of 16 keeps 8 of them.
    expect(history.step_stride).toBe(16);
    expect(history.steps.map((s) => s.step)).toEqual([1, 17, 33, 49, 65, 81, 97, 113]);
    for (const record of history.steps) expect(record.loss).toBe(steps[record.step - 1]!.loss);
  });

  it("marks plateau's cuts, with the rate the next epoch uses", async () => {
    const { summary } = await train(MOONS(`  epochs 12\n  optimizer sgd(lr: 0.5, momentum: 0.9)\n  schedule plateau(on: val_loss, factor: 0.5, patience: 0)`));
    const { history } = summary;
    const cuts = history.events.filter((e) => e.event === "lr_reduced");
    expect(cuts.length).toBeGreaterThan(0);
    for (const cut of cuts) {
      expect(cut.step).toBe(cut.epoch * 19);
      if (cut.epoch < summary.epochs) expect(history.epochs[cut.epoch]!.lr).toBe((cut as { lr: number }).lr);
    }
  });

  it("phases counted in epochs begin at the first step of their epoch", async () => {
    const { summary } = await train(MOONS(`  epochs 5\n  optimizer sgd(lr: 0.1)\n  schedule warmup(steps: 2, every: epoch) then exponential(gamma: 0.5)`));
    expect(summary.history.events).toEqual([
      { kind: "event", event: "phase", epoch: 1, step: 1, name: "warmup" },
      { kind: "event", event: "phase", epoch: 3, step: 39, name: "exponential" },
    ]);
  });

  it("records each layer's gradient norm with --grad-norms", async () => {
    const { summary, epochs } = await train(MOONS(`  epochs 2\n  optimizer sgd(lr: 0.1)`), { gradNorms: true });
    expect(summary.history.columns.slice(-2)).toEqual(["grad_norm.h", "grad_norm.logits"]);
    summary.history.epochs.forEach((record, i) => {
      for (const { layer, norm } of epochs[i]!.gradNorms!) expect(record[`grad_norm.${layer}`]).toBe(norm);
    });
  });

  it("a resumed run's history starts after the checkpoint, in the phase it resumes in", async () => {
    const savePath = join(scratch, "moons.safetensors");
    const source = MOONS(`  epochs 3\n  optimizer sgd(lr: 0.3, momentum: 0.9)\n  schedule warmup(steps: 40) then cosine(to: 1e-3)`);
    await train(source, { savePath });
    const resumed = await train(source.replace("epochs 3", "epochs 5"), { resume: loadCheckpoint(savePath, { optimizer: true }) });
    const { history } = resumed.summary;
    expect(resumed.records[0]).toMatchObject({ kind: "run", epochs: 5, first_epoch: 4 });
    expect(history.epochs.map((e) => e.epoch)).toEqual([4, 5]);
    expect(history.steps[0]!.step).toBe(58);
    expect(history.events).toEqual([{ kind: "event", event: "phase", epoch: 3, step: 41, name: "cosine" }]);
  });

  it("L-BFGS: one step record per epoch, its loss the one the step started from", async () => {
    const { summary } = await trainExample("examples/lbfgs_logistic.nn", () => ({ epochs: 4 }));
    const { history } = summary;
    expect(history.steps_per_epoch).toBe(1);
    expect(history.steps.map((s) => s.step)).toEqual([1, 2, 3, 4]);
    // A step's loss is measured before it; the epoch's train loss after it (L-BFGS evaluates).
    for (let i = 1; i < 4; i++) expect(history.steps[i]!.loss).toBeCloseTo(history.epochs[i - 1]!.train_loss!, 5);
  });
});
