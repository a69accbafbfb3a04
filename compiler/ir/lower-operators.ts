// The lowering of powers and indexing (compiler/analyze/operators.ts checked them) to ops the IR
// already has, so they need no kernels, gradients or WGSL rows of their own.

import type { GraphBuilder } from "./graph.ts";

// x^p for a constant p. A whole p is a product of squarings (exact, and its gradient is the
// product rule's), a negative one its reciprocal; p = ±0.5 is a square root; any other p is
// exp(p·log x), defined for x > 0 (NaN below, as in PyTorch).
export function lowerPower(b: GraphBuilder, x: number, p: number): number {
  if (p === 0) return b.constant(1, b.node(x).shape);
  if (p === 1) return x;
  if (Math.abs(p) === 0.5) {
    const root = b.unary("sqrt", x);
    return p > 0 ? root : b.binary("div", b.constant(1), root);
  }
  if (!Number.isInteger(p)) return b.unary("exp", b.scale(b.unary("log", x), p));
  let result: number | null = null;
  let square = x;
  for (let n = Math.abs(p); n > 0; n = Math.floor(n / 2)) {
    if (n % 2 === 1) result = result === null ? square : b.binary("mul", result, square);
    if (n > 1) square = b.binary("mul", square, square);
  }
  return p > 0 ? result! : b.binary("div", b.constant(1), result!);
}

// x[i₀, i₁, …]: a slice of one element along each indexed leading axis, then those axes dropped.
export function lowerIndex(b: GraphBuilder, x: number, indices: number[]): number {
  let sliced = x;
  indices.forEach((i, axis) => (sliced = b.add("slice", [sliced], { axis, start: i, end: i + 1 })));
  return b.reshape(sliced, b.node(x).shape.slice(indices.length));
}
