// The graph `nnc analyze` runs: the training loss at fixed weights, with dropout off and batch norm
// on its running statistics (the evaluation graph, so the point being studied does not move with
// random masks or batch statistics), its gradient, and a Hessian-vector product H·v
// (compiler/autodiff/hvp.ts), all ordinary IR that either backend runs.
//
// A data set may be too large for one run, so the loss is weighted: every run computes
//   data_weight · data_loss + reg_weight · reg_loss
// on one chunk of the examples, with data_weight = (chunk size / examples) for a mean-reduced loss
// (1 for a sum) and reg_weight = 1 on the first chunk only. Summed over the chunks, the loss, the
// gradient and H·v are exactly those of the whole training loss (both are linear in the loss).

import { hessianVectorProduct } from "../autodiff/hvp.ts";
import { InternalError } from "../diagnostics/diagnostic.ts";
import { cloneGraph, GraphBuilder, type Graph } from "../ir/graph.ts";
import { runPasses, STANDARD_PIPELINE } from "../passes/index.ts";

export const DATA_WEIGHT = "analysis.data_weight";
export const REG_WEIGHT = "analysis.reg_weight";

export interface CurvatureGraph {
  graph: Graph;
  // Output names: the weighted loss and its two terms (each already weighted), the gradient of
  // each parameter (`grad:<name>`) and its part of H·v (`hvp:<name>`), in the graph's parameter order.
  loss: string;
  dataLoss: string;
  regLoss: string;
  gradients: string[];
  products: string[];
  // The input each parameter's part of v is fed to (`v:<name>`).
  vectors: string[];
}

export function buildCurvatureGraph(evalGraph: Graph): CurvatureGraph {
  if (evalGraph.mode !== "eval") throw new InternalError(`curvature is measured on the evaluation graph, not a ${evalGraph.mode} graph`);
  const graph = cloneGraph(evalGraph);
  const b = GraphBuilder.extend(graph);
  b.span = null;
  const weight = (name: string) => {
    const node = b.source("input", { name }, []);
    graph.inputs.push({ name, role: "scalar", shape: [], dtype: "f32", classes: null, node });
    return node;
  };
  const { data_loss: dataLoss, reg_loss: regLoss } = graph.outputs;
  if (dataLoss === undefined || regLoss === undefined) throw new InternalError("the evaluation graph has no data_loss or reg_loss");
  const weightedData = b.binary("mul", dataLoss, weight(DATA_WEIGHT));
  const weightedReg = b.binary("mul", regLoss, weight(REG_WEIGHT));
  const loss = b.binary("add", weightedData, weightedReg);
  const params = graph.params.map((p) => p.node);
  const hvp = hessianVectorProduct(graph, loss, params);
  // Only what the analysis reads stays; the model's other outputs go with dead-code elimination.
  const outputs: Record<string, number> = { "analysis.loss": loss, "analysis.data_loss": weightedData, "analysis.reg_loss": weightedReg };
  graph.params.forEach((p, i) => {
    outputs[`grad:${p.name}`] = hvp.gradients[i]!;
    outputs[`hvp:${p.name}`] = hvp.products[i]!;
  });
  graph.outputs = outputs;
  return {
    graph: runPasses(graph, STANDARD_PIPELINE),
    loss: "analysis.loss",
    dataLoss: "analysis.data_loss",
    regLoss: "analysis.reg_loss",
    gradients: graph.params.map((p) => `grad:${p.name}`),
    products: graph.params.map((p) => `hvp:${p.name}`),
    vectors: graph.params.map((p) => `v:${p.name}`),
  };
}
