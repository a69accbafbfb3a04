// The search as numbers: seeded draws inside the box (log-uniform spread over decades, three
// significant digits, whole numbers for int and logint), the narrowing of the box around the best
// trials, successive halving's rungs, and the ranking.

import { describe, expect, it } from "vitest";
import { compareTrials, halvingRungs, narrowBox, sampleRound, spaceBox, topCount, type Ranked } from "../../cli/sweep/search.ts";
import type { Distribution } from "../../cli/sweep/space.ts";

const LR: Distribution = { kind: "loguniform", low: 1e-4, high: 1 };
const MOMENTUM: Distribution = { kind: "uniform", low: 0.5, high: 0.99 };
const EPOCHS: Distribution = { kind: "int", low: 2, high: 10 };
const BATCH: Distribution = { kind: "logint", low: 8, high: 512 };
const OPTIMIZER: Distribution = { kind: "choice", values: ["sgd(lr: 0.1)", "adam()", "rmsprop()"] };
const ALL = [LR, MOMENTUM, EPOCHS, BATCH, OPTIMIZER];

describe("sampling", () => {
  it("is seeded: the same seed and round give the same trials, another round or seed others", () => {
    const boxes = ALL.map(spaceBox);
    const a = sampleRound(ALL, boxes, 20, 7, 1);
    expect(sampleRound(ALL, boxes, 20, 7, 1)).toEqual(a);
    expect(sampleRound(ALL, boxes, 20, 7, 2)).not.toEqual(a);
    expect(sampleRound(ALL, boxes, 20, 8, 1)).not.toEqual(a);
    // A longer round starts with the same trials.
    expect(sampleRound(ALL, boxes, 30, 7, 1).slice(0, 20)).toEqual(a);
  });

  it("stays in the box, with three significant digits for reals and whole numbers for int and logint", () => {
    const draws = sampleRound(ALL, ALL.map(spaceBox), 2000, 1, 1);
    for (const [lr, momentum, epochs, batch, optimizer] of draws) {
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThanOrEqual(1);
      expect(Number((lr as number).toPrecision(3))).toBe(lr);
      expect(momentum).toBeGreaterThanOrEqual(0.5);
      expect(momentum).toBeLessThanOrEqual(0.99);
      expect(Number.isInteger(epochs) && (epochs as number) >= 2 && (epochs as number) <= 10).toBe(true);
      expect(Number.isInteger(batch) && (batch as number) >= 8 && (batch as number) <= 512).toBe(true);
      expect(OPTIMIZER.kind === "choice" && OPTIMIZER.values.includes(optimizer as string)).toBe(true);
    }
    // Log-uniform: each of the four decades gets about a quarter of the draws.
    for (let decade = -4; decade < 0; decade++) {
      const share = draws.filter(([lr]) => (lr as number) >= 10 ** decade && (lr as number) < 10 ** (decade + 1)).length / draws.length;
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.3);
    }
    // Every whole number of int(2, 10) comes up; logint draws as many from 8..63 as from 64..511.
    expect(new Set(draws.map((d) => d[2])).size).toBe(9);
    const small = draws.filter((d) => (d[3] as number) < 64).length / draws.length;
    expect(small).toBeGreaterThan(0.43);
    expect(small).toBeLessThan(0.57);
  });
});

describe("narrowing", () => {
  it("spans the best trials in log space for a log-uniform key, widened by a quarter on each side", () => {
    const box = narrowBox(LR, spaceBox(LR), [1e-3, 1e-2]);
    // log10: from −3 to −2, widened by 0.25 on each side.
    expect(box.kind === "range" && Math.log10(box.low)).toBeCloseTo(-3.25, 10);
    expect(box.kind === "range" && Math.log10(box.high)).toBeCloseTo(-1.75, 10);
  });

  it("spans a uniform key linearly and never leaves the space", () => {
    const box = narrowBox(MOMENTUM, spaceBox(MOMENTUM), [0.6, 0.8]);
    expect(box.kind === "range" && box.low).toBeCloseTo(0.55, 12);
    expect(box.kind === "range" && box.high).toBeCloseTo(0.85, 12);
    const edge = narrowBox(MOMENTUM, spaceBox(MOMENTUM), [0.9, 0.99]);
    expect(edge.kind === "range" && edge.high).toBe(0.99);
  });

  it("keeps at least a tenth of the box's width when the best trials agree", () => {
    const box = narrowBox(LR, spaceBox(LR), [1e-2, 1e-2]);
    expect(box.kind === "range" && Math.log10(box.high / box.low)).toBeCloseTo(0.4, 10);
    expect(box.kind === "range" && Math.log10(box.low)).toBeCloseTo(-2.2, 10);
  });

  it("rounds a whole-number range outwards, and keeps the choices the best trials made", () => {
    expect(narrowBox(EPOCHS, spaceBox(EPOCHS), [4, 6])).toEqual({ kind: "range", low: 3, high: 7 });
    expect(narrowBox(OPTIMIZER, spaceBox(OPTIMIZER), ["rmsprop()", "sgd(lr: 0.1)", "rmsprop()"])).toEqual({ kind: "choice", values: ["sgd(lr: 0.1)", "rmsprop()"] });
  });

  it("takes the best quarter, at least two", () => {
    expect([1, 2, 3, 8, 9, 20, 40].map(topCount)).toEqual([1, 2, 2, 2, 3, 5, 10]);
  });
});

describe("successive halving", () => {
  it("halves the trials and doubles the epochs, rung by rung, up to the full epochs", () => {
    expect(halvingRungs(16, 16)).toEqual([
      { epochs: 1, trials: 16 },
      { epochs: 2, trials: 8 },
      { epochs: 4, trials: 4 },
      { epochs: 8, trials: 2 },
      { epochs: 16, trials: 1 },
    ]);
    // As many rungs as the epochs allow; the trials are rounded up.
    expect(halvingRungs(20, 8)).toEqual([
      { epochs: 1, trials: 20 },
      { epochs: 2, trials: 10 },
      { epochs: 4, trials: 5 },
      { epochs: 8, trials: 3 },
    ]);
    expect(halvingRungs(4, 30)).toEqual([
      { epochs: 8, trials: 4 },
      { epochs: 15, trials: 2 },
      { epochs: 30, trials: 1 },
    ]);
    expect(halvingRungs(1, 30)).toHaveLength(1);
  });
});

describe("ranking", () => {
  const trial = (trial: number, status: Ranked["status"], metric: number | null, rung = 0): Ranked => ({ round: 1, trial, rung, status, metric });
  it("puts finished trials first, the further rung first, by the metric, then the diverged and the failed", () => {
    const trials = [trial(1, "failed", null), trial(2, "ok", 0.5), trial(3, "diverged", null), trial(4, "ok", 0.3), trial(5, "ok", 0.9, 1), trial(6, "ok", 0.3)];
    expect([...trials].sort(compareTrials("min")).map((t) => t.trial)).toEqual([5, 4, 6, 2, 3, 1]);
    expect([...trials].sort(compareTrials("max")).map((t) => t.trial)).toEqual([5, 2, 4, 6, 3, 1]);
  });
});
