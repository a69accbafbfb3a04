// Diagnostics about a `train` block's settings (codes E06xx): which settings exist, the optimizer,
// the learning-rate schedule, early stopping and metrics, and settings that contradict each other.
// Mistakes in a single argument (a wrong type, a value out of range) are the binder's E04xx codes.
// See ../registry.ts; compiler/analyze/train.ts reports these.
import type { CodeTable } from "../registry.ts";

export const TRAIN_CODES: CodeTable = {
  E0601: { severity: "error", title: "unknown-setting", message: "unknown training setting `{name}`" },
  E0602: { severity: "error", title: "duplicate-setting", message: "the setting `{name}` is given twice" },
  E0603: { severity: "error", title: "missing-setting", message: "the training of `{model}` needs the setting `{name}`" },
  E0604: { severity: "error", title: "unknown-choice", message: "`{name}` is not {what}" },
  E0605: { severity: "error", title: "setting-value", message: "`{setting}` expects {expected}, but got {got}" },
  E0606: { severity: "error", title: "then-outside-schedule", message: "`then` chains learning-rate schedules and can only be used in `schedule`" },
  E0607: { severity: "error", title: "schedule-needs-length", message: "`{name}` is followed by another schedule, so it needs a length" },
  E0608: { severity: "error", title: "schedule-unit-conflict", message: "the schedules in this sequence advance at different times: `{first}` every {firstUnit}, `{second}` every {secondUnit}" },
  E0609: { severity: "error", title: "schedule-length-unused", message: "`for` sets how long a schedule runs before the next one, but `{name}` is not followed by another schedule" },
  E0610: { severity: "error", title: "plateau-in-sequence", message: "`plateau` reacts to a metric and cannot be chained with `then`" },
  E0611: { severity: "error", title: "needs-validation-split", message: "`{metric}` is measured on the validation split, but this training has none" },
  E0612: { severity: "error", title: "nesterov-needs-momentum", message: "Nesterov momentum needs `momentum` > 0 and `dampening` 0, but momentum is {momentum} and dampening {dampening}" },
  E0613: { severity: "error", title: "lbfgs-needs-full-batch", message: "L-BFGS uses the whole training set at every step, so `batch` must be `full`, not {batch}" },
  E0614: { severity: "error", title: "milestones-not-increasing", message: "`milestones` must increase, but {next} comes after {previous}" },
  E0615: { severity: "error", title: "cyclic-range", message: "the cycle's `low` ({low}) must be below its `high` ({high})" },
  E0616: { severity: "error", title: "split-too-large", message: "the held-out fractions add up to {sum}, which leaves nothing to train on" },
  E0617: { severity: "error", title: "accuracy-needs-labels", message: "`{metric}` counts correct class predictions, but {reason}" },
  E0618: { severity: "error", title: "mse-needs-real-target", message: "`{metric}` compares real values, but the target `{target}` holds class labels" },
  E0619: { severity: "error", title: "lbfgs-clip", message: "`clip` cannot be used with L-BFGS, whose steps and line search use the gradient as it is" },
  E0620: { severity: "error", title: "cyclic-momentum-without-momentum", message: "`cyclic` cycles the optimizer's momentum, but `{optimizer}` has no momentum" },
};
