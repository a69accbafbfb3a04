// The schedule of `nnc ensemble --snapshots`: cycles of whole epochs, and a cosine per cycle that
// the language's own sequence semantics restart from the optimizer's rate.

import { describe, expect, it } from "vitest";
import { snapshotSchedule } from "../../cli/ensemble-plan.ts";
import { compile } from "../../compiler/index.ts";
import { setOverride } from "../../compiler/analyze/overrides.ts";
import { createSchedule } from "../../runtime/train/schedules/index.ts";

const FILE = `
model m {
  input  x: [B, 2]
  target y: class[B] of 2
  logits = dense(x, 2)
  loss   cross_entropy(logits, y)
}

train m {
  data      moons(n: 100)
  epochs    10
  optimizer sgd(lr: 0.2)
  schedule  warmup(steps: 3) then exponential(gamma: 0.5)
}
`;

describe("snapshot cycles", () => {
  it("cut the epochs as evenly as whole epochs allow", () => {
    expect(snapshotSchedule(10, 3, 4)).toEqual({ boundaries: [3, 7, 10], schedule: "cosine(t_max: 12, every: step) then cosine(t_max: 16) then cosine()" });
    expect(snapshotSchedule(6, 3, 1).boundaries).toEqual([2, 4, 6]);
    expect(snapshotSchedule(5, 5, 2).boundaries).toEqual([1, 2, 3, 4, 5]);
  });

  it("anneal from the optimizer's rate to near 0 in every cycle, per step, and restart", () => {
    const steps = 4;
    const { schedule } = snapshotSchedule(10, 3, steps);
    const compiled = compile(FILE, "m.nn", { overrides: [{ ...setOverride(1, `schedule=${schedule}`)!, name: "--snapshots" }] });
    expect(compiled.diagnostics).toEqual([]);
    const run = createSchedule(compiled.config!.schedule, { baseLr: 0.2, stepsPerEpoch: steps, epochs: 10 });
    const rates: number[] = [];
    for (let t = 0; t < 40; t++) {
      rates.push(run.lr);
      run.onStep();
    }
    for (const start of [0, 12, 28]) expect(rates[start]).toBeCloseTo(0.2, 12);
    for (const end of [11, 27, 39]) expect(rates[end]).toBeLessThan(0.2 * 0.02);
    // Within a cycle the rate only falls.
    for (let t = 1; t < 12; t++) expect(rates[t]).toBeLessThan(rates[t - 1]!);
  });
});
