// The settings a `train` block may hold, as signatures (what each takes, what it means, and what
// the run uses when it is left out), plus the small settings whose value is a call of their own:
// `stop early(...)` and `clip norm(...)`. The data set, optimizer and schedule have their own files.

import type { Expression } from "../../grammar/ast.ts";
import type { DiagnosticBag } from "../diagnostics/registry.ts";
import type { EarlyStoppingConfig } from "../ir/config.ts";
import type { ArgType } from "./args.ts";
import { bindCall, callSite, describeValue, lookup, type TrainSignature } from "./train-bind.ts";
import { SEED_TYPE } from "./train-data.ts";
import { defaultMode, MONITORED_METRICS, REPORTED_METRICS, type Monitor, type MonitoredMetric } from "./train-metrics.ts";

export interface SettingSpec extends TrainSignature {
  required: boolean;
  otherwise: string; // what the run does when the setting is left out (for the docs)
  variadic?: boolean; // takes any number of values, each of the one parameter's type
}

const fraction: ArgType = { kind: "number", min: 0, max: 1, maxExclusive: true };
// A setting with one value names its parameter after itself, so a message about the value reads
// "`epochs` must be ≥ 1" rather than naming a placeholder.
const value = (name: string, doc: string) => ({ name, type: { kind: "expression" } as ArgType, doc });

export const DEFAULT_EPOCHS = 10;
export const DEFAULT_BATCH = 32;

export const SETTINGS: Record<string, SettingSpec> = {
  data: {
    name: "data",
    doc: "the data set to train on",
    required: true,
    otherwise: "required",
    params: [value("data", "a data set: mnist(…), iris, csv(…), xor(…), moons(…), spirals(…), blobs(…), linear(…), quadratic(…)")],
  },
  split: {
    name: "split",
    doc: "fractions of the training data held out for validation and for the final test",
    required: false,
    otherwise: "nothing is held out",
    params: [
      { name: "validation", type: fraction, default: 0, positional: false, doc: "fraction for validation, in [0, 1)" },
      { name: "test", type: fraction, default: 0, positional: false, doc: "fraction for the final test, in [0, 1) (MNIST has its own test set)" },
    ],
  },
  normalize: {
    name: "normalize",
    doc: "`standardize` inputs with the training split's mean and std (saved with the model), or `none`",
    required: false,
    otherwise: "none",
    params: [{ name: "normalize", type: { kind: "enum", values: ["standardize", "none"] }, doc: "`standardize` or `none`" }],
  },
  batch: {
    name: "batch",
    doc: "examples per optimizer step: a whole number (1 = per-sample SGD) or `full` (full-batch gradient descent)",
    required: false,
    otherwise: `${DEFAULT_BATCH} (\`full\` with lbfgs)`,
    params: [value("batch", "a positive whole number or `full`")],
  },
  epochs: {
    name: "epochs",
    doc: "passes over the training data",
    required: false,
    otherwise: String(DEFAULT_EPOCHS),
    params: [{ name: "epochs", type: { kind: "number", integer: true, min: 1 }, doc: "a positive whole number" }],
  },
  steps: {
    name: "steps",
    doc: "with `data none`: the optimizer steps in an epoch (an epoch is then a row of the table, a checkpoint, an early-stopping check)",
    required: false,
    otherwise: "1 (with `data none`)",
    params: [{ name: "steps", type: { kind: "number", integer: true, min: 1 }, doc: "a positive whole number" }],
  },
  shuffle: {
    name: "shuffle",
    doc: "reshuffle the training data every epoch",
    required: false,
    otherwise: "true",
    params: [{ name: "shuffle", type: { kind: "bool" }, doc: "`true` or `false`" }],
  },
  seed: {
    name: "seed",
    doc: "the seed of initial weights, shuffling and dropout; the same seed repeats a CPU run bit for bit",
    required: false,
    otherwise: "0",
    params: [{ name: "seed", type: SEED_TYPE, doc: "a whole number from 0 to 4294967295" }],
  },
  init: {
    name: "init",
    doc: "the initializer of every weight whose layer does not choose one",
    required: false,
    otherwise: "each layer's default (PyTorch's)",
    params: [value("init", "zeros, constant(v), uniform(low, high), normal(mean, std), glorot_uniform, he_normal, torch_default, …")],
  },
  optimizer: {
    name: "optimizer",
    doc: "the optimizer and its hyper-parameters",
    required: true,
    otherwise: "required",
    params: [value("optimizer", "sgd(…), momentum(…), nesterov(…), adagrad(…), rmsprop(…), adam(…), adamw(…), lbfgs(…)")],
  },
  schedule: {
    name: "schedule",
    doc: "the learning-rate schedule; `a then b` runs schedules one after another",
    required: false,
    otherwise: "constant",
    params: [value("schedule", "a schedule, or several joined by `then`")],
  },
  stop: {
    name: "stop",
    doc: "stop training early when a metric stops improving",
    required: false,
    otherwise: "train for every epoch",
    params: [value("stop", "early(…)")],
  },
  clip: {
    name: "clip",
    doc: "clip the gradients' global norm before each step",
    required: false,
    otherwise: "no clipping",
    params: [value("clip", "norm(max)")],
  },
  metrics: {
    name: "metrics",
    doc: "what is reported each epoch: `loss`, `accuracy`, `mse`",
    required: false,
    otherwise: "loss, and accuracy when the target holds labels",
    variadic: true,
    params: [{ name: "metrics", type: { kind: "enum", values: REPORTED_METRICS }, doc: "`loss`, `accuracy` or `mse`" }],
  },
  checkpoint: {
    name: "checkpoint",
    doc: "save the weights to a safetensors file during training (a relative path is relative to the working directory; `runs/NAME.safetensors` by convention)",
    required: false,
    otherwise: "no checkpoints",
    params: [
      { name: "path", type: { kind: "string" }, doc: "the file to write" },
      { name: "every", type: { kind: "number", integer: true, min: 1 }, default: 1, doc: "save every this many epochs" },
    ],
  },
};

export const STOP_RULES: Record<string, TrainSignature> = {
  early: {
    name: "early",
    doc: "stop when the metric has not improved by more than `min_delta` for `patience` epochs",
    params: [
      { name: "on", type: { kind: "enum", values: MONITORED_METRICS }, default: "val_loss", doc: "the metric to watch" },
      { name: "mode", type: { kind: "enum", values: ["min", "max"] }, optional: true, doc: "`min` or `max`; default `max` for accuracy, else `min`" },
      { name: "patience", type: { kind: "number", integer: true, min: 0 }, default: 5, doc: "epochs without improvement before stopping" },
      { name: "min_delta", type: { kind: "number", min: 0 }, default: 0, doc: "the smallest change that counts as an improvement" },
      { name: "restore", type: { kind: "enum", values: ["best", "last"] }, default: "best", doc: "keep the `best` weights seen, or the `last`" },
    ],
  },
};

export const CLIP_RULES: Record<string, TrainSignature> = {
  norm: {
    name: "norm",
    doc: "scale all gradients down together when their global L2 norm exceeds `max` (clip_grad_norm_)",
    params: [{ name: "max", type: { kind: "number", min: 0, minExclusive: true }, doc: "the largest allowed norm (> 0)" }],
  },
};

// `batch 128` or `batch full`.
export function parseBatch(expression: Expression, bag: DiagnosticBag): number | "full" | null {
  if (expression.type === "Identifier" && expression.name === "full") return "full";
  if (expression.type === "NumberLiteral" && expression.isInteger && expression.value >= 1) return expression.value;
  bag.report("E0605", expression.span, {
    args: { setting: "batch", expected: "a positive whole number or `full`", got: describeValue(expression) },
    hint: "`batch full` is full-batch gradient descent, `batch 1` per-sample SGD",
  });
  return null;
}

export function parseStop(expression: Expression, bag: DiagnosticBag): { config: EarlyStoppingConfig; monitor: Monitor } | null {
  const site = callSite(expression);
  if (!site) {
    bag.report("E0605", expression.span, { args: { setting: "stop", expected: "`early(…)`", got: describeValue(expression) } });
    return null;
  }
  const signature = lookup(STOP_RULES, site, "a stopping rule", bag);
  if (!signature) return null;
  const { values: v, spans, ok } = bindCall(signature, site, bag);
  if (!ok) return null;
  const metric = v.on as MonitoredMetric;
  return {
    config: {
      metric,
      mode: (v.mode as "min" | "max" | undefined) ?? defaultMode(metric),
      patience: v.patience as number,
      min_delta: v.min_delta as number,
      restore: v.restore as "best" | "last",
    },
    monitor: { metric, span: spans.on ?? site.span },
  };
}

export function parseClip(expression: Expression, bag: DiagnosticBag): number | null {
  const site = callSite(expression);
  if (!site) {
    bag.report("E0605", expression.span, {
      args: { setting: "clip", expected: "`norm(max)`", got: describeValue(expression) },
      hint: expression.type === "NumberLiteral" ? `write \`clip norm(${expression.raw})\`` : null,
    });
    return null;
  }
  const signature = lookup(CLIP_RULES, site, "a clipping rule", bag);
  if (!signature) return null;
  const { values, ok } = bindCall(signature, site, bag);
  return ok ? (values.max as number) : null;
}
