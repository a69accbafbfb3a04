// Reductions (sum, mean, max over any set of axes) and softmax / log_softmax along one axis.
//
// A reduction walks its input once, in memory order. Its axes are collapsed first (adjacent axes
// merge when both are reduced or both kept), so the inner loop is a contiguous run that either
// folds into one output value (a reduced run) or into a run of outputs (a kept run).

import { collapse } from "./elementwise.ts";
import { stridesOf, type FloatArray } from "./types.ts";

export function reduce(kind: "sum" | "mean" | "max", out: FloatArray, x: FloatArray, shape: number[], axes: number[]): void {
  const rank = shape.length;
  const reduced = axes.map((a) => (a < 0 ? a + rank : a));
  out.fill(kind === "max" ? -Infinity : 0);
  if (x.length === 0) return;
  // Output strides over the input's axes: 0 along reduced axes.
  const outStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    if (reduced.includes(i)) outStrides[i] = 0;
    else {
      outStrides[i] = s;
      s *= shape[i]!;
    }
  }
  const { dims, strides } = collapse(shape, [stridesOf(shape), outStrides]);
  const so = strides[1]!;
  const inner = dims.length - 1;
  const n = dims[inner]!;
  const innerStride = so[inner]!;
  const index = new Array<number>(dims.length).fill(0);
  let o = 0;
  const max = kind === "max";
  for (let xi = 0; xi < x.length; xi += n) {
    if (innerStride === 0) {
      let acc = out[o]!;
      if (max) for (let j = 0; j < n; j++) acc = x[xi + j]! > acc ? x[xi + j]! : acc;
      else for (let j = 0; j < n; j++) acc += x[xi + j]!;
      out[o] = acc;
    } else if (max) {
      for (let j = 0; j < n; j++) if (x[xi + j]! > out[o + j]!) out[o + j] = x[xi + j]!;
    } else {
      for (let j = 0; j < n; j++) out[o + j] += x[xi + j]!;
    }
    for (let axis = inner - 1; axis >= 0; axis--) {
      index[axis]!++;
      o += so[axis]!;
      if (index[axis]! < dims[axis]!) break;
      o -= so[axis]! * dims[axis]!;
      index[axis] = 0;
    }
  }
  if (kind === "mean") {
    const count = x.length / out.length;
    for (let i = 0; i < out.length; i++) out[i] /= count;
  }
}

// softmax or log_softmax along `axis`, stable for any magnitude: the maximum is subtracted before
// exponentiating, and log_softmax is x − max − log Σ e^(x − max), never the log of a tiny ratio.
export function softmax(log: boolean, out: FloatArray, x: FloatArray, shape: number[], axis: number): void {
  const a = axis < 0 ? axis + shape.length : axis;
  const n = shape[a]!;
  let inner = 1;
  for (let i = a + 1; i < shape.length; i++) inner *= shape[i]!;
  const outer = n * inner === 0 ? 0 : x.length / (n * inner);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let max = -Infinity;
      for (let j = 0, at = base; j < n; j++, at += inner) if (x[at]! > max) max = x[at]!;
      let total = 0;
      for (let j = 0, at = base; j < n; j++, at += inner) {
        const e = Math.exp(x[at]! - max);
        out[at] = e;
        total += e;
      }
      if (log) {
        const logTotal = Math.log(total);
        for (let j = 0, at = base; j < n; j++, at += inner) out[at] = x[at]! - max - logTotal;
      } else {
        const scale = 1 / total;
        for (let j = 0, at = base; j < n; j++, at += inner) out[at] *= scale;
      }
    }
  }
}

// The index of the first largest element along `axis` (a NaN never wins: it is not larger), as
// the accuracy metric picks the predicted class; an i32, so `out` is an Int32Array.
export function argmaxAlong(out: Int32Array, x: FloatArray, shape: number[], axis: number): void {
  const a = axis < 0 ? axis + shape.length : axis;
  const n = shape[a]!;
  let inner = 1;
  for (let i = a + 1; i < shape.length; i++) inner *= shape[i]!;
  const outer = n * inner === 0 ? 0 : x.length / (n * inner);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let best = 0;
      let bestValue = x[base]!;
      for (let j = 1, at = base + inner; j < n; j++, at += inner) {
        if (x[at]! > bestValue) {
          bestValue = x[at]!;
          best = j;
        }
      }
      out[o * inner + q] = best;
    }
  }
}
