// `nnc analyze` at one point of the weights, as a pipeline of estimators that each ask the engine
// for Hessian-vector products: the loss and its gradient; the extreme eigenvalues by Lanczos, with
// each one's true residual ‖H·y − θ·y‖ (one more product each); Hutchinson's trace; the spectral
// density by stochastic Lanczos quadrature; for small models the exact Hessian and its full
// eigendecomposition, checked against Lanczos; the verdict; and, when asked, the escape step.

import type { CurvatureEngine } from "./engine.ts";
import { type SpectralDensity, shareBelow, spectralDensity } from "./density.ts";
import { escapeAlong, type EscapeResult } from "./escape.ts";
import { exactHessian } from "./hessian.ts";
import { hutchinsonTrace, type TraceEstimate } from "./hutchinson.ts";
import { lanczos, ritzPairs, ritzVector } from "./lanczos.ts";
import { judge, type Tolerances, type Verdict } from "./verdict.ts";
import { axpy, norm, randomUnit, streams } from "./vectors.ts";

export interface AnalysisOptions {
  lanczosSteps: number;
  // A Ritz value has converged when its residual is at most this times the largest |θ|.
  residualTolerance: number;
  traceSamples: number;
  densityProbes: number;
  densitySteps: number;
  exactLimit: number; // the exact Hessian for models of at most this many parameters (0: never)
  tolerances: Tolerances;
  seed: number;
  escape: { step: number; halvings: number } | null;
}

export const DEFAULT_ANALYSIS: AnalysisOptions = {
  lanczosSteps: 40,
  residualTolerance: 1e-4,
  traceSamples: 30,
  densityProbes: 4,
  densitySteps: 24,
  exactLimit: 2000,
  tolerances: { gradient: 1e-3, eigenvalue: 1e-4 },
  seed: 0,
  escape: null,
};

export interface ExtremeEigenvalue {
  value: number;
  residual: number; // ‖H·y − θ·y‖ of its Ritz vector y, computed
  converged: boolean;
}

export interface AnalysisReport {
  parameters: number;
  backend: "cpu" | "webgpu";
  precision: "f64" | "f32";
  loss: { total: number; data: number; regularizer: number };
  gradientNorm: number;
  lanczos: { steps: number; exhausted: boolean; largest: ExtremeEigenvalue; smallest: ExtremeEigenvalue; ritzValues: number[] };
  trace: TraceEstimate & { exact: number | null };
  density: SpectralDensity;
  exact: {
    eigenvalues: number[]; // ascending
    asymmetry: number;
    // |Lanczos − exact| for each extreme, and whether it is within Lanczos's stated residual
    agreement: { largest: number; smallest: number; withinResidual: boolean };
  } | null;
  verdict: Verdict;
  escape: (EscapeResult & { step: number }) | null;
  hvps: number;
  seconds: number;
  // Unit eigenvectors of the smallest, the largest and the second-largest eigenvalue (the exact
  // Hessian's, else Lanczos's Ritz vectors; `second` is null when Lanczos found one value only),
  // for the landscape's lines and planes. Not part of the JSON.
  eigenvectors: { kind: "eigenvector" | "Ritz vector"; smallest: Float64Array; largest: Float64Array; second: Float64Array | null };
}

export async function analyzeCurvature(engine: CurvatureEngine, theta: Float64Array, options: AnalysisOptions): Promise<AnalysisReport> {
  const started = performance.now();
  const n = engine.size;
  engine.setParams(theta);
  const point = await engine.lossAndGradient();
  const op = (v: Float64Array) => engine.hvp(v);

  // Lanczos stops early only once both extremes are converged far past the reporting tolerance:
  // a step costs one product, and the smaller eigenvalues keep sharpening after the largest has.
  const run = await lanczos(op, { steps: options.lanczosSteps, start: randomUnit(n, streams(options.seed, "lanczos")), tolerance: options.residualTolerance * 1e-4 });
  const pairs = ritzPairs(run);
  const k = pairs.values.length;
  const scale = Math.max(Math.abs(pairs.values[0]!), Math.abs(pairs.values[k - 1]!));
  const extreme = async (i: number) => {
    const y = ritzVector(run, pairs, i);
    const hy = await op(y);
    axpy(-pairs.values[i]!, y, hy);
    const residual = norm(hy);
    return { vector: y, value: pairs.values[i]!, residual, converged: run.exhausted || residual <= options.residualTolerance * scale };
  };
  const smallest = await extreme(0);
  const largest = k > 1 ? await extreme(k - 1) : smallest;

  const exact = n <= options.exactLimit ? await exactHessian(op, n) : null;
  const trace = await hutchinsonTrace(op, n, options.traceSamples, options.seed);
  const density = await spectralDensity(op, n, { probes: options.densityProbes, steps: options.densitySteps, seed: options.seed });

  const verdict = judge(
    norm(point.gradient),
    exact
      ? { smallest: exact.values[0]!, largest: exact.values[n - 1]!, smallestCertain: true, largestCertain: true, eigenvalues: exact.values, negativeShareEstimate: () => 0 }
      : {
          smallest: smallest.value,
          largest: largest.value,
          smallestCertain: smallest.converged,
          largestCertain: largest.converged,
          eigenvalues: null,
          negativeShareEstimate: (threshold) => shareBelow(density, threshold),
        },
    options.tolerances,
  );

  let escape: AnalysisReport["escape"] = null;
  const lowest = exact ? exact.values[0]! : smallest.value;
  if (options.escape && lowest < -verdict.zeroThreshold) {
    const vector = exact ? Float64Array.from({ length: n }, (_, i) => exact.vectors[i * n]!) : smallest.vector;
    const result = await escapeAlong(engine, theta, point, { vector, eigenvalue: lowest, kind: exact ? "eigenvector" : "Ritz vector" }, options.escape);
    escape = { ...result, step: options.escape.step };
  }

  const exactTrace = exact ? exact.values.reduce((a, b) => a + b, 0) : null;
  const column = (j: number) => Float64Array.from({ length: n }, (_, i) => exact!.vectors[i * n + j]!);
  const eigenvectors: AnalysisReport["eigenvectors"] = exact
    ? { kind: "eigenvector", smallest: column(0), largest: column(n - 1), second: n > 1 ? column(n - 2) : null }
    : { kind: "Ritz vector", smallest: smallest.vector, largest: largest.vector, second: k > 1 ? ritzVector(run, pairs, k - 2) : null };
  return {
    parameters: n,
    backend: engine.kind,
    precision: engine.precision,
    loss: { total: point.loss, data: point.dataLoss, regularizer: point.regLoss },
    gradientNorm: norm(point.gradient),
    lanczos: {
      steps: k,
      exhausted: run.exhausted,
      largest: { value: largest.value, residual: largest.residual, converged: largest.converged },
      smallest: { value: smallest.value, residual: smallest.residual, converged: smallest.converged },
      ritzValues: Array.from(pairs.values),
    },
    trace: { ...trace, exact: exactTrace },
    density,
    exact: exact && {
      eigenvalues: Array.from(exact.values),
      asymmetry: exact.asymmetry,
      agreement: agreement(exact.values, smallest, largest, scale),
    },
    verdict,
    escape,
    hvps: engine.hvps,
    seconds: (performance.now() - started) / 1000,
    eigenvectors,
  };
}

// Lanczos's extremes against the exact ones: each within its residual (Bauer–Fike: some
// eigenvalue lies within ‖r‖ of a Ritz value), allowing rounding at 1e-9 of the spectrum's size.
function agreement(values: Float64Array, smallest: ExtremeEigenvalue, largest: ExtremeEigenvalue, scale: number) {
  const low = Math.abs(smallest.value - values[0]!);
  const high = Math.abs(largest.value - values[values.length - 1]!);
  const slack = 1e-9 * scale;
  return { smallest: low, largest: high, withinResidual: low <= smallest.residual + slack && high <= largest.residual + slack };
}
