// The size budget: how big a model `nnc check` accepts. A typo such as `dense(x, 1000000000)` or
// three nested `repeat(1000, ...)` would otherwise pass the check and then take gigabytes (or the
// checker's own memory) when the model is built. The budget is checked on the analyzer's shapes,
// before anything is allocated, and a `repeat` is stopped after its first copy when its copies
// would pass the layer limit. The command line raises it (`--max-params`, `--max-activations`,
// `--max-layers`); docs/LANGUAGE.md, "Size budget".

import type { Span } from "../../grammar/ast.ts";
import type { DiagnosticBag } from "../diagnostics/registry.ts";
import type { Shape } from "../ir/graph.ts";
import type { LayerNode, ModelParam } from "./model-types.ts";

export interface Budget {
  params: number; // parameters of a model (weights, biases, normalization scales and shifts)
  activations: number; // values all layers compute for one example (the batch dimension counts 1)
  layers: number; // layer nodes after blocks and repeats are expanded, counting block uses
}

// About 400 MB of weights, 20 MB of activations per example, and far more layers than any model
// written by hand.
export const DEFAULT_BUDGET: Budget = { params: 100_000_000, activations: 5_000_000, layers: 10_000 };

export const BUDGET_FLAGS: Record<keyof Budget, string> = { params: "--max-params", activations: "--max-activations", layers: "--max-layers" };

// The number of values in a tensor of this shape for one example: symbolic dimensions (the batch
// `B`) count 1.
export function sizePerExample(shape: Shape): number {
  return shape.reduce<number>((n, d) => n * (typeof d === "number" ? d : 1), 1);
}

const count = (n: number) => (Number.isFinite(n) && n < 1e21 ? Math.round(n).toLocaleString("en-US") : n.toExponential(2));

export function reportLayers(bag: DiagnosticBag, span: Span, layers: number, budget: Budget): void {
  bag.report("E0317", span, {
    args: { count: count(layers), limit: count(budget.layers) },
    hint: `use fewer copies or smaller blocks, or raise the limit with \`${BUDGET_FLAGS.layers} N\``,
  });
}

// Reports the model's parameters and activations past the budget, at the layer that holds the most.
export function checkModelSize(model: string, nodes: LayerNode[], params: ModelParam[], budget: Budget, bag: DiagnosticBag): void {
  const totalParams = params.reduce((n, p) => n + sizePerExample(p.shape), 0);
  if (totalParams > budget.params) {
    const largest = params.reduce((a, b) => (sizePerExample(b.shape) > sizePerExample(a.shape) ? b : a));
    bag.report("E0318", largest.span, {
      args: { model, count: count(totalParams), limit: count(budget.params) },
      notes: [bag.note(`\`${largest.name}\` alone has ${count(sizePerExample(largest.shape))}`, largest.span)],
      hint: `make the layers smaller, or raise the limit with \`${BUDGET_FLAGS.params} N\``,
    });
  }
  const totalValues = nodes.reduce((n, node) => n + sizePerExample(node.shape), 0);
  if (totalValues > budget.activations) {
    const largest = nodes.reduce((a, b) => (sizePerExample(b.shape) > sizePerExample(a.shape) ? b : a));
    bag.report("E0319", largest.span, {
      args: { model, count: count(totalValues), limit: count(budget.activations) },
      notes: [bag.note(`this \`${largest.layer}\` alone computes ${count(sizePerExample(largest.shape))}`, largest.span)],
      hint: `use fewer channels or units, more pooling or less padding, or raise the limit with \`${BUDGET_FLAGS.activations} N\``,
    });
  }
}
