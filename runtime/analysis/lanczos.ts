// The Lanczos iteration on a symmetric operator given only by its products H·v (here Hessian-vector
// products). k steps build an orthonormal basis Q of the Krylov space span{q, Hq, …, H^(k−1)q}
// and the tridiagonal T = QᵀHQ; T's eigenvalues (the Ritz values) approach H's extreme eigenvalues
// first. In floating point the basis loses orthogonality as Ritz values converge, which makes
// spurious copies of them; every new vector is therefore orthogonalized against the whole basis,
// twice ("twice is enough", Parlett), which costs k·n per step and keeps the basis orthonormal to
// rounding. That is affordable for the few tens of steps used here.
//
// A Ritz pair (θ, y = Q·s) has the residual ‖H·y − θ·y‖ = β_k·|s_k| (the last component of s),
// and some eigenvalue of H lies within that residual of θ.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import { type Eigen, tridiagonalEigen } from "./eigen.ts";
import { axpy, dot, norm, scaled } from "./vectors.ts";

export type Operator = (v: Float64Array) => Promise<Float64Array>;

export interface LanczosOptions {
  steps: number; // the most steps; at most the dimension
  start: Float64Array; // the starting vector (normalized here)
  // Stop early once both extreme Ritz pairs' residuals are at most tolerance · max |θ|.
  tolerance?: number;
}

export interface LanczosRun {
  alpha: number[]; // T's diagonal
  beta: number[]; // T's off-diagonal (alpha.length − 1 entries)
  residualNorm: number; // β_k, the norm of what the last step left outside the basis
  basis: Float64Array[]; // q_0 … q_(k−1)
  // The Krylov space was invariant (β_k ≈ 0): the Ritz values are exact eigenvalues.
  exhausted: boolean;
}

export interface RitzPairs extends Eigen {
  residuals: Float64Array; // the residual estimate β_k·|s_k| of each Ritz value
}

export async function lanczos(op: Operator, options: LanczosOptions): Promise<LanczosRun> {
  const n = options.start.length;
  const steps = Math.min(options.steps, n);
  if (steps < 1) throw new InternalError("Lanczos needs at least one step");
  const startNorm = norm(options.start);
  if (!(startNorm > 0)) throw new InternalError("Lanczos needs a nonzero starting vector");
  let q = scaled(options.start, 1 / startNorm);
  const basis: Float64Array[] = [q];
  const alpha: number[] = [];
  const beta: number[] = [];
  let scale = 0;
  for (let j = 0; ; j++) {
    const w = await op(q);
    const a = dot(q, w);
    alpha.push(a);
    axpy(-a, q, w);
    if (j > 0) axpy(-beta[j - 1]!, basis[j - 1]!, w);
    for (let pass = 0; pass < 2; pass++) for (const qi of basis) axpy(-dot(qi, w), qi, w);
    const b = norm(w);
    scale = Math.max(scale, Math.abs(a), b);
    // An invariant subspace: everything H does to the start vector is in the basis already.
    const exhausted = b <= 1e-12 * scale;
    if (exhausted || j + 1 === steps) return { alpha, beta, residualNorm: b, basis, exhausted };
    if (options.tolerance !== undefined && j >= 1 && extremesConverged({ alpha, beta, residualNorm: b, basis, exhausted }, options.tolerance)) {
      return { alpha, beta, residualNorm: b, basis, exhausted };
    }
    beta.push(b);
    q = scaled(w, 1 / b);
    basis.push(q);
  }
}

// T's eigenpairs and each Ritz value's residual estimate.
export function ritzPairs(run: LanczosRun): RitzPairs {
  const k = run.alpha.length;
  const eigen = tridiagonalEigen(run.alpha, run.beta);
  const residuals = new Float64Array(k);
  for (let i = 0; i < k; i++) residuals[i] = run.residualNorm * Math.abs(eigen.vectors[(k - 1) * k + i]!);
  return { ...eigen, residuals };
}

// The Ritz vector y = Q·s of Ritz value i (unit length).
export function ritzVector(run: LanczosRun, pairs: Eigen, i: number): Float64Array {
  const k = run.alpha.length;
  const y = new Float64Array(run.basis[0]!.length);
  for (let j = 0; j < k; j++) axpy(pairs.vectors[j * k + i]!, run.basis[j]!, y);
  return scaled(y, 1 / norm(y));
}

function extremesConverged(run: LanczosRun, tolerance: number): boolean {
  const pairs = ritzPairs(run);
  const k = pairs.values.length;
  const size = Math.max(Math.abs(pairs.values[0]!), Math.abs(pairs.values[k - 1]!));
  return pairs.residuals[0]! <= tolerance * size && pairs.residuals[k - 1]! <= tolerance * size;
}
