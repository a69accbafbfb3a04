// What the loop reports: the epoch table's learning rate is the one the epoch's last step used
// (as EpochReport.lr says), and each step's progress carries the rate that step used.

import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.ts";
import { CpuTrainer } from "../../runtime/train/cpu-trainer.ts";
import { initializeParams, initializeState } from "../../runtime/train/init.ts";
import { type EpochReport, runTraining, type StepProgress } from "../../runtime/train/loop.ts";
import { prepareData } from "../../runtime/train/prepare.ts";
import { targetInfo } from "../../cli/session.ts";

const SOURCE = `
model reg {
  input  x: [B, 2]
  target y: [B, 1]
  pred = dense(x, 1)
  loss mse(pred, y)
}

train reg {
  data      linear(n: 64, weights: [1, 2], seed: 1)
  batch     16
  epochs    2
  shuffle   false
  optimizer sgd(lr: 0.1)
  schedule  exponential(gamma: 0.5, every: step)
}
`;

describe("the loop's reports", () => {
  it("an epoch's lr is its last step's; a step's lr is its own", () => {
    const compiled = compile(SOURCE, "reg.nn");
    const { model, config, trainGraph, evalGraph } = compiled;
    const loss = model!.loss!;
    const trainer = new CpuTrainer({ trainGraph: trainGraph!, evalGraph: evalGraph!, loss: loss.kind, reduction: loss.reduction }, initializeParams(trainGraph!.params, 0), initializeState(trainGraph!.state));
    const data = prepareData(config!, targetInfo(model!), ".");
    const epochs: EpochReport[] = [];
    const steps: StepProgress[] = [];
    runTraining(
      { config: config!, trainGraph: trainGraph!, trainer, data, loss: loss.kind, reduction: loss.reduction },
      { savePath: null, gradNorms: false, resume: null },
      { onEpoch: (r) => epochs.push(r), onStep: (s) => steps.push(s) },
    );
    // Four steps per epoch at 0.1·0.5^t, t = 0, 1, … counting steps.
    expect(steps.map((s) => s.lr)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((t) => 0.1 * 0.5 ** t));
    expect(epochs.map((e) => e.lr)).toEqual([0.1 * 0.5 ** 3, 0.1 * 0.5 ** 7]);
  });
});
