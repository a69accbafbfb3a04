// Hutchinson's estimate of the trace: for random z with E[z·zᵀ] = I, E[zᵀ·H·z] = tr(H). With
// Rademacher entries (±1) the variance is 2·Σ_{i≠j} H_ij², the least of such probes. The estimate
// is the mean of m products and its standard error the samples' standard deviation over √m, so
// the true trace lies within two standard errors of the estimate about 95% of the time.

import type { Operator } from "./lanczos.ts";
import { dot, rademacher, streams } from "./vectors.ts";

export interface TraceEstimate {
  estimate: number;
  standardError: number; // Infinity with a single sample
  samples: number;
}

export async function hutchinsonTrace(op: Operator, n: number, samples: number, seed: number): Promise<TraceEstimate> {
  const rng = streams(seed, "hutchinson");
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    const z = rademacher(n, rng);
    values.push(dot(z, await op(z)));
  }
  const mean = values.reduce((a, b) => a + b, 0) / samples;
  const variance = samples > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (samples - 1) : Number.POSITIVE_INFINITY;
  return { estimate: mean, standardError: Math.sqrt(variance / samples), samples };
}
