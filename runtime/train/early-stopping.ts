// Early stopping: watch a metric after every epoch; an epoch improves when the metric beats the
// best so far by more than min_delta in the mode's direction (Keras's EarlyStopping rule); stop
// once `patience` epochs in a row have not improved. With restore "best" the loop keeps a copy of
// the weights of every improving epoch (the verdict's `keepBest`) and puts the last copy back at
// the end; with "last" the run ends with the weights it has.

import type { EarlyStoppingConfig } from "../../compiler/ir/config.ts";

export interface EarlyStoppingVerdict {
  improved: boolean; // this epoch is the best so far
  keepBest: boolean; // copy the weights now: improved, with restore "best"
  stop: boolean; // patience is used up: end the run after this epoch
}

export class EarlyStopping {
  best: number; // the best value of the metric so far (±Infinity before the first epoch)
  bestEpoch = 0; // 1-based; 0 before any epoch improved
  private waited = 0; // epochs since the last improvement

  constructor(private readonly config: EarlyStoppingConfig) {
    this.best = config.mode === "min" ? Infinity : -Infinity;
  }

  // Reads the epoch's metrics (e.g. {val_loss: 0.3}). A NaN metric never improves. An epoch whose
  // metrics lack the watched one (the analyzer makes that impossible) counts for nothing.
  update(epoch: number, metrics: Record<string, number>): EarlyStoppingVerdict {
    const value = metrics[this.config.metric];
    if (value === undefined) return { improved: false, keepBest: false, stop: false };
    const { mode, min_delta: minDelta } = this.config;
    const improved = mode === "min" ? value < this.best - minDelta : value > this.best + minDelta;
    if (improved) {
      this.best = value;
      this.bestEpoch = epoch;
      this.waited = 0;
    } else {
      this.waited++;
    }
    // An improving epoch never stops the run, even with patience 0 (as in Keras).
    return { improved, keepBest: improved && this.config.restore === "best", stop: !improved && this.waited >= this.config.patience };
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
