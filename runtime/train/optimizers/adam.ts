// Adam and AdamW, as torch.optim.Adam and torch.optim.AdamW. They differ only in weight decay:
// Adam adds λθ to the gradient (L2, so the decay is rescaled by the adaptive denominator), AdamW
// shrinks the weights directly by lr·λ before the step ("decoupled" weight decay).

import type { OptimizerConfig } from "../../../compiler/ir/config.ts";
import { allocateBuffers, copyBuffers, restoreBuffers, restoreStep, type Optimizer, type OptimizerState } from "./state.ts";

export type AdamConfig = Extract<OptimizerConfig, { kind: "adam" | "adamw" }>;

// One parameter's update at step t (counted from 1):
//   AdamW: θ ← θ·(1 − lr·λ) first;  Adam: g ← g + λθ;
//   m ← β1m + (1−β1)g;  v ← β2v + (1−β2)g²;  amsgrad: vmax ← max(vmax, v), used in place of v;
//   θ ← θ − (lr/bc1)·m/(√v/√bc2 + eps)  with bc1 = 1 − β1ᵗ, bc2 = 1 − β2ᵗ.
// The last line is PyTorch's exact arrangement (step_size = lr/bc1, denom = √v/√bc2 + eps), which
// rounds differently from the textbook m̂/(√v̂ + eps). `maxExpAvgSq` is null unless amsgrad.
export function adamUpdate(
  param: Float32Array,
  grad: Float32Array,
  expAvg: Float32Array,
  expAvgSq: Float32Array,
  maxExpAvgSq: Float32Array | null,
  lr: number,
  config: AdamConfig,
  t: number,
): void {
  const { beta1, beta2, eps, weight_decay } = config;
  const decoupled = config.kind === "adamw";
  const stepSize = lr / (1 - beta1 ** t);
  const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
  const shrink = decoupled ? 1 - lr * weight_decay : 1;
  const l2 = decoupled ? 0 : weight_decay;
  for (let i = 0; i < param.length; i++) {
    if (decoupled) param[i] = param[i]! * shrink;
    const g = grad[i]! + l2 * param[i]!;
    expAvg[i] = beta1 * expAvg[i]! + (1 - beta1) * g;
    expAvgSq[i] = beta2 * expAvgSq[i]! + (1 - beta2) * g * g;
    let v = expAvgSq[i]!;
    if (maxExpAvgSq) {
      if (v > maxExpAvgSq[i]!) maxExpAvgSq[i] = v;
      v = maxExpAvgSq[i]!;
    }
    const denom = Math.sqrt(v) / bc2Sqrt + eps;
    param[i] = param[i]! - (stepSize * expAvg[i]!) / denom;
  }
}

export class Adam implements Optimizer {
  readonly kind: "adam" | "adamw";
  private steps = 0;
  private expAvgs: Float32Array[] | null = null;
  private expAvgSqs: Float32Array[] | null = null;
  private maxExpAvgSqs: Float32Array[] | null = null;

  constructor(
    private readonly config: AdamConfig,
    private readonly sizes: readonly number[],
  ) {
    this.kind = config.kind;
  }

  step(params: Float32Array[], grads: Float32Array[], lr: number, beta1?: number): void {
    // A cycled β1 also enters the bias correction 1 − β1ᵗ, as in PyTorch.
    const config = beta1 === undefined ? this.config : { ...this.config, beta1 };
    this.allocate();
    this.steps++;
    for (let p = 0; p < params.length; p++) {
      adamUpdate(
        params[p]!,
        grads[p]!,
        this.expAvgs![p]!,
        this.expAvgSqs![p]!,
        this.maxExpAvgSqs ? this.maxExpAvgSqs[p]! : null,
        lr,
        config,
        this.steps,
      );
    }
  }

  saveState(): OptimizerState {
    this.allocate();
    const tensors: Record<string, Float32Array[]> = {
      exp_avg: copyBuffers(this.expAvgs!),
      exp_avg_sq: copyBuffers(this.expAvgSqs!),
    };
    if (this.maxExpAvgSqs) tensors.max_exp_avg_sq = copyBuffers(this.maxExpAvgSqs);
    return { scalars: { step: this.steps }, tensors };
  }

  loadState(state: OptimizerState): void {
    this.steps = restoreStep(state);
    this.expAvgs = restoreBuffers(state, "exp_avg", this.sizes);
    this.expAvgSqs = restoreBuffers(state, "exp_avg_sq", this.sizes);
    this.maxExpAvgSqs = this.config.amsgrad ? restoreBuffers(state, "max_exp_avg_sq", this.sizes) : null;
  }

  // Every moment starts at zero, so allocating before the first step changes nothing.
  private allocate(): void {
    if (this.expAvgs) return;
    this.expAvgs = allocateBuffers(this.sizes);
    this.expAvgSqs = allocateBuffers(this.sizes);
    if (this.config.amsgrad) this.maxExpAvgSqs = allocateBuffers(this.sizes);
  }
}
