// The `optimizer` setting: the optimizers nnc knows, their arguments with PyTorch's defaults
// (torch.optim), and the checks that go beyond one argument's range.

import type { Expression } from "../../grammar/ast.ts";
import type { DiagnosticBag } from "../diagnostics/registry.ts";
import type { OptimizerConfig } from "../ir/config.ts";
import type { ArgType, ParamSpec } from "./args.ts";
import { bindCall, callSite, describeValue, lookup, type TrainSignature } from "./train-bind.ts";

const positive: ArgType = { kind: "number", min: 0, minExclusive: true };
const nonNegative: ArgType = { kind: "number", min: 0 };
const fraction: ArgType = { kind: "number", min: 0, max: 1, maxExclusive: true }; // [0, 1)
const count: ArgType = { kind: "number", integer: true, min: 1 };
const bool: ArgType = { kind: "bool" };

function lr(defaultValue?: number): ParamSpec {
  return { name: "lr", type: positive, default: defaultValue, doc: "the learning rate η (> 0)" };
}
const weightDecay = (value: number): ParamSpec => ({
  name: "weight_decay",
  type: nonNegative,
  default: value,
  doc: "L2 penalty added to the gradient, g ← g + λ·θ (≥ 0)",
});
const eps = (value: number): ParamSpec => ({ name: "eps", type: positive, default: value, doc: "added to the denominator for stability (> 0)" });

const adamParams = (decay: number): ParamSpec[] => [
  lr(1e-3),
  {
    name: "betas",
    type: { kind: "list", of: fraction, length: 2 },
    default: [0.9, 0.999],
    doc: "decay rates [β1, β2] of the first and second moment estimates, each in [0, 1)",
  },
  eps(1e-8),
  weightDecay(decay),
  { name: "amsgrad", type: bool, default: false, doc: "use the maximum of past second moments (AMSGrad)" },
];

export const OPTIMIZERS: Record<string, TrainSignature> = {
  sgd: {
    name: "sgd",
    doc: "stochastic gradient descent, with optional momentum and Nesterov momentum (torch.optim.SGD); `batch` chooses full-batch, mini-batch or per-sample",
    params: [
      lr(),
      { name: "momentum", type: fraction, default: 0, doc: "momentum factor μ in [0, 1)" },
      { name: "dampening", type: { kind: "number", min: 0, max: 1 }, default: 0, doc: "dampening for momentum, in [0, 1]" },
      { name: "nesterov", type: bool, default: false, doc: "use Nesterov momentum (needs momentum > 0 and dampening 0)" },
      weightDecay(0),
    ],
  },
  momentum: {
    name: "momentum",
    doc: "SGD with (heavy-ball) momentum: the same as sgd(lr, momentum: 0.9)",
    params: [
      lr(),
      { name: "momentum", type: { kind: "number", min: 0, max: 1, minExclusive: true, maxExclusive: true }, default: 0.9, doc: "momentum factor μ in (0, 1)" },
      { name: "dampening", type: { kind: "number", min: 0, max: 1 }, default: 0, doc: "dampening for momentum, in [0, 1]" },
      weightDecay(0),
    ],
  },
  nesterov: {
    name: "nesterov",
    doc: "SGD with Nesterov momentum: the same as sgd(lr, momentum: 0.9, nesterov: true)",
    params: [
      lr(),
      { name: "momentum", type: { kind: "number", min: 0, max: 1, minExclusive: true, maxExclusive: true }, default: 0.9, doc: "momentum factor μ in (0, 1)" },
      weightDecay(0),
    ],
  },
  adagrad: {
    name: "adagrad",
    doc: "AdaGrad: s ← s + g²; θ ← θ − η·g / (√s + ε) (torch.optim.Adagrad)",
    params: [
      lr(0.01),
      { name: "lr_decay", type: nonNegative, default: 0, doc: "the learning rate is η / (1 + (t − 1)·lr_decay) at step t (≥ 0)" },
      eps(1e-10),
      weightDecay(0),
      { name: "initial_accumulator_value", type: nonNegative, default: 0, doc: "the starting value of s (≥ 0)" },
    ],
  },
  rmsprop: {
    name: "rmsprop",
    doc: "RMSProp: v ← α·v + (1−α)·g²; θ ← θ − η·g / (√v + ε) (torch.optim.RMSprop)",
    params: [
      lr(0.01),
      { name: "alpha", type: fraction, default: 0.99, doc: "smoothing constant α of the squared-gradient average, in [0, 1)" },
      eps(1e-8),
      { name: "momentum", type: fraction, default: 0, doc: "momentum factor in [0, 1)" },
      { name: "centered", type: bool, default: false, doc: "divide by the estimated variance of the gradient instead of its second moment" },
      weightDecay(0),
    ],
  },
  adam: { name: "adam", doc: "Adam with bias-corrected moment estimates (torch.optim.Adam)", params: adamParams(0) },
  adamw: {
    name: "adamw",
    doc: "AdamW: Adam with decoupled weight decay θ ← θ·(1 − η·λ) before each step (torch.optim.AdamW)",
    params: adamParams(0.01),
  },
  lbfgs: {
    name: "lbfgs",
    doc: "L-BFGS, a quasi-Newton method on the full training set (torch.optim.LBFGS); needs `batch full`",
    aliases: { history_size: "history" },
    params: [
      lr(1),
      { name: "max_iter", type: count, default: 20, doc: "iterations per optimizer step (≥ 1)" },
      { name: "max_eval", type: count, optional: true, doc: "loss evaluations per optimizer step; default max_iter · 5/4 (rounded down)" },
      { name: "history", type: count, default: 100, doc: "how many past updates approximate the Hessian (PyTorch's history_size)" },
      { name: "tolerance_grad", type: nonNegative, default: 1e-7, doc: "stop when the largest gradient entry is at most this" },
      { name: "tolerance_change", type: nonNegative, default: 1e-9, doc: "stop when the loss or the step changes by at most this" },
      { name: "line_search", type: { kind: "enum", values: ["none", "strong_wolfe"] }, default: "none", doc: "`none` (fixed step lr) or `strong_wolfe`" },
    ],
  },
};

// Reads `optimizer VALUE`; null after reporting when it is not a valid optimizer.
export function parseOptimizer(value: Expression, bag: DiagnosticBag): OptimizerConfig | null {
  const site = callSite(value);
  if (!site) {
    bag.report("E0605", value.span, {
      args: { setting: "optimizer", expected: "an optimizer such as `adam(lr: 1e-3)`", got: describeValue(value) },
    });
    return null;
  }
  const signature = lookup(OPTIMIZERS, site, "an optimizer", bag);
  if (!signature) return null;
  const { values: v, spans, ok } = bindCall(signature, site, bag);
  if (!ok) return null;
  const num = (name: string) => v[name] as number;
  const flag = (name: string) => v[name] as boolean;

  switch (site.name) {
    case "sgd":
    case "momentum":
    case "nesterov": {
      const nesterov = site.name === "nesterov" || (site.name === "sgd" && flag("nesterov"));
      const momentum = num("momentum");
      const dampening = site.name === "nesterov" ? 0 : num("dampening");
      // PyTorch refuses Nesterov momentum without momentum or with dampening, because the
      // look-ahead step is then not Nesterov's method.
      if (nesterov && (momentum <= 0 || dampening !== 0)) {
        bag.report("E0612", spans.nesterov ?? site.span, {
          args: { momentum, dampening },
          hint: "for example `sgd(lr: 0.1, momentum: 0.9, nesterov: true)`",
        });
        return null;
      }
      return { kind: "sgd", lr: num("lr"), momentum, dampening, nesterov, weight_decay: num("weight_decay") };
    }
    case "adagrad":
      return {
        kind: "adagrad",
        lr: num("lr"),
        lr_decay: num("lr_decay"),
        eps: num("eps"),
        weight_decay: num("weight_decay"),
        initial_accumulator_value: num("initial_accumulator_value"),
      };
    case "rmsprop":
      return {
        kind: "rmsprop",
        lr: num("lr"),
        alpha: num("alpha"),
        eps: num("eps"),
        momentum: num("momentum"),
        centered: flag("centered"),
        weight_decay: num("weight_decay"),
      };
    case "adam":
    case "adamw": {
      const [beta1, beta2] = v.betas as number[];
      return {
        kind: site.name,
        lr: num("lr"),
        beta1: beta1!,
        beta2: beta2!,
        eps: num("eps"),
        weight_decay: num("weight_decay"),
        amsgrad: flag("amsgrad"),
      };
    }
    case "lbfgs": {
      const maxIter = num("max_iter");
      return {
        kind: "lbfgs",
        lr: num("lr"),
        max_iter: maxIter,
        // PyTorch: max_eval = max_iter * 5 // 4 when it is not given.
        max_eval: v.max_eval === undefined ? Math.floor((maxIter * 5) / 4) : num("max_eval"),
        history_size: num("history"),
        tolerance_grad: num("tolerance_grad"),
        tolerance_change: num("tolerance_change"),
        line_search: v.line_search as "none" | "strong_wolfe",
      };
    }
  }
  return null;
}
