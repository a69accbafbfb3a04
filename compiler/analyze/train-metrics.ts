// Metrics: the `metrics` setting, the metric that `stop early(on: …)` and `plateau(on: …)` watch,
// and the checks that tie a metric to the model's target (accuracy needs labels, mse real values)
// and to the data (a val_* metric needs a validation split).

import type { Span } from "../../grammar/ast.ts";
import type { DiagnosticBag } from "../diagnostics/registry.ts";
import type { Metric, ModelInterface } from "../ir/config.ts";

// The metrics a run can be steered by. The test split is left out on purpose: choosing when to stop
// by the test loss would leak the test set into training.
export const MONITORED_METRICS = ["val_loss", "val_accuracy", "val_mse", "train_loss"] as const satisfies readonly Metric[];
export type MonitoredMetric = (typeof MONITORED_METRICS)[number];

export const REPORTED_METRICS = ["loss", "accuracy", "mse"] as const;
export type ReportedMetric = (typeof REPORTED_METRICS)[number];

// Losses whose targets are labels even when the target is declared real: bce_with_logits reads
// 0/1 labels, hinge and perceptron read −1/+1, cross_entropy may read one-hot rows.
const LABEL_LOSSES = new Set(["cross_entropy", "bce_with_logits", "hinge", "perceptron"]);

// A metric watched by early stopping or plateau, with where it was written.
export interface Monitor {
  metric: MonitoredMetric;
  span: Span;
}

// Whether accuracy makes sense for the model; null when it does, else the reason why not.
function accuracyProblem(model: ModelInterface): string | null {
  const target = model.targets[0];
  if (!target || target.kind === "class") return null;
  if (model.loss === null || LABEL_LOSSES.has(model.loss)) return null;
  return `the target \`${target.name}\` holds real values and the loss \`${model.loss}\` is a regression loss`;
}

// Checks that `metric` (a reported metric like `accuracy`, or a watched one like `val_accuracy`)
// fits the model's target. Reports and returns false when it does not.
export function checkMetricFitsModel(metric: string, span: Span, model: ModelInterface | null, bag: DiagnosticBag): boolean {
  if (model === null) return true;
  const target = model.targets[0];
  const note = target ? [bag.note("the target was declared here", target.span)] : [];
  if (metric.endsWith("accuracy")) {
    const reason = accuracyProblem(model);
    if (reason === null) return true;
    bag.report("E0617", span, {
      args: { metric, reason },
      notes: note,
      hint: metric === "accuracy" ? "use `mse` to measure a regression" : "watch `val_loss` or `val_mse` instead",
    });
    return false;
  }
  if (metric.endsWith("mse") && target?.kind === "class") {
    bag.report("E0618", span, {
      args: { metric, target: target.name },
      notes: note,
      hint: metric === "mse" ? "use `accuracy` to measure a classifier" : "watch `val_loss` or `val_accuracy` instead",
    });
    return false;
  }
  return true;
}

// Checks that a watched val_* metric has a validation split to be measured on.
export function checkMonitorHasValidation(monitor: Monitor, validation: number, bag: DiagnosticBag): boolean {
  if (!monitor.metric.startsWith("val_") || validation > 0) return true;
  bag.report("E0611", monitor.span, {
    args: { metric: monitor.metric },
    hint: "hold out part of the training data with `split validation: 0.1`, or watch `train_loss`",
  });
  return false;
}

// The metrics reported when the block has no `metrics` setting: the loss, and accuracy whenever it
// makes sense for the model.
export function defaultMetrics(model: ModelInterface | null): ReportedMetric[] {
  if (model === null || model.targets.length === 0 || accuracyProblem(model) !== null) return ["loss"];
  return ["loss", "accuracy"];
}

// Accuracy is better when higher; every other metric is a loss or an error.
export function defaultMode(metric: MonitoredMetric): "min" | "max" {
  return metric.endsWith("accuracy") ? "max" : "min";
}
