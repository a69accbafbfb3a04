// The spectral density of the Hessian by stochastic Lanczos quadrature (Ubaru, Chen and Saad
// 2017; Ghorbani, Krishnan and Xiao 2019): for a random unit v, vᵀ·f(H)·v = Σᵢ f(λᵢ)·(uᵢ·v)², and
// k Lanczos steps from v give a k-point Gauss quadrature of it, whose nodes are T's eigenvalues θⱼ
// and whose weights are the squares of the first components of T's eigenvectors. Averaged over a
// few v (Rademacher, normalized) the weights estimate the share of H's n eigenvalues near each
// node; a Gaussian of width σ around each node makes the density a curve.

import { lanczos, ritzPairs, type Operator } from "./lanczos.ts";
import { rademacher, streams } from "./vectors.ts";

export interface SpectralDensity {
  probes: number;
  steps: number; // Lanczos steps per probe (fewer when the Krylov space was exhausted)
  // Every probe's quadrature: the nodes θ and their weights (each probe's sum to 1/probes).
  nodes: { value: number; weight: number }[];
  sigma: number; // the width of the Gaussian around each node
  grid: number[]; // where the density is given
  density: number[]; // the density there (it integrates to about 1)
}

export async function spectralDensity(op: Operator, n: number, options: { probes: number; steps: number; seed: number; points?: number }): Promise<SpectralDensity> {
  const rng = streams(options.seed, "density");
  const nodes: SpectralDensity["nodes"] = [];
  let steps = 0;
  for (let p = 0; p < options.probes; p++) {
    const run = await lanczos(op, { steps: options.steps, start: rademacher(n, rng) });
    const pairs = ritzPairs(run);
    const k = pairs.values.length;
    steps = Math.max(steps, k);
    for (let j = 0; j < k; j++) nodes.push({ value: pairs.values[j]!, weight: pairs.vectors[j]! ** 2 / options.probes });
  }
  const values = nodes.map((node) => node.value);
  const low = Math.min(...values);
  const high = Math.max(...values);
  // 2% of the spectrum's width (or of its magnitude when every node is at one place).
  const sigma = Math.max(0.02 * (high - low), 1e-3 * Math.max(Math.abs(low), Math.abs(high)), 1e-12);
  const points = options.points ?? 41;
  const grid = Array.from({ length: points }, (_, i) => low - 3 * sigma + ((high - low + 6 * sigma) * i) / (points - 1));
  const norm = 1 / (sigma * Math.sqrt(2 * Math.PI));
  const density = grid.map((x) => nodes.reduce((sum, node) => sum + node.weight * norm * Math.exp(-0.5 * ((x - node.value) / sigma) ** 2), 0));
  return { probes: options.probes, steps, nodes, sigma, grid, density };
}

// The estimated share of eigenvalues below `threshold`: the weight of the nodes below it.
export function shareBelow(density: SpectralDensity, threshold: number): number {
  return density.nodes.reduce((sum, node) => sum + (node.value < threshold ? node.weight : 0), 0);
}
