// Everything a backend runs for one model, compiled once from its lowered graphs: the training
// step (forward, backward, clipping, update, batch-norm statistics and metric accumulators), the
// evaluation pass (the evaluation graph with its own accumulators), and, for L-BFGS, the loss and
// gradient without an update. Each graph has been through the standard passes. The backends
// (runtime/train/cpu-backend.ts, runtime/webgpu/backend.ts) only execute these graphs.

import type { LossKind } from "../analyze/model-types.ts";
import { InternalError } from "../diagnostics/diagnostic.ts";
import type { TrainConfig } from "../ir/config.ts";
import { cloneGraph, type Graph } from "../ir/graph.ts";
import { runPasses, STANDARD_PIPELINE, type PassName } from "../passes/index.ts";
import { buildStepGraph, type StepGraph } from "./build.ts";
import { addMetricAccumulators, metricStateName, type MetricsSpec } from "./metrics.ts";

export interface ModelPrograms {
  step: StepGraph; // its graph optimized
  evaluation: Graph; // the evaluation graph with metric accumulators, optimized
  inference: Graph; // the evaluation graph as lowered (for predictions of any output)
  metrics: MetricsSpec;
  // The parameters, batch-norm statistics and optimizer slots a checkpoint holds, by name.
  params: Graph["params"];
  modelState: string[]; // batch-norm statistics
}

export interface ProgramOptions {
  gradNorms?: boolean;
  passes?: readonly PassName[];
  // Called with each pass's result, for `--dump-ir=after:PASS`.
  after?: (pass: PassName, graph: Graph) => void;
}

export function buildPrograms(
  trainGraph: Graph,
  evalGraph: Graph,
  config: Pick<TrainConfig, "optimizer" | "clip_grad_norm" | "metrics" | "early_stopping" | "schedule">,
  // The model's loss from the losses table; null for a model without data, whose loss is a formula
  // (its one metric is the loss).
  loss: { kind: LossKind; reduction: "mean" | "sum" } | null,
  options: ProgramOptions = {},
): ModelPrograms {
  // Accuracy is counted when asked for, or when early stopping or a plateau schedule watches it.
  const watched = [config.early_stopping?.metric, config.schedule.kind === "plateau" ? config.schedule.metric : undefined];
  const metrics: MetricsSpec = {
    loss: loss?.kind ?? null,
    reduction: loss?.reduction ?? "mean",
    accuracy: loss !== null && loss.kind !== "mse" && (config.metrics.includes("accuracy") || watched.some((m) => m?.endsWith("accuracy"))),
    mse: loss?.kind === "mse",
  };
  const passes = options.passes ?? STANDARD_PIPELINE;
  const step = buildStepGraph(trainGraph, config, { gradNorms: options.gradNorms });
  addMetricAccumulators(step.graph, metrics);
  const evaluation = cloneGraph(evalGraph);
  addMetricAccumulators(evaluation, metrics);
  return {
    step: { ...step, graph: runPasses(step.graph, passes, options.after) },
    evaluation: runPasses(evaluation, passes),
    inference: evalGraph,
    metrics,
    params: trainGraph.params,
    modelState: trainGraph.state.map((s) => s.name),
  };
}

// What a backend computes in one training step: the values it reads back (the loss, the gradient
// norms when asked for, the running example and correct counts for the progress bar) and the
// updates it writes back (parameters, batch-norm statistics, optimizer slots, metrics).
export interface StepOutputs {
  read: { name: string; node: number }[];
  updates: { name: string; node: number; kind: "param" | "state" }[];
}

export function stepOutputs(step: Graph): StepOutputs {
  const read = Object.keys(step.outputs)
    .filter((name) => name === "loss" || name.startsWith("grad_norm:"))
    .map((name) => ({ name, node: step.outputs[name]! }));
  for (const slot of ["examples", "correct"] as const) {
    const update = step.stateUpdates.find((u) => u.name === metricStateName(slot));
    if (update) read.push({ name: update.name, node: update.node });
  }
  return {
    read,
    updates: [...step.paramUpdates.map((u) => ({ ...u, kind: "param" as const })), ...step.stateUpdates.map((u) => ({ ...u, kind: "state" as const }))],
  };
}

// Where a graph takes its batch: the input's and the target's names and the symbolic batch dim. A
// model without data (`data none`) has neither: its graphs read only parameters.
export interface GraphIo {
  input: string | null;
  target: string | null; // inference graphs have none
  batchDim: string;
}

export function graphIo(graph: Graph): GraphIo {
  const input = graph.inputs.find((i) => i.role === "input");
  const target = graph.inputs.find((i) => i.role === "target");
  if (!input && target) throw new InternalError(`the ${graph.mode} graph has a target but no input`);
  return { input: input?.name ?? null, target: target?.name ?? null, batchDim: typeof input?.shape[0] === "string" ? input.shape[0] : "B" };
}

// A batch as a graph's feeds: the features to its input, the targets (when given) to its target;
// a graph without data takes neither.
export function batchFeeds<T>(io: GraphIo, features: T, targets: T | null = null): Record<string, T> {
  const feeds: Record<string, T> = {};
  if (io.input !== null) feeds[io.input] = features;
  if (io.target !== null && targets !== null) feeds[io.target] = targets;
  return feeds;
}
