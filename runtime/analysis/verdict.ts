// What kind of point the weights are, by the first- and second-order tests with explicit
// tolerances: a critical point has ‖∇L‖ ≤ the gradient tolerance; there, an eigenvalue of the
// Hessian counts as zero when |λ| ≤ τ = (eigenvalue tolerance) · max|λ| (at least 1e-12), and
//   every λ > τ                    → a strict local minimum
//   every λ < −τ                   → a strict local maximum
//   some λ < −τ and some λ > τ     → a saddle point (the share of negative eigenvalues is stated)
//   otherwise (some |λ| ≤ τ)       → degenerate: the second-order test cannot decide along the flat
//                                    directions (higher-order terms do, as in the monkey saddle)
// From Lanczos alone (a model too large for the exact Hessian), the smallest Ritz value is at least
// the smallest eigenvalue, so a negative one proves negative curvature; a positive one proves
// nothing until it has converged, and the verdict says so.

export type PointKind = "minimum" | "maximum" | "saddle" | "degenerate" | "not_critical";

export interface Tolerances {
  gradient: number; // absolute, on ‖∇L‖
  eigenvalue: number; // relative to the largest |λ|
}

export const ZERO_FLOOR = 1e-12;

export interface SpectrumFacts {
  smallest: number;
  largest: number;
  // Whether the extremes are exact (the full eigendecomposition, or converged Lanczos).
  smallestCertain: boolean;
  largestCertain: boolean;
  eigenvalues: Float64Array | null; // every eigenvalue, when the exact Hessian was computed
  negativeShareEstimate: (threshold: number) => number; // from the spectral density otherwise
}

export interface Verdict {
  kind: PointKind;
  summary: string; // one sentence
  gradientNorm: number;
  zeroThreshold: number; // τ
  negative: { count: number | null; share: number; estimated: boolean };
  zero: number | null; // eigenvalues within ±τ (exact spectrum only)
  positive: number | null;
  certain: boolean; // false when it rests on a Lanczos value that did not converge
}

const fmt = (x: number) => (x === 0 ? "0" : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e5 ? Number(x.toPrecision(4)).toString() : x.toExponential(2));

export function judge(gradientNorm: number, spectrum: SpectrumFacts, tolerances: Tolerances): Verdict {
  const scale = Math.max(Math.abs(spectrum.smallest), Math.abs(spectrum.largest));
  const tau = Math.max(tolerances.eigenvalue * scale, ZERO_FLOOR);
  const all = spectrum.eigenvalues;
  const count = (test: (l: number) => boolean) => (all ? all.reduce((n, l) => n + (test(l) ? 1 : 0), 0) : null);
  const negativeCount = count((l) => l < -tau);
  const negative = {
    count: negativeCount,
    share: all ? negativeCount! / all.length : spectrum.negativeShareEstimate(-tau),
    estimated: all === null,
  };
  const zero = count((l) => Math.abs(l) <= tau);
  const positive = count((l) => l > tau);
  const base = { gradientNorm, zeroThreshold: tau, negative, zero, positive };
  const curvature = `λ from ${fmt(spectrum.smallest)} to ${fmt(spectrum.largest)}, zero within ±${fmt(tau)}`;
  if (gradientNorm > tolerances.gradient) {
    const down = spectrum.smallest < -tau ? "; the loss curves downward along some directions" : "";
    return {
      ...base,
      kind: "not_critical",
      certain: true,
      summary: `not a critical point: ‖∇L‖ = ${fmt(gradientNorm)} > ${fmt(tolerances.gradient)} (${curvature}${down})`,
    };
  }
  const critical = `‖∇L‖ = ${fmt(gradientNorm)} ≤ ${fmt(tolerances.gradient)}`;
  const percent = `${(100 * negative.share).toFixed(negative.share < 0.01 && negative.share > 0 ? 2 : 1)}%`;
  const share =
    negative.count !== null ? `${negative.count} of ${all!.length} eigenvalues (${percent}) are negative`
    : `about ${percent} of the eigenvalues are negative (estimated from the spectral density)`;
  if (spectrum.smallest > tau) {
    const certain = spectrum.smallestCertain;
    return {
      ...base,
      kind: "minimum",
      certain,
      summary: `local minimum: ${critical} and every eigenvalue is positive (${curvature})` + (certain ? "" : "; the smallest eigenvalue has not converged, so this is not certain"),
    };
  }
  if (spectrum.largest < -tau) {
    return { ...base, kind: "maximum", certain: spectrum.largestCertain, summary: `local maximum: ${critical} and every eigenvalue is negative (${curvature})` };
  }
  if (spectrum.smallest < -tau && spectrum.largest > tau) {
    return { ...base, kind: "saddle", certain: true, summary: `saddle point: ${critical}; ${share} (${curvature})` };
  }
  const flat = zero === null ? "" : `${zero} of ${all!.length} eigenvalues are zero to tolerance; `;
  const why =
    scale <= tau ? "the Hessian is zero to tolerance, so the point is flat to second order and only higher-order terms decide"
    : spectrum.smallest < -tau ? "there is negative curvature but no positive curvature: a maximum or a saddle, as higher-order terms decide along the flat directions"
    : "there is no negative curvature, but flat directions: a minimum or a saddle, as higher-order terms decide along them";
  return { ...base, kind: "degenerate", certain: spectrum.smallestCertain, summary: `degenerate critical point: ${critical}; ${flat}${why} (${curvature})` };
}
