// The eigendecomposition of a real symmetric matrix: Householder reduction to tridiagonal form,
// then the implicit QL algorithm with Wilkinson-style shifts (EISPACK's tred2 and tql2, after
// Bowdler, Martin, Reinsch and Wilkinson, Handbook for Automatic Computation vol. II, as JAMA
// writes them). It is O(n³) with a small constant, in f64, and accurate to a few ulps of the
// matrix's norm. `nnc analyze` uses it on the exact Hessian of small models and on the small
// tridiagonal matrices of Lanczos.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";

export interface Eigen {
  values: Float64Array; // ascending
  // Column j is the unit eigenvector of values[j]: vectors[i * n + j] (row-major n × n).
  vectors: Float64Array;
}

// `a` is n × n, row-major and symmetric (only its lower triangle is read); it is not changed.
export function symmetricEigen(a: Float64Array, n: number): Eigen {
  if (a.length !== n * n) throw new InternalError(`symmetricEigen: ${a.length} values for a ${n} × ${n} matrix`);
  const v = Float64Array.from(a);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return { values: d, vectors: v };
  tridiagonalize(v, d, e, n);
  ql(v, d, e, n);
  return { values: d, vectors: v };
}

// The eigendecomposition of the symmetric tridiagonal matrix with `diagonal` (n) and
// `offDiagonal` (n − 1: the element between i and i + 1).
export function tridiagonalEigen(diagonal: ArrayLike<number>, offDiagonal: ArrayLike<number>): Eigen {
  const n = diagonal.length;
  const d = Float64Array.from(diagonal);
  // tql2 reads the off-diagonal as e[i] = T[i][i − 1], i ≥ 1.
  const e = new Float64Array(n);
  for (let i = 1; i < n; i++) e[i] = offDiagonal[i - 1]!;
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  if (n > 0) ql(v, d, e, n);
  return { values: d, vectors: v };
}

// tred2: reduces the symmetric matrix in `v` to tridiagonal form by Householder reflections and
// leaves the orthogonal transformation in `v`, the diagonal in `d` and the off-diagonal in
// e[1..n−1] (e[0] = 0).
function tridiagonalize(v: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  const at = (i: number, j: number) => i * n + j;
  for (let j = 0; j < n; j++) d[j] = v[at(n - 1, j)]!;
  for (let i = n - 1; i > 0; i--) {
    // Scale to avoid under- and overflow.
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = v[at(i - 1, j)]!;
        v[at(i, j)] = 0;
        v[at(j, i)] = 0;
      }
    } else {
      // The Householder vector.
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      // The similarity transformation of the remaining columns.
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        v[at(j, i)] = f;
        g = e[j]! + v[at(j, j)]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += v[at(k, j)]! * d[k]!;
          e[k]! += v[at(k, j)]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) v[at(k, j)]! -= f * e[k]! + g * d[k]!;
        d[j] = v[at(i - 1, j)]!;
        v[at(i, j)] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    v[at(n - 1, i)] = v[at(i, i)]!;
    v[at(i, i)] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = v[at(k, i + 1)]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += v[at(k, i + 1)]! * v[at(k, j)]!;
        for (let k = 0; k <= i; k++) v[at(k, j)]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) v[at(k, i + 1)] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = v[at(n - 1, j)]!;
    v[at(n - 1, j)] = 0;
  }
  v[at(n - 1, n - 1)] = 1;
  e[0] = 0;
}

// tql2: the eigenvalues and eigenvectors of the tridiagonal matrix (d, e) by the implicit QL
// method, the rotations applied to the columns of `v`; then sorted ascending.
function ql(v: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  const at = (i: number, j: number) => i * n + j;
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    // Find a small subdiagonal element.
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) break;
      m++;
    }
    // If m === l, d[l] is an eigenvalue; otherwise iterate.
    if (m > l) {
      let iterations = 0;
      do {
        // Convergence is cubic and takes two or three iterations per eigenvalue in practice.
        if (++iterations > 100) throw new InternalError(`the QL iteration did not converge for eigenvalue ${l} of ${n}`);
        // The implicit shift.
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        // The implicit QL transformation.
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          // Accumulate the transformation.
          for (let k = 0; k < n; k++) {
            h = v[at(k, i + 1)]!;
            v[at(k, i + 1)] = s * v[at(k, i)]! + c * h;
            v[at(k, i)] = c * v[at(k, i)]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
  // Sort the eigenvalues, and their vectors with them.
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = d[i]!;
    for (let j = i + 1; j < n; j++) {
      if (d[j]! < p) {
        k = j;
        p = d[j]!;
      }
    }
    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      for (let j = 0; j < n; j++) {
        const t = v[at(j, i)]!;
        v[at(j, i)] = v[at(j, k)]!;
        v[at(j, k)] = t;
      }
    }
  }
}
