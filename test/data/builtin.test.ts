// MNIST and Iris: shapes, value ranges, and MNIST's seeded train/test split.

import { describe, expect, it } from "vitest";
import { loadIris } from "../../runtime/data/iris.ts";
import { loadMnist, mnistDigits } from "../../runtime/data/mnist.ts";
import { DataError } from "../../runtime/data/errors.ts";

// A digit's identity: its pixels' bytes (the package's 10,000 digits are all distinct).
const fingerprints = (features: Float32Array, n: number) =>
  Array.from({ length: n }, (_, i) => Buffer.from(features.buffer, features.byteOffset + i * 784 * 4, 784 * 4).toString("base64"));

describe("mnist", () => {
  it("holds 10,000 digits of 784 pixels in [0, 1], about a thousand per class", () => {
    const all = mnistDigits();
    expect(all.n).toBe(10000);
    expect(all.features.length).toBe(10000 * 784);
    let min = Infinity;
    let max = -Infinity;
    for (const v of all.features) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.99);
    const counts = new Array(10).fill(0);
    for (const y of all.targets) counts[y]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
  });

  it("splits into train and test of the asked sizes, without overlap", () => {
    const { train, test } = loadMnist({ kind: "mnist", train: 8000, test: 2000, seed: 1 });
    expect(train.n).toBe(8000);
    expect(test!.n).toBe(2000);
    expect([train.featureSize, train.targetSize, train.classes, train.targetKind]).toEqual([784, 1, 10, "class"]);
    for (const y of test!.targets) expect(Number.isInteger(y) && y >= 0 && y <= 9).toBe(true);
    // train + test = all 10,000 digits, each once.
    const seen = new Set([...fingerprints(train.features, 8000), ...fingerprints(test!.features, 2000)]);
    expect(seen.size).toBe(10000);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const a = loadMnist({ kind: "mnist", train: 100, test: 50, seed: 7 });
    const b = loadMnist({ kind: "mnist", train: 100, test: 50, seed: 7 });
    const c = loadMnist({ kind: "mnist", train: 100, test: 50, seed: 8 });
    expect(a.train.features).toEqual(b.train.features);
    expect(a.test!.targets).toEqual(b.test!.targets);
    expect(a.train.features).not.toEqual(c.train.features);
  });

  it("gives no test set for test: 0 and refuses more than 10,000 digits", () => {
    expect(loadMnist({ kind: "mnist", train: 10, test: 0, seed: 1 }).test).toBeNull();
    expect(() => loadMnist({ kind: "mnist", train: 9000, test: 2000, seed: 1 })).toThrow(DataError);
  });
});

describe("iris", () => {
  it("has 150 flowers, 4 named features and 3 classes of 50 in the documented order", () => {
    const iris = loadIris();
    expect([iris.n, iris.featureSize, iris.targetSize, iris.classes]).toEqual([150, 4, 1, 3]);
    expect(iris.featureNames).toEqual(["sepal_length", "sepal_width", "petal_length", "petal_width"]);
    expect(iris.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect([...iris.features.subarray(0, 4)]).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    const counts = [0, 0, 0];
    for (const y of iris.targets) counts[y]!++;
    expect(counts).toEqual([50, 50, 50]);
    expect(iris.targets[0]).toBe(0);
    expect(iris.targets[149]).toBe(2);
  });
});
