// Gradient clipping by global norm as IR, as torch.nn.utils.clip_grad_norm_: the 2-norm of all
// gradients taken as one vector, the factor max_norm / (norm + 1e-6) clamped to at most 1, and
// every gradient multiplied by it. A factor of exactly 1 leaves a gradient bit-for-bit as it was,
// so the unclipped case needs no branch.

import type { GraphBuilder } from "../ir/graph.ts";

export function clipByGlobalNorm(b: GraphBuilder, grads: number[], maxNorm: number): { grads: number[]; norm: number } {
  const squares = grads.map((g) => {
    const rank = b.node(g).shape.length;
    const squared = b.binary("mul", g, g);
    return rank === 0 ? squared : b.sum(squared, [...Array(rank).keys()]);
  });
  const total = squares.reduce((sum, s) => b.binary("add", sum, s));
  const norm = b.unary("sqrt", total);
  const factor = b.binary("div", b.constant(maxNorm), b.binary("add", norm, b.constant(1e-6)));
  // min(factor, 1) = −max(−factor, −1), with the ops the IR has.
  const clamped = b.unary("neg", b.binary("maximum", b.unary("neg", factor), b.constant(-1)));
  return { grads: grads.map((g) => b.binary("mul", g, clamped)), norm };
}
