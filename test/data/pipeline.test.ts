// Splits, standardization, target encoding and the loadData entry point.

import { describe, expect, it } from "vitest";
import type { Dataset } from "../../runtime/data/dataset.ts";
import { encodeTargets } from "../../runtime/data/encode.ts";
import { DataError } from "../../runtime/data/errors.ts";
import { loadData } from "../../runtime/data/load.ts";
import { makeSplits } from "../../runtime/data/split.ts";
import { applyStandardizer, fitStandardizer } from "../../runtime/data/standardize.ts";
import { linear } from "../../runtime/data/synthetic-regression.ts";

// A data set whose feature 0 is the row's own number, so splits can be traced back to rows.
function numbered(n: number): Dataset {
  return {
    n,
    features: Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? i / 2 : 5)),
    featureSize: 2,
    targets: Float32Array.from({ length: n }, (_, i) => i % 3),
    targetSize: 1,
    targetKind: "class",
    classes: 3,
    featureNames: null,
    classNames: null,
    source: "numbered",
  };
}
const rows = (d: Dataset | null) => (d ? Array.from({ length: d.n }, (_, i) => d.features[i * 2]!) : []);

describe("makeSplits", () => {
  it("holds out the asked fractions, disjoint and together covering every row", () => {
    const s = makeSplits({ train: numbered(1000), test: null }, { validation: 0.1, test: 0.2 }, 42);
    expect([s.train.n, s.validation!.n, s.test!.n]).toEqual([700, 100, 200]);
    const all = [...rows(s.train), ...rows(s.validation), ...rows(s.test)].sort((a, b) => a - b);
    expect(all).toEqual([...Array(1000).keys()]);
    expect(s.train.source).toBe("numbered (train)");
  });

  it("is deterministic for a seed and shuffled (not the first rows)", () => {
    const a = makeSplits({ train: numbered(100), test: null }, { validation: 0.2, test: 0 }, 1);
    const b = makeSplits({ train: numbered(100), test: null }, { validation: 0.2, test: 0 }, 1);
    const c = makeSplits({ train: numbered(100), test: null }, { validation: 0.2, test: 0 }, 2);
    expect(rows(a.validation)).toEqual(rows(b.validation));
    expect(rows(a.validation)).not.toEqual(rows(c.validation));
    expect(rows(a.validation)).not.toEqual([...Array(20).keys()]);
    expect(a.test).toBeNull();
  });

  it("keeps a source's own test set and takes validation from its training part", () => {
    const data = loadData({ kind: "mnist", train: 1000, test: 300, seed: 1 }, { baseDir: "." });
    const s = makeSplits(data, { validation: 0.1, test: 0 }, 5);
    expect([s.train.n, s.validation!.n, s.test!.n]).toEqual([900, 100, 300]);
    expect(s.test).toBe(data.test);
    expect(s.validation!.source).toBe("mnist (validation)");
    expect(() => makeSplits(data, { validation: 0, test: 0.1 }, 5)).toThrow(/E0709/);
  });

  it("holds out at least one example for a small fraction and refuses to leave none for training", () => {
    const s = makeSplits({ train: numbered(5), test: null }, { validation: 0.01, test: 0 }, 1);
    expect([s.train.n, s.validation!.n]).toEqual([4, 1]);
    expect(() => makeSplits({ train: numbered(2), test: null }, { validation: 0.5, test: 0.5 }, 1)).toThrow(DataError);
    const none = makeSplits({ train: numbered(10), test: null }, { validation: 0, test: 0 }, 1);
    expect([none.train.n, none.validation, none.test]).toEqual([10, null, null]);
  });
});

describe("standardization", () => {
  it("gives the training split mean 0 and population std 1, and a constant feature std 1", () => {
    const s = makeSplits({ train: numbered(500), test: null }, { validation: 0.2, test: 0.2 }, 3);
    const standardizer = fitStandardizer(s.train);
    expect(standardizer.std[1]).toBe(1); // feature 1 is the constant 5
    const train = applyStandardizer(standardizer, s.train);
    const column = rows(train);
    const mean = column.reduce((a, b) => a + b, 0) / column.length;
    const std = Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length);
    expect(mean).toBeCloseTo(0, 5);
    expect(std).toBeCloseTo(1, 5);
    expect(train.features[1]).toBe(0);
  });

  it("uses the training split only: changing validation and test rows changes nothing", () => {
    const data = linear({ kind: "linear", n: 300, weights: [1, 2], bias: 0, noise: 0, seed: 1 });
    const s = makeSplits({ train: data, test: null }, { validation: 0.2, test: 0.2 }, 7);
    const before = fitStandardizer(s.train);
    // Blow the held-out rows up; a standardizer that saw them would move.
    s.validation!.features.fill(1e6);
    s.test!.features.fill(-1e6);
    const after = fitStandardizer(s.train);
    expect(after).toEqual(before);
    // The held-out splits are standardized with the training statistics, so they are not centred.
    const validation = applyStandardizer(after, s.validation!);
    expect(validation.features[0]).toBeCloseTo((1e6 - after.mean[0]!) / after.std[0]!, -1);
  });

  it("does not change the data set it standardizes", () => {
    const d = numbered(10);
    const copy = d.features.slice();
    applyStandardizer(fitStandardizer(d), d);
    expect(d.features).toEqual(copy);
  });
});

describe("encodeTargets", () => {
  const d = { ...numbered(4), targets: Float32Array.from([0, 2, 1, 2]) };
  it("one-hot rows for a [B, K] target", () => {
    const e = encodeTargets(d, "one_hot");
    expect([e.targetSize, e.targetKind]).toEqual([3, "real"]);
    expect([...e.targets]).toEqual([1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1]);
  });
  it("−1/+1 for hinge and perceptron", () => {
    const two = { ...d, classes: 2, targets: Float32Array.from([0, 1, 1, 0]) };
    expect([...encodeTargets(two, "signed").targets]).toEqual([-1, 1, 1, -1]);
    expect(encodeTargets(two, "real").targetKind).toBe("real");
    expect(encodeTargets(two, "class")).toBe(two);
  });
});

describe("loadData", () => {
  it("loads every built-in kind, and CSV relative to the base folder", () => {
    expect(loadData({ kind: "iris" }, { baseDir: "." }).train.n).toBe(150);
    expect(loadData({ kind: "moons", n: 20, noise: 0.1, seed: 1 }, { baseDir: "." }).train.featureSize).toBe(2);
    const csv = loadData(
      { kind: "csv", path: "flowers.csv", label: "species", features: null, header: true, delimiter: "," },
      { baseDir: "test/data/fixtures", csvLabels: { kind: "class", classes: 3 } },
    );
    expect(csv.train.n).toBe(4);
    expect(csv.test).toBeNull();
  });
});
