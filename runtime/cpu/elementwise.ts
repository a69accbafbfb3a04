// Elementwise kernels: unary ops as plain loops, and binary ops with numpy broadcasting.
//
// A binary op walks its output in rows: the shapes are first collapsed (adjacent axes merge when
// both operands step through them the same way), the last collapsed axis becomes a contiguous
// row, and each op is a small row function called once per row, never a closure per element.

import type { FloatArray, TensorArray } from "./types.ts";

// --- unary ---------------------------------------------------------------------------------

export function neg(out: FloatArray, x: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = -x[i]!;
}
export function exp(out: FloatArray, x: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.exp(x[i]!);
}
export function log(out: FloatArray, x: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.log(x[i]!);
}
export function sqrt(out: FloatArray, x: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(x[i]!);
}
export function abs(out: FloatArray, x: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.abs(x[i]!);
}
export function sign(out: FloatArray, x: FloatArray): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i]!;
    out[i] = v > 0 ? 1 : v < 0 ? -1 : 0;
  }
}
export function step(out: FloatArray, x: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = x[i]! > 0 ? 1 : 0;
}
export function relu(out: FloatArray, x: FloatArray): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i]!;
    out[i] = v > 0 ? v : 0;
  }
}
export function leakyRelu(out: FloatArray, x: FloatArray, slope: number): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i]!;
    out[i] = v > 0 ? v : slope * v;
  }
}
// Written so exp never overflows: for x < 0, σ(x) = eˣ/(1 + eˣ).
export function sigmoid(out: FloatArray, x: FloatArray): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i]!;
    if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
    else {
      const e = Math.exp(v);
      out[i] = e / (1 + e);
    }
  }
}
export function tanh(out: FloatArray, x: FloatArray): void {
  for (let i = 0; i < out.length; i++) out[i] = Math.tanh(x[i]!);
}
// log(1 + eˣ) = max(x, 0) + log1p(e^−|x|): no overflow for large x, no lost digits for small.
export function softplus(out: FloatArray, x: FloatArray): void {
  for (let i = 0; i < out.length; i++) {
    const v = x[i]!;
    out[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
  }
}

// --- binary with broadcasting ----------------------------------------------------------------

export type BinaryOp = "add" | "sub" | "mul" | "div" | "maximum" | "eq";

// One row: out[o + j] = a[ai + j·sa] ∘ b[bi + j·sb] for j < n, with sa, sb ∈ {0, 1}. The operands
// are float, except eq's, which may both be i32 (an Int32Array); the result is always float.
type Row = (out: FloatArray, o: number, a: TensorArray, ai: number, sa: number, b: TensorArray, bi: number, sb: number, n: number) => void;

const ROWS: Record<BinaryOp, Row> = {
  add: (out, o, a, ai, sa, b, bi, sb, n) => {
    for (let j = 0; j < n; j++) out[o + j] = a[ai + j * sa]! + b[bi + j * sb]!;
  },
  sub: (out, o, a, ai, sa, b, bi, sb, n) => {
    for (let j = 0; j < n; j++) out[o + j] = a[ai + j * sa]! - b[bi + j * sb]!;
  },
  mul: (out, o, a, ai, sa, b, bi, sb, n) => {
    for (let j = 0; j < n; j++) out[o + j] = a[ai + j * sa]! * b[bi + j * sb]!;
  },
  div: (out, o, a, ai, sa, b, bi, sb, n) => {
    for (let j = 0; j < n; j++) out[o + j] = a[ai + j * sa]! / b[bi + j * sb]!;
  },
  maximum: (out, o, a, ai, sa, b, bi, sb, n) => {
    for (let j = 0; j < n; j++) {
      const x = a[ai + j * sa]!;
      const y = b[bi + j * sb]!;
      out[o + j] = x >= y ? x : y;
    }
  },
  eq: (out, o, a, ai, sa, b, bi, sb, n) => {
    for (let j = 0; j < n; j++) out[o + j] = a[ai + j * sa]! === b[bi + j * sb]! ? 1 : 0;
  },
};

// The broadcast strides of an operand against the output shape (0 along axes it is repeated on).
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const strides = new Array<number>(outShape.length).fill(0);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = outShape.length - shape.length + i;
    strides[o] = shape[i] === 1 && outShape[o] !== 1 ? 0 : s;
    s *= shape[i]!;
  }
  return strides;
}

// Merges adjacent axes that every operand walks through contiguously (stride[i] = stride[i+1] ·
// dim[i+1]), so the inner row is as long as it can be. Returns the collapsed dims and strides.
export function collapse(dims: readonly number[], strides: number[][]): { dims: number[]; strides: number[][] } {
  const outDims: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === 1) continue;
    const last = outDims.length - 1;
    if (last >= 0 && strides.every((s, k) => s[i]! * dims[i]! === outStrides[k]![last])) {
      outDims[last] = outDims[last]! * dims[i]!;
      strides.forEach((s, k) => (outStrides[k]![last] = s[i]!));
    } else {
      outDims.push(dims[i]!);
      strides.forEach((s, k) => outStrides[k]!.push(s[i]!));
    }
  }
  if (outDims.length === 0) return { dims: [1], strides: strides.map(() => [1]) };
  return { dims: outDims, strides: outStrides };
}

export function binary(op: BinaryOp, out: FloatArray, outShape: number[], a: TensorArray, aShape: number[], b: TensorArray, bShape: number[]): void {
  const row = ROWS[op];
  if (a.length === out.length && b.length === out.length) {
    row(out, 0, a, 0, 1, b, 0, 1, out.length);
    return;
  }
  const { dims, strides } = collapse(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)]);
  const [sa, sb] = strides as [number[], number[]];
  const rank = dims.length;
  const n = dims[rank - 1]!;
  const rows = out.length / n;
  const index = new Array<number>(rank).fill(0);
  let ai = 0;
  let bi = 0;
  for (let r = 0; r < rows; r++) {
    row(out, r * n, a, ai, sa[rank - 1]!, b, bi, sb[rank - 1]!, n);
    // Advance the odometer over the outer axes.
    for (let axis = rank - 2; axis >= 0; axis--) {
      index[axis]!++;
      ai += sa[axis]!;
      bi += sb[axis]!;
      if (index[axis]! < dims[axis]!) break;
      ai -= sa[axis]! * dims[axis]!;
      bi -= sb[axis]! * dims[axis]!;
      index[axis] = 0;
    }
  }
}
