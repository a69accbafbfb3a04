// Early stopping: watch a metric after every epoch; an epoch improves when the metric beats the
// best so far by more than min_delta in the mode's direction; stop after `patience` epochs without
// improvement. The loop keeps a copy of the best weights and restores them when restore is "best".

import type { EarlyStoppingConfig } from "../../compiler/ir/config.ts";

export class EarlyStopping {
  best: number;
  bestEpoch = 0;
  private waited = 0;

  constructor(private readonly config: EarlyStoppingConfig) {
    this.best = config.mode === "min" ? Infinity : -Infinity;
  }

  update(epoch: number, metrics: Record<string, number>): { improved: boolean; stop: boolean } {
    const value = metrics[this.config.metric];
    if (value === undefined) return { improved: false, stop: false };
    const improved = this.config.mode === "min" ? value < this.best - this.config.min_delta : value > this.best + this.config.min_delta;
    if (improved) {
      this.best = value;
      this.bestEpoch = epoch;
      this.waited = 0;
    } else {
      this.waited++;
    }
    return { improved, stop: this.waited >= this.config.patience };
  }

  saveState(): Record<string, number> {
    return { best: this.best, bestEpoch: this.bestEpoch, waited: this.waited };
  }

  loadState(state: Record<string, number>): void {
    this.best = state.best ?? this.best;
    this.bestEpoch = state.bestEpoch ?? 0;
    this.waited = state.waited ?? 0;
  }
}
