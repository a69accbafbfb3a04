// Early stopping with Keras's EarlyStopping rule: an epoch improves when the metric beats the best
// so far by more than min_delta in the mode's direction; the run stops once `patience` epochs in a
// row have not improved. Expected verdicts are traced by hand.

import { describe, expect, it } from "vitest";
import type { EarlyStoppingConfig } from "../../compiler/ir/config.ts";
import { EarlyStopping, type EarlyStoppingVerdict } from "../../runtime/train/early-stopping.ts";
import { decodeJson, encodeJson } from "../../runtime/train/json-numbers.ts";

const config = (overrides: Partial<EarlyStoppingConfig> = {}): EarlyStoppingConfig => ({
  metric: "val_loss",
  mode: "min",
  patience: 2,
  min_delta: 0,
  restore: "best",
  ...overrides,
});

// Feeds one value per epoch (1-based) and returns the verdicts.
function run(early: EarlyStopping, values: number[], metric = "val_loss", firstEpoch = 1): EarlyStoppingVerdict[] {
  return values.map((value, i) => early.update(firstEpoch + i, { [metric]: value }));
}

const improved = (verdicts: EarlyStoppingVerdict[]) => verdicts.map((v) => v.improved);
const stops = (verdicts: EarlyStoppingVerdict[]) => verdicts.map((v) => v.stop);

describe("early stopping", () => {
  it("min mode: stops once `patience` epochs in a row have not improved", () => {
    const early = new EarlyStopping(config());
    const verdicts = run(early, [1, 0.9, 0.95, 0.92]);
    expect(improved(verdicts)).toEqual([true, true, false, false]);
    expect(stops(verdicts)).toEqual([false, false, false, true]);
    expect(early.best).toBeCloseTo(0.9, 15);
    expect(early.bestEpoch).toBe(2);
  });

  it("an improvement resets the wait", () => {
    const early = new EarlyStopping(config({ patience: 3 }));
    const verdicts = run(early, [1, 1.1, 1.2, 0.5, 0.6, 0.7, 0.8]);
    expect(improved(verdicts)).toEqual([true, false, false, true, false, false, false]);
    expect(stops(verdicts)).toEqual([false, false, false, false, false, false, true]);
    expect(early.bestEpoch).toBe(4);
  });

  it("an equal value is not an improvement", () => {
    const early = new EarlyStopping(config({ patience: 1 }));
    expect(stops(run(early, [1, 1]))).toEqual([false, true]);
  });

  it("patience 1 stops on the first epoch that does not improve", () => {
    const early = new EarlyStopping(config({ patience: 1 }));
    expect(stops(run(early, [3, 2, 1, 1.5]))).toEqual([false, false, false, true]);
  });

  it("patience 0 still never stops on an improving epoch (Keras: it stops at the first non-improving one)", () => {
    const early = new EarlyStopping(config({ patience: 0 }));
    const verdicts = run(early, [3, 2, 2.5]);
    expect(improved(verdicts)).toEqual([true, true, false]);
    expect(stops(verdicts)).toEqual([false, false, true]);
  });

  it("min_delta: the metric must fall by more than min_delta", () => {
    // Best 1 with min_delta 0.25: 0.75 is not below 0.75; 0.7 is.
    const early = new EarlyStopping(config({ min_delta: 0.25, patience: 5 }));
    const verdicts = run(early, [1, 0.75, 0.8, 0.7, 0.5, 0.4]);
    expect(improved(verdicts)).toEqual([true, false, false, true, false, true]);
    expect(early.best).toBeCloseTo(0.4, 15);
    expect(early.bestEpoch).toBe(6);
  });

  it("max mode watches a metric that should rise, with min_delta added to the best", () => {
    const early = new EarlyStopping(config({ metric: "val_accuracy", mode: "max", min_delta: 0.01, patience: 2 }));
    expect(early.best).toBe(-Infinity);
    const verdicts = run(early, [0.5, 0.6, 0.605, 0.4, 0.62], "val_accuracy");
    expect(improved(verdicts)).toEqual([true, true, false, false, true]);
    expect(stops(verdicts)).toEqual([false, false, false, true, false]);
    expect(early.best).toBeCloseTo(0.62, 15);
    expect(early.bestEpoch).toBe(5);
  });

  it("min mode starts from +Infinity, so the first finite epoch always improves", () => {
    const early = new EarlyStopping(config({ min_delta: 1000 }));
    expect(early.best).toBe(Infinity);
    expect(early.bestEpoch).toBe(0);
    expect(run(early, [1e6])[0]!.improved).toBe(true);
  });

  it("keepBest is set on improving epochs only with restore `best`", () => {
    const best = run(new EarlyStopping(config({ restore: "best" })), [1, 2, 0.5]);
    expect(best.map((v) => v.keepBest)).toEqual([true, false, true]);
    const last = run(new EarlyStopping(config({ restore: "last" })), [1, 2, 0.5]);
    expect(last.map((v) => v.keepBest)).toEqual([false, false, false]);
    expect(improved(last)).toEqual([true, false, true]);
  });

  it("an epoch without the watched metric counts for nothing", () => {
    const early = new EarlyStopping(config({ patience: 1 }));
    early.update(1, { val_loss: 1 });
    const verdict = early.update(2, { train_loss: 5 });
    expect(verdict).toEqual({ improved: false, keepBest: false, stop: false });
    expect(early.update(3, {})).toEqual({ improved: false, keepBest: false, stop: false });
    // The wait is still 0: one bad epoch now uses patience 1 up.
    expect(early.update(4, { val_loss: 2 }).stop).toBe(true);
    expect(early.best).toBe(1);
  });

  it("a NaN metric never improves and counts as a bad epoch", () => {
    const early = new EarlyStopping(config({ patience: 2 }));
    const verdicts = run(early, [NaN, NaN]);
    expect(improved(verdicts)).toEqual([false, false]);
    expect(stops(verdicts)).toEqual([false, true]);
    expect(early.best).toBe(Infinity);
  });

  it("continues identically after saveState/loadState, through the checkpoint's JSON", () => {
    const values = [1, 0.8, 0.9, 0.85, 0.7, 0.75, 0.8, 0.9];
    const straight = new EarlyStopping(config({ patience: 3 }));
    const expected = run(straight, values);
    for (const cut of [0, 1, 3, 5, 6]) {
      const first = new EarlyStopping(config({ patience: 3 }));
      const head = run(first, values.slice(0, cut));
      const state = first.saveState();
      // Non-finite values survive the checkpoint's JSON encoding (see json-numbers.ts).
      const saved = decodeJson(encodeJson(state)) as Record<string, number>;
      const second = new EarlyStopping(config({ patience: 3 }));
      second.loadState(saved);
      const tail = run(second, values.slice(cut), "val_loss", cut + 1);
      expect([...head, ...tail], `cut after ${cut}`).toEqual(expected);
      expect(second.best).toBe(straight.best);
      expect(second.bestEpoch).toBe(straight.bestEpoch);
    }
  });

  it("saveState holds the best value, its epoch and the wait", () => {
    const early = new EarlyStopping(config());
    run(early, [2, 1, 3]);
    expect(early.saveState()).toEqual({ best: 1, bestEpoch: 2, waited: 1 });
    const fresh = new EarlyStopping(config());
    fresh.loadState({});
    expect(fresh.saveState()).toEqual({ best: Infinity, bestEpoch: 0, waited: 0 });
  });
});
