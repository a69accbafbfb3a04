// Escaping a saddle point: a step of length α along the eigenvector v of the most negative
// eigenvalue λ. To second order the loss changes by α·(∇L·v) + ½·α²·λ, which is negative in one
// of the two directions ±v whenever λ < 0, however small the gradient. Both signs are tried; when
// neither lowers the loss (α too long for the quadratic model to hold), α is halved and both are
// tried again, a few times.

import type { CurvatureEngine } from "./engine.ts";
import { axpy, dot } from "./vectors.ts";

export interface EscapeTry {
  sign: 1 | -1;
  step: number;
  loss: number;
  predicted: number; // the second-order model's change of the loss
}

export interface EscapeResult {
  eigenvalue: number; // λ along the direction
  direction: "eigenvector" | "Ritz vector"; // of the exact Hessian, or from Lanczos
  before: number; // the loss at the starting weights
  tries: EscapeTry[];
  chosen: EscapeTry | null; // the first try that lowered the loss (the lower of the pair)
  weights: Float64Array | null; // the weights after the chosen step
}

export async function escapeAlong(
  engine: CurvatureEngine,
  theta: Float64Array,
  before: { loss: number; gradient: Float64Array },
  direction: { vector: Float64Array; eigenvalue: number; kind: EscapeResult["direction"] },
  options: { step: number; halvings: number },
): Promise<EscapeResult> {
  const slope = dot(before.gradient, direction.vector);
  const tries: EscapeTry[] = [];
  let chosen: EscapeTry | null = null;
  let weights: Float64Array | null = null;
  let step = options.step;
  for (let attempt = 0; attempt <= options.halvings && chosen === null; attempt++, step /= 2) {
    const pair: { attempt: EscapeTry; weights: Float64Array }[] = [];
    for (const sign of [1, -1] as const) {
      const moved = Float64Array.from(theta);
      axpy(sign * step, direction.vector, moved);
      engine.setParams(moved);
      const { loss } = await engine.lossAndGradient();
      const attemptResult = { sign, step, loss, predicted: sign * step * slope + 0.5 * step * step * direction.eigenvalue };
      tries.push(attemptResult);
      pair.push({ attempt: attemptResult, weights: moved });
    }
    const best = pair.reduce((a, b) => (b.attempt.loss < a.attempt.loss ? b : a));
    if (best.attempt.loss < before.loss) {
      chosen = best.attempt;
      weights = best.weights;
    }
  }
  engine.setParams(theta);
  return { eigenvalue: direction.eigenvalue, direction: direction.kind, before: before.loss, tries, chosen, weights };
}
