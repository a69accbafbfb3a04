// AdaGrad, as torch.optim.Adagrad: each parameter's step shrinks with the running sum of its
// squared gradients, so rarely-updated parameters keep larger steps.

import type { OptimizerConfig } from "../../../compiler/ir/config.ts";
import { allocateBuffers, copyBuffers, restoreBuffers, restoreStep, type Optimizer, type OptimizerState } from "./state.ts";

export type AdagradConfig = Extract<OptimizerConfig, { kind: "adagrad" }>;

// One parameter's update at step t (counted from 1):
//   clr = lr / (1 + (t − 1)·lr_decay);  g ← g + λθ;  s ← s + g²;  θ ← θ − clr·g/(√s + eps).
export function adagradUpdate(
  param: Float32Array,
  grad: Float32Array,
  sum: Float32Array,
  lr: number,
  config: AdagradConfig,
  t: number,
): void {
  const { lr_decay, eps, weight_decay } = config;
  const clr = lr / (1 + (t - 1) * lr_decay);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! + weight_decay * param[i]!;
    sum[i] = sum[i]! + g * g;
    param[i] = param[i]! - (clr * g) / (Math.sqrt(sum[i]!) + eps);
  }
}

export class Adagrad implements Optimizer {
  readonly kind = "adagrad";
  private steps = 0;
  // The running sums of squared gradients, starting at initial_accumulator_value.
  private sums: Float32Array[] | null = null;

  constructor(
    private readonly config: AdagradConfig,
    private readonly sizes: readonly number[],
  ) {}

  step(params: Float32Array[], grads: Float32Array[], lr: number): void {
    this.sums ??= allocateBuffers(this.sizes, this.config.initial_accumulator_value);
    this.steps++;
    for (let p = 0; p < params.length; p++) {
      adagradUpdate(params[p]!, grads[p]!, this.sums[p]!, lr, this.config, this.steps);
    }
  }

  saveState(): OptimizerState {
    const sums = this.sums ?? allocateBuffers(this.sizes, this.config.initial_accumulator_value);
    return { scalars: { step: this.steps }, tensors: { sum: copyBuffers(sums) } };
  }

  loadState(state: OptimizerState): void {
    this.steps = restoreStep(state);
    this.sums = restoreBuffers(state, "sum", this.sizes);
  }
}
