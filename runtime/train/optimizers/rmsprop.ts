// RMSProp, as torch.optim.RMSprop: steps are divided by a running root-mean-square of recent
// gradients, optionally centered (by the running mean gradient) and with a momentum buffer.

import type { OptimizerConfig } from "../../../compiler/ir/config.ts";
import { allocateBuffers, copyBuffers, restoreBuffers, restoreStep, type Optimizer, type OptimizerState } from "./state.ts";

export type RmspropConfig = Extract<OptimizerConfig, { kind: "rmsprop" }>;

// One parameter's update:
//   g ← g + λθ;  v ← αv + (1−α)g²;
//   centered: gavg ← α·gavg + (1−α)g, avg = √(v − gavg²) + eps;  else avg = √v + eps;
//   momentum μ > 0: buf ← μ·buf + g/avg, θ ← θ − lr·buf;  else θ ← θ − lr·g/avg.
// `gradAvg` is null unless centered and `buffer` is null unless momentum > 0.
export function rmspropUpdate(
  param: Float32Array,
  grad: Float32Array,
  squareAvg: Float32Array,
  gradAvg: Float32Array | null,
  buffer: Float32Array | null,
  lr: number,
  config: RmspropConfig,
): void {
  const { alpha, eps, momentum, weight_decay } = config;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! + weight_decay * param[i]!;
    squareAvg[i] = alpha * squareAvg[i]! + (1 - alpha) * g * g;
    let avg: number;
    if (gradAvg) {
      gradAvg[i] = alpha * gradAvg[i]! + (1 - alpha) * g;
      avg = Math.sqrt(squareAvg[i]! - gradAvg[i]! * gradAvg[i]!) + eps;
    } else {
      avg = Math.sqrt(squareAvg[i]!) + eps;
    }
    if (buffer) {
      buffer[i] = momentum * buffer[i]! + g / avg;
      param[i] = param[i]! - lr * buffer[i]!;
    } else {
      param[i] = param[i]! - (lr * g) / avg;
    }
  }
}

export class Rmsprop implements Optimizer {
  readonly kind = "rmsprop";
  private steps = 0;
  private squareAvgs: Float32Array[] | null = null;
  private gradAvgs: Float32Array[] | null = null;
  private momentumBuffers: Float32Array[] | null = null;

  constructor(
    private readonly config: RmspropConfig,
    private readonly sizes: readonly number[],
  ) {}

  step(params: Float32Array[], grads: Float32Array[], lr: number, momentum?: number): void {
    const config = momentum === undefined ? this.config : { ...this.config, momentum };
    this.allocate();
    for (let p = 0; p < params.length; p++) {
      rmspropUpdate(
        params[p]!,
        grads[p]!,
        this.squareAvgs![p]!,
        this.gradAvgs ? this.gradAvgs[p]! : null,
        this.momentumBuffers ? this.momentumBuffers[p]! : null,
        lr,
        config,
      );
    }
    this.steps++;
  }

  saveState(): OptimizerState {
    this.allocate();
    const tensors: Record<string, Float32Array[]> = { square_avg: copyBuffers(this.squareAvgs!) };
    if (this.gradAvgs) tensors.grad_avg = copyBuffers(this.gradAvgs);
    if (this.momentumBuffers) tensors.momentum_buffer = copyBuffers(this.momentumBuffers);
    return { scalars: { step: this.steps }, tensors };
  }

  loadState(state: OptimizerState): void {
    this.steps = restoreStep(state);
    this.squareAvgs = restoreBuffers(state, "square_avg", this.sizes);
    this.gradAvgs = this.config.centered ? restoreBuffers(state, "grad_avg", this.sizes) : null;
    this.momentumBuffers = this.config.momentum > 0 ? restoreBuffers(state, "momentum_buffer", this.sizes) : null;
  }

  // Every buffer starts at zero, so allocating them before the first step changes nothing.
  private allocate(): void {
    if (this.squareAvgs) return;
    this.squareAvgs = allocateBuffers(this.sizes);
    if (this.config.centered) this.gradAvgs = allocateBuffers(this.sizes);
    if (this.config.momentum > 0) this.momentumBuffers = allocateBuffers(this.sizes);
  }
}
