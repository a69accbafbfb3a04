// The symmetric eigen-solver against its definition (A·V = V·Λ, VᵀV = I) and closed forms.

import { describe, expect, it } from "vitest";
import { symmetricEigen, tridiagonalEigen } from "../../runtime/analysis/eigen.ts";
import { Rng } from "../../runtime/rng.ts";

function randomSymmetric(n: number, rng: Rng): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
  }
  return a;
}

// max |A·V − V·Λ| and max |VᵀV − I|, relative to the matrix's largest entry.
function residuals(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array): { decomposition: number; orthogonality: number } {
  let decomposition = 0;
  let orthogonality = 0;
  const scale = Math.max(1, ...a.map(Math.abs));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let av = 0;
      let vv = 0;
      for (let k = 0; k < n; k++) {
        av += a[i * n + k]! * vectors[k * n + j]!;
        vv += vectors[k * n + i]! * vectors[k * n + j]!;
      }
      decomposition = Math.max(decomposition, Math.abs(av - vectors[i * n + j]! * values[j]!) / scale);
      orthogonality = Math.max(orthogonality, Math.abs(vv - (i === j ? 1 : 0)));
    }
  }
  return { decomposition, orthogonality };
}

describe("the symmetric eigen-solver", () => {
  it("decomposes random symmetric matrices to 1e-12, eigenvalues ascending", () => {
    const rng = new Rng(5);
    for (const n of [1, 2, 3, 7, 40, 120]) {
      const a = randomSymmetric(n, rng);
      const { values, vectors } = symmetricEigen(a, n);
      const r = residuals(a, n, values, vectors);
      expect(r.decomposition, `n = ${n}`).toBeLessThan(1e-12 * n);
      expect(r.orthogonality, `n = ${n}`).toBeLessThan(1e-12 * n);
      for (let i = 1; i < n; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
      // The trace is the sum of the eigenvalues.
      let trace = 0;
      for (let i = 0; i < n; i++) trace += a[i * n + i]!;
      expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 10);
    }
  });

  it("finds Rosenbrock's Hessian at (1, 1) in closed form", () => {
    // [[802, −400], [−400, 200]]: λ = 501 ± √(301² + 400²).
    const { values } = symmetricEigen(Float64Array.of(802, -400, -400, 200), 2);
    const root = Math.sqrt(301 ** 2 + 400 ** 2);
    expect(values[0]).toBeCloseTo(501 - root, 12);
    expect(values[1]).toBeCloseTo(501 + root, 10);
  });

  it("handles zero, diagonal and repeated eigenvalues", () => {
    expect(Array.from(symmetricEigen(new Float64Array(9), 3).values)).toEqual([0, 0, 0]);
    expect(Array.from(symmetricEigen(Float64Array.of(3, 0, 0, 0, -2, 0, 0, 0, 3), 3).values)).toEqual([-2, 3, 3]);
    const rng = new Rng(2);
    // Q·diag(1, 1, 1, 5, 5)·Qᵀ from a random orthogonal Q (the vectors of a random symmetric matrix).
    const q = symmetricEigen(randomSymmetric(5, rng), 5).vectors;
    const spectrum = [1, 1, 1, 5, 5];
    const a = new Float64Array(25);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) for (let k = 0; k < 5; k++) a[i * 5 + j] += q[i * 5 + k]! * spectrum[k]! * q[j * 5 + k]!;
    const { values, vectors } = symmetricEigen(a, 5);
    values.forEach((v, i) => expect(v).toBeCloseTo(spectrum[i]!, 12));
    expect(residuals(a, 5, values, vectors).orthogonality).toBeLessThan(1e-12);
  });

  it("decomposes tridiagonal matrices (Lanczos's T) the same way", () => {
    const rng = new Rng(8);
    const n = 30;
    const diagonal = Array.from({ length: n }, () => rng.normal());
    const off = Array.from({ length: n - 1 }, () => rng.normal());
    const a = new Float64Array(n * n);
    diagonal.forEach((d, i) => (a[i * n + i] = d));
    off.forEach((e, i) => (a[i * n + i + 1] = a[(i + 1) * n + i] = e));
    const tri = tridiagonalEigen(diagonal, off);
    const full = symmetricEigen(a, n);
    tri.values.forEach((v, i) => expect(v).toBeCloseTo(full.values[i]!, 12));
    expect(residuals(a, n, tri.values, tri.vectors).decomposition).toBeLessThan(1e-12 * n);
  });
});
