// The strong-Wolfe line search of PyTorch's LBFGS (`_strong_wolfe` with `_cubic_interpolate`,
// after Nocedal & Wright, Algorithms 3.5 and 3.6): first bracket an interval that contains a step
// satisfying both Wolfe conditions, then shrink it by safeguarded cubic interpolation ("zoom").
//
// Gradients at trial points live in three scratch vectors handed in by the caller. Trial gradients
// are never changed after they are written, so where PyTorch clones one we share the reference, and
// a new evaluation writes into whichever scratch vector no live variable still refers to.

import { absMax, dot } from "./flat.ts";

// Evaluates the loss at x + t·d, writes the gradient there into `grad`, and returns the loss.
export type DirectionalEvaluate = (t: number, grad: Float32Array) => Promise<number>;

export interface LineSearchResult {
  loss: number;
  grad: Float32Array; // one of the scratch vectors, or the initial gradient itself
  t: number;
  evaluations: number;
}

// The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clamped to
// [lower, upper] (by default the interval between x1 and x2); the midpoint when the cubic has no
// minimum.
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, lower?: number, upper?: number): number {
  const lo = lower ?? Math.min(x1, x2);
  const hi = upper ?? Math.max(x1, x2);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 * d1 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, lo), hi);
  }
  return (lo + hi) / 2;
}

export interface StrongWolfeOptions {
  c1: number; // sufficient decrease (Armijo)
  c2: number; // curvature
  toleranceChange: number; // stop zooming once the bracket moves x by less than this
  maxLs: number; // evaluations after the first
}

// PyTorch's defaults. LBFGS calls `_strong_wolfe` without passing its own tolerance_change, so the
// line search always uses 1e-9 whatever the optimizer's setting; we do the same.
export const STRONG_WOLFE_DEFAULTS: StrongWolfeOptions = { c1: 1e-4, c2: 0.9, toleranceChange: 1e-9, maxLs: 25 };

// Searches along d from the current point, where the loss is f, the gradient g and the directional
// derivative gtd = g·d (negative), starting with step t.
export async function strongWolfe(
  evaluate: DirectionalEvaluate,
  t: number,
  d: Float32Array,
  f: number,
  g: Float32Array,
  gtd: number,
  scratch: readonly [Float32Array, Float32Array, Float32Array],
  options: StrongWolfeOptions = STRONG_WOLFE_DEFAULTS,
): Promise<LineSearchResult> {
  const { c1, c2, toleranceChange, maxLs } = options;
  const free = (a: Float32Array | null, b: Float32Array | null): Float32Array => {
    for (const buffer of scratch) if (buffer !== a && buffer !== b) return buffer;
    throw new Error("internal error: strong-Wolfe line search ran out of scratch vectors");
  };
  const dNorm = absMax(d);

  let gNew = free(null, null);
  let fNew = await evaluate(t, gNew);
  let evaluations = 1;
  let gtdNew = dot(gNew, d);

  // Bracketing: grow the step until it fails sufficient decrease, stops decreasing, or the slope
  // turns non-negative (a bracket), or both Wolfe conditions hold (done).
  let tPrev = 0;
  let fPrev = f;
  let gPrev = g;
  let gtdPrev = gtd;
  let done = false;
  let lsIter = 0;
  let bracket: number[] = [];
  let bracketF: number[] = [];
  let bracketG: Float32Array[] = [];
  let bracketGtd: number[] = [];
  while (lsIter < maxLs) {
    if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
      [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    if (Math.abs(gtdNew) <= -c2 * gtd) {
      [bracket, bracketF, bracketG, bracketGtd] = [[t], [fNew], [gNew], [gtdNew]];
      done = true;
      break;
    }
    if (gtdNew >= 0) {
      [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, fNew], [gPrev, gNew], [gtdPrev, gtdNew]];
      break;
    }
    // Extrapolate: the next trial lies between a little past t and ten times t.
    const minStep = t + 0.01 * (t - tPrev);
    const maxStep = t * 10;
    const previous = t;
    t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
    tPrev = previous;
    fPrev = fNew;
    gPrev = gNew;
    gtdPrev = gtdNew;
    gNew = free(gPrev, null);
    fNew = await evaluate(t, gNew);
    evaluations++;
    gtdNew = dot(gNew, d);
    lsIter++;
  }
  if (lsIter === maxLs) {
    // Out of evaluations while still extrapolating: bracket [0, t] and return its better end.
    [bracket, bracketF, bracketG, bracketGtd] = [[0, t], [f, fNew], [g, gNew], [gtd, gtdNew]];
  }

  // Zoom: shrink the bracket, keeping `low` as the end with the lower loss, until a trial point
  // satisfies both conditions or the bracket is too small to matter.
  let insufficientProgress = false;
  let [low, high] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
  while (!done && lsIter < maxLs) {
    if (Math.abs(bracket[1]! - bracket[0]!) * dNorm < toleranceChange) break;
    t = cubicInterpolate(bracket[0]!, bracketF[0]!, bracketGtd[0]!, bracket[1]!, bracketF[1]!, bracketGtd[1]!);

    // A trial within 10% of the bracket's length from an end makes little progress; after two in
    // a row (or one at or past an end) move it to 10% inside the nearer end.
    const top = Math.max(bracket[0]!, bracket[1]!);
    const bottom = Math.min(bracket[0]!, bracket[1]!);
    const margin = 0.1 * (top - bottom);
    if (Math.min(top - t, t - bottom) < margin) {
      if (insufficientProgress || t >= top || t <= bottom) {
        t = Math.abs(t - top) < Math.abs(t - bottom) ? top - margin : bottom + margin;
        insufficientProgress = false;
      } else {
        insufficientProgress = true;
      }
    } else {
      insufficientProgress = false;
    }

    gNew = free(bracketG[0]!, bracketG[1]!);
    fNew = await evaluate(t, gNew);
    evaluations++;
    gtdNew = dot(gNew, d);
    lsIter++;

    if (fNew > f + c1 * t * gtd || fNew >= bracketF[low]!) {
      // Not a sufficient decrease, or no better than the low end: t becomes the high end.
      bracket[high] = t;
      bracketF[high] = fNew;
      bracketG[high] = gNew;
      bracketGtd[high] = gtdNew;
      [low, high] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        done = true;
      } else if (gtdNew * (bracket[high]! - bracket[low]!) >= 0) {
        // The slope at t points away from the high end: the old low end becomes the high end.
        bracket[high] = bracket[low]!;
        bracketF[high] = bracketF[low]!;
        bracketG[high] = bracketG[low]!;
        bracketGtd[high] = bracketGtd[low]!;
      }
      bracket[low] = t;
      bracketF[low] = fNew;
      bracketG[low] = gNew;
      bracketGtd[low] = gtdNew;
    }
  }

  return { loss: bracketF[low]!, grad: bracketG[low]!, t: bracket[low]!, evaluations };
}
