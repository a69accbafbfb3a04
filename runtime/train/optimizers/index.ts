// The optimizers of torch.optim, on flat float32 parameter arrays in PyTorch's layouts: SGD (with
// momentum, dampening, Nesterov), AdaGrad, RMSProp, Adam, AdamW, and L-BFGS.
//
// Training runs the first-order optimizers as IR inside the step graph
// (compiler/step/optimizer-rules.ts); the per-element functions here (sgdUpdate, adagradUpdate,
// rmspropUpdate, adamUpdate) are the oracles those rules are tested against. Their arithmetic is
// float64 with every stored value rounded to float32, so results agree with PyTorch's float32
// optimizers to within float32 rounding rather than bit for bit.
//
// L-BFGS, which the loop does run from here, needs a closure that re-evaluates the loss, so it is not an `Optimizer`: it is the
// LbfgsOptimizer class with its own `step(params, closure, lr?)`.

import type { OptimizerConfig } from "../../../compiler/ir/config.ts";
import { Adagrad } from "./adagrad.ts";
import { Adam } from "./adam.ts";
import { LbfgsOptimizer, type LbfgsConfig } from "./lbfgs.ts";
import { Rmsprop } from "./rmsprop.ts";
import { Sgd } from "./sgd.ts";
import type { Optimizer } from "./state.ts";

export type { Optimizer, OptimizerState } from "./state.ts";
export { OptimizerStateError } from "./state.ts";
export { Sgd, sgdUpdate, type SgdConfig } from "./sgd.ts";
export { Adagrad, adagradUpdate, type AdagradConfig } from "./adagrad.ts";
export { Rmsprop, rmspropUpdate, type RmspropConfig } from "./rmsprop.ts";
export { Adam, adamUpdate, type AdamConfig } from "./adam.ts";
export { LbfgsOptimizer, type LbfgsClosure, type LbfgsConfig, type LbfgsResult } from "./lbfgs.ts";

export type FirstOrderConfig = Exclude<OptimizerConfig, { kind: "lbfgs" }>;

// The optimizer a validated config asks for. `sizes` are the element counts of the parameters, in
// the order their arrays will be passed to step.
export function createOptimizer(config: LbfgsConfig, sizes: readonly number[]): LbfgsOptimizer;
export function createOptimizer(config: FirstOrderConfig, sizes: readonly number[]): Optimizer;
export function createOptimizer(config: OptimizerConfig, sizes: readonly number[]): Optimizer | LbfgsOptimizer;
export function createOptimizer(config: OptimizerConfig, sizes: readonly number[]): Optimizer | LbfgsOptimizer {
  switch (config.kind) {
    case "sgd":
      return new Sgd(config, sizes);
    case "adagrad":
      return new Adagrad(config, sizes);
    case "rmsprop":
      return new Rmsprop(config, sizes);
    case "adam":
    case "adamw":
      return new Adam(config, sizes);
    case "lbfgs":
      return new LbfgsOptimizer(config, sizes.reduce((total, size) => total + size, 0));
  }
}
