// Training and evaluation metrics as graph state: each step adds its batch's share to a few
// accumulators (`metric.*` state with updates), so a backend keeps them on the device and the host
// reads them once per epoch instead of every step. What is accumulated follows the CPU's
// MetricAccumulator (runtime/train/metrics.ts), the oracle these are tested against:
//   examples, data loss (× batch size when mean-reduced), regularization loss (× batch size);
//   accuracy: examples whose predicted class is the target's (by the loss: the largest logit for
//   cross_entropy, the score's sign for the others); MSE: squared errors and their count.

import { InternalError } from "../diagnostics/diagnostic.ts";
import type { LossKind } from "../analyze/model-types.ts";
import { GraphBuilder, type Graph } from "../ir/graph.ts";

export const METRIC_STATE = ["examples", "data_loss", "reg_loss", "correct", "squared_error", "target_elements"] as const;
export type MetricSlot = (typeof METRIC_STATE)[number];

export interface MetricsSpec {
  loss: LossKind | null; // null: a formula over parameters, without data

  reduction: "mean" | "sum";
  accuracy: boolean;
  mse: boolean;
}

export function metricStateName(slot: MetricSlot): string {
  return `metric.${slot}`;
}

// Extends `graph` (in place) with the accumulators and their updates.
export function addMetricAccumulators(graph: Graph, spec: MetricsSpec): void {
  const b = GraphBuilder.extend(graph);
  b.span = null;
  const input = graph.inputs.find((i) => i.role === "input");
  const target = graph.inputs.find((i) => i.role === "target");
  const { prediction, data_loss: dataLoss, reg_loss: regLoss } = graph.outputs;
  if (prediction === undefined || dataLoss === undefined || regLoss === undefined) {
    throw new InternalError("metrics need the graph's prediction and losses");
  }
  if ((spec.accuracy || spec.mse) && (!target || spec.loss === null)) throw new InternalError("accuracy and mse need a target and a loss of the table");
  // Without data every run is one example: the loss of the parameters.
  const batch = input ? b.add("dim_size", [input.node], { axes: [0] }) : b.constant(1);
  const contributions: Partial<Record<MetricSlot, number>> = {
    examples: batch,
    data_loss: spec.reduction === "mean" ? b.binary("mul", dataLoss, batch) : dataLoss,
    reg_loss: b.binary("mul", regLoss, batch),
  };
  if (spec.accuracy) contributions.correct = correctCount(b, spec.loss!, prediction, target!.node);
  if (spec.mse) {
    const error = b.binary("sub", prediction, target!.node);
    const squared = b.binary("mul", error, error);
    const rank = b.node(squared).shape.length;
    contributions.squared_error = b.sum(squared, [...Array(rank).keys()]);
    contributions.target_elements = b.add("dim_size", [target!.node], { axes: [...Array(b.node(target!.node).shape.length).keys()] });
  }
  for (const [slot, value] of Object.entries(contributions) as [MetricSlot, number][]) {
    const name = metricStateName(slot);
    const node = b.source("state", { name }, []);
    graph.state.push({ name, shape: [], init: 0, node });
    graph.stateUpdates.push({ name, node: b.binary("add", node, value) });
  }
}

// The number of examples in the batch whose predicted class is the target's.
function correctCount(b: GraphBuilder, loss: LossKind, prediction: number, target: number): number {
  const rows = (x: number) => {
    const shape = b.node(x).shape;
    const first = shape.length > 1 ? b.add("slice", [x], { axis: 1, start: 0, end: 1 }) : x;
    return shape.length === 1 ? first : b.reshape(first, [shape[0]!]);
  };
  let hits: number;
  if (loss === "cross_entropy") {
    const predicted = b.add("argmax", [prediction], { axis: -1 });
    const labels = b.node(target).shape.length > 1 ? b.add("argmax", [target], { axis: -1 }) : target;
    hits = b.binary("eq", predicted, labels);
  } else {
    // bce_with_logits: targets 0/1, positive above 0.5; hinge and perceptron: targets ±1.
    const threshold = loss === "bce_with_logits" ? 0.5 : 0;
    const positive = b.unary("step", b.binary("sub", rows(target), b.constant(threshold)));
    hits = b.binary("eq", b.unary("step", rows(prediction)), positive);
  }
  return b.sum(hits, [0]);
}

// The pass's metrics from the accumulators' values, as MetricAccumulator.result() computes them.
export function metricsFromAccumulators(values: Partial<Record<MetricSlot, number>>, spec: MetricsSpec) {
  const n = Math.max(values.examples ?? 0, 1);
  const dataLoss = spec.reduction === "mean" ? (values.data_loss ?? 0) / n : (values.data_loss ?? 0);
  const regLoss = (values.reg_loss ?? 0) / n;
  return {
    loss: dataLoss + regLoss,
    data_loss: dataLoss,
    reg_loss: regLoss,
    accuracy: spec.accuracy ? (values.correct ?? 0) / n : null,
    mse: spec.mse ? (values.squared_error ?? 0) / Math.max(values.target_elements ?? 0, 1) : null,
    n: values.examples ?? 0,
  };
}
