// ReduceLROnPlateau: after every epoch, read the watched metric; when it has not improved (by the
// threshold, relative or absolute) for more than `patience` epochs, multiply the rate by `factor`
// (never below min_lr), then wait `cooldown` epochs before counting again.

import type { ScheduleConfig } from "../../../compiler/ir/config.ts";
import type { Schedule } from "./index.ts";

type PlateauConfig = Extract<ScheduleConfig, { kind: "plateau" }>;

export class Plateau implements Schedule {
  lr: number;
  readonly every = "epoch";
  readonly momentum = null;
  readonly initialMomentum = null;
  private best: number;
  private bad = 0;
  private cooldownLeft = 0;

  constructor(
    private readonly config: PlateauConfig,
    baseLr: number,
  ) {
    this.lr = baseLr;
    this.best = config.mode === "min" ? Infinity : -Infinity;
  }

  private better(value: number): boolean {
    const { mode, threshold, threshold_mode: thresholdMode } = this.config;
    if (mode === "min") return thresholdMode === "rel" ? value < this.best * (1 - threshold) : value < this.best - threshold;
    return thresholdMode === "rel" ? value > this.best * (1 + threshold) : value > this.best + threshold;
  }

  onStep(): void {}

  onEpoch(metrics: Record<string, number>): void {
    const value = metrics[this.config.metric];
    if (value === undefined) return;
    if (this.better(value)) {
      this.best = value;
      this.bad = 0;
    } else {
      this.bad++;
    }
    if (this.cooldownLeft > 0) {
      this.cooldownLeft--;
      this.bad = 0;
    }
    if (this.bad > this.config.patience) {
      const reduced = Math.max(this.lr * this.config.factor, this.config.min_lr);
      if (this.lr - reduced > 1e-8) this.lr = reduced;
      this.cooldownLeft = this.config.cooldown;
      this.bad = 0;
    }
  }

  saveState(): Record<string, number> {
    return { lr: this.lr, best: this.best, bad: this.bad, cooldown: this.cooldownLeft };
  }

  loadState(state: Record<string, number>): void {
    this.lr = state.lr ?? this.lr;
    this.best = state.best ?? this.best;
    this.bad = state.bad ?? 0;
    this.cooldownLeft = state.cooldown ?? 0;
  }
}
