// What the loop reports: the epoch table's learning rate is the one the epoch's last step used
// (as EpochReport.lr says), and each step's progress carries the rate that step used.

import { describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.ts";
import { createSession } from "../../runtime/session.ts";
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
  it("an epoch's lr is its last step's; a step's lr is its own", async () => {
    const compiled = compile(SOURCE, "reg.nn");
    const { model, config, trainGraph, evalGraph } = compiled;
    const initial = { params: initializeParams(trainGraph!.params, 0), state: initializeState(trainGraph!.state) };
    const session = await createSession({ model: model!, trainGraph: trainGraph!, evalGraph: evalGraph! }, config!, initial, { backend: "cpu" });
    const data = prepareData(config!, targetInfo(model!), ".");
    const epochs: EpochReport[] = [];
    const steps: StepProgress[] = [];
    await runTraining(
      { config: config!, programs: session.programs, backend: session.backend, data },
      { savePath: null, gradNorms: false, resume: null },
      { onEpoch: (r) => epochs.push(r), onStep: (s) => steps.push(s) },
    );
    // Four steps per epoch at 0.1·0.5^t, t = 0, 1, … counting steps.
    expect(steps.map((s) => s.lr)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((t) => 0.1 * 0.5 ** t));
    expect(epochs.map((e) => e.lr)).toEqual([0.1 * 0.5 ** 3, 0.1 * 0.5 ** 7]);
  });
});
