// The plane a trajectory lies closest to: its two principal directions (Li et al. 2018, "Visualizing
// the loss landscape of neural nets", §7). The trajectory is given as a sample of whole parameter
// vectors θ₀ … θₖ and an origin (the final weights); the directions are the top two right singular
// vectors of the matrix of differences θᵢ − origin, found through the k × k Gram matrix of the
// differences (k is a few hundred at most, the parameters may be millions), whose eigenvectors u
// give the directions Dᵀu/√μ. Each direction's share of the trajectory's squared distance from the
// origin is what it "explains".

import { symmetricEigen } from "./eigen.ts";
import { dot, norm, randomUnit, streams } from "./vectors.ts";

export interface PrincipalPlane {
  directions: [Float64Array, Float64Array]; // orthonormal
  explained: [number, number]; // each direction's share of Σ‖θᵢ − origin‖², from 0 to 1
  // Whether the second direction is arbitrary: the trajectory is a straight line through the
  // origin (or a point), so only the first is determined; the second is then a seeded random
  // direction orthogonal to it.
  degenerate: boolean;
}

export function principalPlane(samples: readonly ArrayLike<number>[], origin: ArrayLike<number>, seed = 0): PrincipalPlane {
  const n = origin.length;
  const k = samples.length;
  const differences = samples.map((s) => Float64Array.from({ length: n }, (_, i) => s[i]! - origin[i]!));
  const gram = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      const value = dot(differences[i]!, differences[j]!);
      gram[i * k + j] = value;
      gram[j * k + i] = value;
    }
  }
  const { values, vectors } = symmetricEigen(gram, k);
  const total = values.reduce((a, b) => a + Math.max(b, 0), 0);
  const direction = (column: number): Float64Array | null => {
    const mu = values[column];
    if (mu === undefined || !(mu > 1e-12 * Math.max(total, Number.MIN_VALUE))) return null;
    const d = new Float64Array(n);
    for (let i = 0; i < k; i++) {
      const weight = vectors[i * k + column]!;
      const diff = differences[i]!;
      for (let j = 0; j < n; j++) d[j]! += weight * diff[j]!;
    }
    const length = norm(d);
    return length > 0 ? d.map((v) => v / length) : null;
  };
  const first = direction(k - 1);
  const second = k > 1 ? direction(k - 2) : null;
  const share = (column: number) => (total > 0 ? Math.max(values[column] ?? 0, 0) / total : 0);
  const d1 = first ?? orthogonalUnit(n, [], seed, "pca-1");
  const d2 = second ?? orthogonalUnit(n, [d1], seed, "pca-2");
  return { directions: [d1, d2], explained: [first ? share(k - 1) : 0, second ? share(k - 2) : 0], degenerate: second === null };
}

// A seeded random unit vector orthogonal to `against` (Gram–Schmidt, twice for rounding).
function orthogonalUnit(n: number, against: readonly Float64Array[], seed: number, name: string): Float64Array {
  const v = randomUnit(n, streams(seed, name));
  for (let pass = 0; pass < 2; pass++) {
    for (const a of against) {
      const c = dot(v, a);
      for (let i = 0; i < n; i++) v[i]! -= c * a[i]!;
    }
  }
  const length = norm(v);
  return v.map((x) => x / length);
}
