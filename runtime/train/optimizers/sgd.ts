// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight
// decay, as torch.optim.SGD. Full-batch gradient descent, per-sample SGD and mini-batch SGD are
// all this optimizer; the batch size alone tells them apart.

import type { OptimizerConfig } from "../../../compiler/ir/config.ts";
import { allocateBuffers, copyBuffers, restoreBuffers, restoreStep, type Optimizer, type OptimizerState } from "./state.ts";

export type SgdConfig = Extract<OptimizerConfig, { kind: "sgd" }>;

// One parameter's update, element by element, as a WebGPU kernel will do it:
//   g ← g + λθ;  b ← g on the first step, else b ← μb + (1 − dampening)g;
//   g ← g + μb (Nesterov) or g ← b;  θ ← θ − lr·g.
// `buffer` is null when momentum is 0 (PyTorch keeps no buffer then). Arithmetic is in float64
// and each stored value is rounded once to float32.
export function sgdUpdate(
  param: Float32Array,
  grad: Float32Array,
  buffer: Float32Array | null,
  lr: number,
  config: SgdConfig,
  firstStep: boolean,
): void {
  const { momentum, dampening, nesterov, weight_decay } = config;
  for (let i = 0; i < param.length; i++) {
    let g = grad[i]! + weight_decay * param[i]!;
    if (buffer) {
      const b = firstStep ? g : momentum * buffer[i]! + (1 - dampening) * g;
      buffer[i] = b;
      // Nesterov reads the buffer as stored (rounded to float32), as PyTorch's in-place update does.
      g = nesterov ? g + momentum * buffer[i]! : buffer[i]!;
    }
    param[i] = param[i]! - lr * g;
  }
}

export class Sgd implements Optimizer {
  readonly kind = "sgd";
  private steps = 0;
  // The momentum buffers, allocated on the first step (none without momentum).
  private momentumBuffers: Float32Array[] | null = null;

  constructor(
    private readonly config: SgdConfig,
    private readonly sizes: readonly number[],
  ) {}

  step(params: Float32Array[], grads: Float32Array[], lr: number, momentum?: number): void {
    const config = momentum === undefined ? this.config : { ...this.config, momentum };
    const hasMomentum = this.config.momentum !== 0;
    if (hasMomentum && !this.momentumBuffers) this.momentumBuffers = allocateBuffers(this.sizes);
    // PyTorch initializes each buffer with the first gradient it sees (b ← g, no dampening).
    const firstStep = this.steps === 0;
    for (let p = 0; p < params.length; p++) {
      sgdUpdate(params[p]!, grads[p]!, hasMomentum ? this.momentumBuffers![p]! : null, lr, config, firstStep);
    }
    this.steps++;
  }

  saveState(): OptimizerState {
    const tensors: Record<string, Float32Array[]> = {};
    if (this.momentumBuffers) tensors.momentum_buffer = copyBuffers(this.momentumBuffers);
    return { scalars: { step: this.steps }, tensors };
  }

  loadState(state: OptimizerState): void {
    this.steps = restoreStep(state);
    // After at least one step with momentum the buffers exist and must come back with the count.
    const needsBuffers = this.config.momentum !== 0 && this.steps > 0;
    this.momentumBuffers = needsBuffers ? restoreBuffers(state, "momentum_buffer", this.sizes) : null;
  }
}
