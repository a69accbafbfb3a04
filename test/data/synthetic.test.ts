// The seeded synthetic sets: shapes, determinism and the statistics that make them what they are.

import { describe, expect, it } from "vitest";
import type { Dataset } from "../../runtime/data/dataset.ts";
import { blobs, moons, spirals, xor } from "../../runtime/data/synthetic-classes.ts";
import { linear, quadratic } from "../../runtime/data/synthetic-regression.ts";

const counts = (d: Dataset) => {
  const c = new Array(d.classes!).fill(0);
  for (const y of d.targets) c[y]++;
  return c;
};

// Least squares through the normal equations (small d), with a column of ones for the intercept.
function leastSquares(x: Float32Array, y: Float32Array, n: number, d: number): number[] {
  const m = d + 1;
  const a = Array.from({ length: m }, () => new Array(m + 1).fill(0));
  for (let i = 0; i < n; i++) {
    const row = [...x.subarray(i * d, (i + 1) * d), 1];
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < m; c++) a[r]![c] += row[r]! * row[c]!;
      a[r]![m] += row[r]! * y[i]!;
    }
  }
  for (let p = 0; p < m; p++) {
    for (let r = p + 1; r < m; r++) {
      const f = a[r]![p] / a[p]![p];
      for (let c = p; c <= m; c++) a[r]![c] -= f * a[p]![c];
    }
  }
  const solution = new Array(m).fill(0);
  for (let r = m - 1; r >= 0; r--) {
    let s = a[r]![m];
    for (let c = r + 1; c < m; c++) s -= a[r]![c] * solution[c];
    solution[r] = s / a[r]![r];
  }
  return solution;
}

describe("synthetic classification sets", () => {
  it("xor: 2 features, balanced, labelled by the sign of x·y when the noise is small", () => {
    const d = xor({ kind: "xor", n: 402, noise: 0.1, seed: 3 });
    expect([d.n, d.featureSize, d.classes, d.targetKind]).toEqual([402, 2, 2, "class"]);
    expect(counts(d)).toEqual([201, 201]);
    for (let i = 0; i < d.n; i++) expect(d.targets[i]).toBe(d.features[2 * i]! * d.features[2 * i + 1]! < 0 ? 1 : 0);
  });

  it("moons: scikit-learn's shape; noiseless points lie on the two half circles", () => {
    const d = moons({ kind: "moons", n: 101, noise: 0, seed: 1 });
    expect(counts(d)).toEqual([50, 51]);
    for (let i = 0; i < d.n; i++) {
      const [x, y] = [d.features[2 * i]!, d.features[2 * i + 1]!];
      const radius = d.targets[i] === 0 ? Math.hypot(x, y) : Math.hypot(x - 1, y - 0.5);
      expect(radius).toBeCloseTo(1, 5);
      expect(d.targets[i] === 0 ? y >= -1e-6 : y <= 0.5 + 1e-6).toBe(true);
    }
  });

  it("spirals: one balanced class per arm, radius at most 1 without noise", () => {
    const d = spirals({ kind: "spirals", n: 301, classes: 3, noise: 0, seed: 1 });
    expect(counts(d)).toEqual([101, 100, 100]);
    for (let i = 0; i < d.n; i++) expect(Math.hypot(d.features[2 * i]!, d.features[2 * i + 1]!)).toBeLessThanOrEqual(1 + 1e-6);
  });

  it("blobs: clusters with the asked spread in the asked dimensions", () => {
    const d = blobs({ kind: "blobs", n: 3000, classes: 3, features: 4, spread: 0.5, seed: 2 });
    expect([d.featureSize, d.classes]).toEqual([4, 3]);
    expect(counts(d)).toEqual([1000, 1000, 1000]);
    // Each class's per-feature standard deviation is close to the spread.
    for (let k = 0; k < 3; k++) {
      const rows = [...Array(d.n).keys()].filter((i) => d.targets[i] === k);
      const xs = rows.map((i) => d.features[i * 4]!);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      expect(std).toBeGreaterThan(0.45);
      expect(std).toBeLessThan(0.55);
    }
  });

  it("the same seed gives the same rows; another seed, other rows", () => {
    for (const make of [
      (seed: number) => xor({ kind: "xor", n: 50, noise: 0.2, seed }),
      (seed: number) => moons({ kind: "moons", n: 50, noise: 0.2, seed }),
      (seed: number) => spirals({ kind: "spirals", n: 50, classes: 4, noise: 0.2, seed }),
      (seed: number) => blobs({ kind: "blobs", n: 50, classes: 2, features: 3, spread: 1, seed }),
      (seed: number) => linear({ kind: "linear", n: 50, weights: [1, 2], bias: 0, noise: 0.1, seed }),
      (seed: number) => quadratic({ kind: "quadratic", n: 50, a: [1], b: [0], c: 0, noise: 0.1, seed }),
    ]) {
      expect(make(5)).toEqual(make(5));
      expect(make(5).features).not.toEqual(make(6).features);
    }
  });

  it("shuffles the rows rather than listing one class after another", () => {
    const d = spirals({ kind: "spirals", n: 300, classes: 3, noise: 0.1, seed: 1 });
    expect(counts({ ...d, n: 30, targets: d.targets.subarray(0, 30) }).every((c) => c > 0)).toBe(true);
  });
});

describe("synthetic regression sets", () => {
  it("linear: least squares on the data recovers the weights and the bias", () => {
    const d = linear({ kind: "linear", n: 2000, weights: [2, -3, 0.5], bias: 1, noise: 0.1, seed: 4 });
    expect([d.n, d.featureSize, d.targetKind, d.classes]).toEqual([2000, 3, "real", null]);
    for (const v of d.features) expect(Math.abs(v)).toBeLessThanOrEqual(1);
    const fit = leastSquares(d.features, d.targets, d.n, 3);
    [2, -3, 0.5, 1].forEach((w, j) => expect(fit[j]).toBeCloseTo(w, 1));
  });

  it("linear without noise is fitted exactly", () => {
    const d = linear({ kind: "linear", n: 100, weights: [1.5], bias: -0.25, noise: 0, seed: 1 });
    for (let i = 0; i < d.n; i++) expect(d.targets[i]).toBeCloseTo(1.5 * d.features[i]! - 0.25, 6);
  });

  it("quadratic: least squares on [x², x] recovers a, b and c", () => {
    const d = quadratic({ kind: "quadratic", n: 2000, a: [3, -1], b: [0.5, 2], c: -2, noise: 0.05, seed: 9 });
    expect(d.featureSize).toBe(2);
    const design = new Float32Array(d.n * 4);
    for (let i = 0; i < d.n; i++) {
      const [x1, x2] = [d.features[2 * i]!, d.features[2 * i + 1]!];
      design.set([x1 * x1, x2 * x2, x1, x2], i * 4);
    }
    const fit = leastSquares(design, d.targets, d.n, 4);
    [3, -1, 0.5, 2, -2].forEach((w, j) => expect(fit[j]).toBeCloseTo(w, 1));
  });
});
