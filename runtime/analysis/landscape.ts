// The loss landscape around a point of the weights: the loss along a line θ(t) = θ₀ + t·d and on a
// plane θ(α, β) = θ₀ + α·d₁ + β·d₂, each point one evaluation of the loss (a forward pass over the
// examples, an ordinary program on either backend: engine.ts's `loss`). The directions are data:
// two parameter elements (the axes of a two-parameter objective), eigenvectors of the Hessian, a
// trajectory's principal directions (pca.ts), or seeded random directions normalized filter by
// filter to the weights (Li et al. 2018), so that a step of 1 along them changes each filter by
// its own size, whatever its scale, and plots of different networks compare.

import type { CurvatureEngine } from "./engine.ts";
import { offsetsOf } from "./engine.ts";
import { dot, streams } from "./vectors.ts";

// How a plane's coordinates are shown: an axis value is `offset + α` (a parameter element shows
// its own value; any other direction its coordinate, 0 at the point).
export interface PlaneAxis {
  label: string;
  offset: number;
}

export interface Plane {
  origin: Float64Array;
  directions: [Float64Array, Float64Array];
  axes: [PlaneAxis, PlaneAxis];
  description: string; // "two filter-normalized random directions (seed 0)"
}

export interface LineSpec {
  origin: Float64Array;
  direction: Float64Array;
  label: string; // the x axis: "t (0: the point, 1: c2.safetensors)"
  description: string;
  // Points of t that must be on the line whatever the grid (the two checkpoints, t = 0 and 1).
  anchors: number[];
}

export interface LineLandscape {
  t: number[];
  loss: number[];
}

export interface PlaneLandscape {
  // The grid's coordinates as shown (axis offset included), x across and y up.
  x: number[];
  y: number[];
  loss: Float64Array; // loss[j * x.length + i] at (x[i], y[j])
}

export type LossAt = (theta: Float64Array) => Promise<number>;

// The loss at any weights, through an engine (it is left at `restore` afterwards).
export function engineLoss(engine: CurvatureEngine): LossAt {
  return async (theta) => {
    engine.setParams(theta);
    return (await engine.loss()).loss;
  };
}

// `count` evenly spaced values from `from` to `to`, both included.
export function gridValues(from: number, to: number, count: number): number[] {
  if (count === 1) return [(from + to) / 2];
  return Array.from({ length: count }, (_, k) => (k === count - 1 ? to : from + ((to - from) * k) / (count - 1)));
}

export async function lineLandscape(loss: LossAt, line: LineSpec, range: readonly [number, number], count: number): Promise<LineLandscape> {
  const ts = [...new Set([...gridValues(range[0], range[1], count), ...line.anchors])].sort((a, b) => a - b);
  const theta = new Float64Array(line.origin.length);
  const values: number[] = [];
  for (const t of ts) {
    for (let i = 0; i < theta.length; i++) theta[i] = line.origin[i]! + t * line.direction[i]!;
    values.push(await loss(theta));
  }
  return { t: ts, loss: values };
}

// `ranges` are in the plane's coordinates α and β (0 at the origin), not the axes' values.
export async function planeLandscape(loss: LossAt, plane: Plane, ranges: readonly [readonly [number, number], readonly [number, number]], count: number): Promise<PlaneLandscape> {
  const alphas = gridValues(ranges[0][0], ranges[0][1], count);
  const betas = gridValues(ranges[1][0], ranges[1][1], count);
  const [d1, d2] = plane.directions;
  const theta = new Float64Array(plane.origin.length);
  const values = new Float64Array(alphas.length * betas.length);
  for (const [j, beta] of betas.entries()) {
    for (const [i, alpha] of alphas.entries()) {
      for (let p = 0; p < theta.length; p++) theta[p] = plane.origin[p]! + alpha * d1[p]! + beta * d2[p]!;
      values[j * alphas.length + i] = await loss(theta);
    }
  }
  return { x: alphas.map((a) => a + plane.axes[0].offset), y: betas.map((b) => b + plane.axes[1].offset), loss: values };
}

// The coordinates (α, β) of weights projected on the plane: the least-squares solution of
// θ − origin ≈ α·d₁ + β·d₂ (exact for a point in the plane; random directions need not be
// orthogonal, so this solves the 2 × 2 normal equations rather than taking dot products).
export function projectOnPlane(plane: Plane, theta: ArrayLike<number>): [number, number] {
  const [d1, d2] = plane.directions;
  const diff = Float64Array.from({ length: plane.origin.length }, (_, i) => theta[i]! - plane.origin[i]!);
  const a = dot(d1, d1);
  const b = dot(d1, d2);
  const c = dot(d2, d2);
  const r1 = dot(d1, diff);
  const r2 = dot(d2, diff);
  const det = a * c - b * b;
  if (!(Math.abs(det) > 1e-300)) return [a > 0 ? r1 / a : 0, 0];
  return [(c * r1 - b * r2) / det, (a * r2 - b * r1) / det];
}

// A direction along one parameter element: the unit vector eᵢ.
export function elementDirection(size: number, index: number): Float64Array {
  const d = new Float64Array(size);
  d[index] = 1;
  return d;
}

export interface ParamInfo {
  name: string;
  shape: number[];
  role: string; // "weight", "bias", … (compiler/ir/graph.ts)
}

// A Gaussian direction normalized filter by filter (Li et al. 2018, §4): for a weight of two or
// more dimensions, each filter (a slice along the first axis: a dense layer's output unit, a
// convolution's output channel) is scaled to the norm of the same filter of the weights; a weight
// of one dimension or none (a free parameter of a formula) is one filter. Biases and batch-norm
// parameters get no component, as in the paper's plots: their scale is not a filter's. A filter
// whose weights are all zero stays zero.
export function filterNormalizedDirection(params: readonly ParamInfo[], theta: Float64Array, seed: number, name: string): Float64Array {
  const d = new Float64Array(theta.length);
  const rng = streams(seed, name);
  for (const [start, end] of filters(params)) {
    for (let i = start; i < end; i++) d[i] = rng.normal();
    const [dn, wn] = [sumOfSquares(d, start, end), sumOfSquares(theta, start, end)];
    if (dn > 0 && wn > 0) for (let i = start; i < end; i++) d[i]! *= Math.sqrt(wn / dn);
    else d.fill(0, start, end);
  }
  return d;
}

// For each filter of every weight, [the direction's norm, the weights' norm] (for the tests).
export function filterNorms(params: readonly ParamInfo[], direction: Float64Array, theta: Float64Array): [number, number][] {
  return filters(params).map(([start, end]) => [Math.sqrt(sumOfSquares(direction, start, end)), Math.sqrt(sumOfSquares(theta, start, end))]);
}

// The [start, end) ranges of the filters of every weight in the flat vector, in order.
function filters(params: readonly ParamInfo[]): [number, number][] {
  const { offsets } = offsetsOf(params.map((p) => p.shape));
  return params.flatMap((p, k) => {
    if (p.role !== "weight") return [];
    const count = p.shape.reduce((a, b) => a * b, 1);
    const rows = p.shape.length >= 2 ? p.shape[0]! : 1;
    const width = count / rows;
    return Array.from({ length: rows }, (_, f): [number, number] => [offsets[k]! + f * width, offsets[k]! + (f + 1) * width]);
  });
}

function sumOfSquares(v: Float64Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += v[i]! * v[i]!;
  return sum;
}
