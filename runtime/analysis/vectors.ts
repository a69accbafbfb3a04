// Vector arithmetic on flat Float64Arrays, and the seeded random vectors the estimators start
// from (each from its own stream, Rng.derive(seed, name), so one estimator's draws do not depend
// on how many another took).

import { Rng } from "../rng.ts";

export function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function norm(a: Float64Array): number {
  return Math.sqrt(dot(a, a));
}

// y ← y + alpha·x
export function axpy(alpha: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += alpha * x[i]!;
}

export function scaled(x: Float64Array, alpha: number): Float64Array {
  return x.map((v) => v * alpha);
}

// Entries ±1 with equal probability (Hutchinson's probes: E[zzᵀ] = I with the least variance).
export function rademacher(n: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1));
}

// A uniformly random direction: Gaussian entries, normalized.
export function randomUnit(n: number, rng: Rng): Float64Array {
  const v = Float64Array.from({ length: n }, () => rng.normal());
  return scaled(v, 1 / norm(v));
}

export function streams(seed: number, name: string): Rng {
  return Rng.derive(seed, name);
}
